from django.apps import AppConfig


class ContentConfig(AppConfig):
    name = "persx.content"
    label = "persx_content"
    verbose_name = "Site content"

    def ready(self) -> None:
        from persx.content import signals  # noqa: F401  (drops content indexes on publish)
