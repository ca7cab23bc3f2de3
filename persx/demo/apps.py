from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "persx.demo"
    label = "persx_demo"
    verbose_name = "Demo site"

    def ready(self) -> None:
        from persx.demo.visitor_data import SimulationMarkersHeld
        from persx.privacy import holders

        holders.register(SimulationMarkersHeld())
