from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "persx.events"
    label = "persx_events"
    verbose_name = "Events"
