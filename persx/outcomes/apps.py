from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "persx.outcomes"
    label = "persx_outcomes"
    verbose_name = "Pipeline outcomes"

    def ready(self) -> None:
        from persx.outcomes.visitor_data import OutcomesHeld
        from persx.privacy import holders

        holders.register(OutcomesHeld())
