from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "persx.leads"
    label = "persx_leads"
    verbose_name = "Leads"

    def ready(self) -> None:
        from persx.leads.visitor_data import LeadsHeld
        from persx.privacy import holders

        holders.register(LeadsHeld())
