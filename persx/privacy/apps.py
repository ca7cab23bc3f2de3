from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "persx.privacy"
    label = "persx_privacy"
    verbose_name = "Privacy"
