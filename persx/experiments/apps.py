from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "persx.experiments"
    label = "persx_experiments"
    verbose_name = "Experiments"

    def ready(self) -> None:
        from persx.experiments import signals  # noqa: F401  (connects cache invalidation)
