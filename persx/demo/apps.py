from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "persx.demo"
    label = "persx_demo"
    verbose_name = "Demo site"
