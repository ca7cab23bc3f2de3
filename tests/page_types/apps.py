from django.apps import AppConfig


class PageTypesConfig(AppConfig):
    name = "tests.page_types"
    label = "persx_test_page_types"
    verbose_name = "Test page types"
    default_auto_field = "django.db.models.BigAutoField"
