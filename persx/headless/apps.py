from django.apps import AppConfig


class HeadlessConfig(AppConfig):
    name = "persx.headless"
    label = "persx_headless"
    verbose_name = "Headless decisions"
    default_auto_field = "django.db.models.BigAutoField"
