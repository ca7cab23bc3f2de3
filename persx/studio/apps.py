from django.apps import AppConfig


class StudioConfig(AppConfig):
    name = "persx.studio"
    label = "persx_studio"
    verbose_name = "Variant studio"
