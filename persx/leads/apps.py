from django.apps import AppConfig


class LeadsConfig(AppConfig):
    name = "persx.leads"
    label = "persx_leads"
    verbose_name = "Leads"
