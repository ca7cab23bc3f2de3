from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "persx.campaigns"
    label = "persx_campaigns"
    verbose_name = "Email templates"
    default_auto_field = "django.db.models.BigAutoField"
