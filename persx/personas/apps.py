from django.apps import AppConfig


class PersonasConfig(AppConfig):
    name = "persx.personas"
    label = "persx_personas"
    verbose_name = "Persona review"
