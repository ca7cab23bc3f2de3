from django.apps import AppConfig


class NewsletterConfig(AppConfig):
    name = "persx.newsletter"
    label = "persx_newsletter"
    verbose_name = "Newsletter"

    def ready(self) -> None:
        from persx.newsletter.visitor_data import ContactsHeld
        from persx.privacy import holders

        holders.register(ContactsHeld())
