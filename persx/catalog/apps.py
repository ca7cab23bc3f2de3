from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "persx.catalog"
    label = "persx_catalog"
    verbose_name = "Catalog"

    def ready(self) -> None:
        from persx.catalog import signals  # noqa: F401  (connects cache invalidation)
