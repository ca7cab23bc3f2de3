from django.apps import AppConfig


class GenerationConfig(AppConfig):
    name = "persx.generation"
    label = "persx_generation"
    verbose_name = "AI drafting"
