from django.apps import AppConfig


class ExperimentsConfig(AppConfig):
    name = "persx.experiments"
    label = "persx_experiments"
    verbose_name = "Experiments"
