from django.apps import AppConfig


class PersonalizationConfig(AppConfig):
    name = "persx.personalization"
    label = "persx_personalization"
    verbose_name = "Personalization"
