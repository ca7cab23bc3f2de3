from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "bench.stock_wagtail.pages"
    label = "stock_pages"
    default_auto_field = "django.db.models.BigAutoField"
