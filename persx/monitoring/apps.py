from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "persx.monitoring"
    label = "persx_monitoring"
    verbose_name = "Personalization health"
