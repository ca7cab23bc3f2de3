from django.apps import AppConfig


class EmailDeliveryConfig(AppConfig):
    name = "persx.email_delivery"
    label = "persx_email_delivery"
    verbose_name = "Email delivery"
    default_auto_field = "django.db.models.BigAutoField"
