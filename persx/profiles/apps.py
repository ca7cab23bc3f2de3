from django.apps import AppConfig


class ProfilesConfig(AppConfig):
    name = "persx.profiles"
    label = "persx_profiles"
    verbose_name = "Visitor profiles"

    def ready(self) -> None:
        from persx.privacy import holders
        from persx.profiles import signals  # noqa: F401  (links profiles to accounts on login)
        from persx.profiles.visitor_data import ProfilesHeld

        holders.register(ProfilesHeld())
