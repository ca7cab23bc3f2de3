from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "persx.analytics"
    label = "persx_analytics"
    verbose_name = "Analytics"
