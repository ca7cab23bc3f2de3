from django.apps import AppConfig


class InferenceConfig(AppConfig):
    name = "persx.inference"
    label = "persx_inference"
    verbose_name = "Inference"
