from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "persx.events"
    label = "persx_events"
    verbose_name = "Events"

    def ready(self) -> None:
        from persx.events.visitor_data import EventsHeld
        from persx.privacy import holders

        holders.register(EventsHeld())
