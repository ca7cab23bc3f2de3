from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "persx.accounts"
    label = "persx_accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from persx.accounts.visitor_data import AccountLinksHeld
        from persx.privacy import holders

        holders.register(AccountLinksHeld())
