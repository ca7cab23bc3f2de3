from django.apps import AppConfig


class StartupConfig(AppConfig):
    """Listed last in INSTALLED_APPS: its ``ready()`` runs after every other app's."""

    name = "persx.startup"
    label = "persx_startup"
    verbose_name = "Process start"

    def ready(self) -> None:
        from persx.startup import resume_collection

        resume_collection()
