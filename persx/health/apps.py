from django.apps import AppConfig


class HealthConfig(AppConfig):
    name = "persx.health"
    label = "persx_health"
    verbose_name = "Health checks"
