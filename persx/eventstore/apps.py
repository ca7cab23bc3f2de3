from django.apps import AppConfig


class EventStoreConfig(AppConfig):
    name = "persx.eventstore"
    label = "persx_eventstore"
    verbose_name = "Event store"

    def ready(self) -> None:
        from persx.eventstore.visitor_data import ColumnarEventsHeld
        from persx.privacy import holders

        holders.register(ColumnarEventsHeld())
