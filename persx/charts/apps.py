from django.apps import AppConfig


class ChartsConfig(AppConfig):
    """Installed for its templates (``persx_charts/``) and template filters (``persx_charts``)."""

    name = "persx.charts"
    label = "persx_charts"
    verbose_name = "Charts"
