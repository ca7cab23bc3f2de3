from django.apps import AppConfig


class JobsConfig(AppConfig):
    name = "persx.jobs"
    label = "persx_jobs"
    verbose_name = "Background jobs"
    default_auto_field = "django.db.models.BigAutoField"
