from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "persx.outcomes"
    label = "persx_outcomes"
    verbose_name = "Pipeline outcomes"
