from django.apps import AppConfig


class OutcomesConfig(AppConfig):
    name = "persx.outcomes"
    label = "persx_outcomes"
    verbose_name = "Pipeline outcomes"

    def ready(self) -> None:
        from persx.accounts.outcome_port import read_outcomes_with
        from persx.outcomes.account_outcomes import AccountOutcomes
        from persx.outcomes.visitor_data import OutcomesHeld
        from persx.privacy import holders

        holders.register(OutcomesHeld())
        read_outcomes_with(AccountOutcomes())
