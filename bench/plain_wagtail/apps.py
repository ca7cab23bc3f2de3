from django.apps import AppConfig


class PlainWagtailConfig(AppConfig):
    name = "bench.plain_wagtail"
    label = "bench_plain_wagtail"
    verbose_name = "Bench: plain Wagtail pages"
