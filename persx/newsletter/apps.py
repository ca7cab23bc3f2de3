from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "persx.newsletter"
    label = "persx_newsletter"
    verbose_name = "Newsletter"
