from django.apps import AppConfig


class FactorialConfig(AppConfig):
    name = "persx.factorial"
    label = "persx_factorial"
    verbose_name = "Factorial experiments"

    def ready(self) -> None:
        from persx.experiments.repository import load_factorials_with
        from persx.factorial import signals  # noqa: F401  (connects cache invalidation)
        from persx.factorial.mappers import load_running

        load_factorials_with(load_running)
