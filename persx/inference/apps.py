from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "persx.inference"
    label = "persx_inference"
    verbose_name = "Inference"

    def ready(self) -> None:
        from persx.inference.visitor_data import InferenceHeld
        from persx.privacy import holders

        holders.register(InferenceHeld())
