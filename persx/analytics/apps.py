from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "persx.analytics"
    label = "persx_analytics"
    verbose_name = "Analytics"

    def ready(self) -> None:
        from persx.analytics.visitor_data import RollupsHeld
        from persx.privacy import holders

        holders.register(RollupsHeld())
