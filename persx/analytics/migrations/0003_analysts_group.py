"""The "Analysts" group: may see measurement (reports, overview, exports, health)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def create_analysts(apps, schema_editor):
    # Permissions are normally created after all migrations; make this app's now.
    app_config = apps.get_app_config("persx_analytics")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(
        content_type__app_label="persx_analytics", codename="view_measurement"
    )
    group, _ = Group.objects.get_or_create(name="Analysts")
    group.permissions.add(permission)
    # Analysts use the Wagtail admin, where the reports live.
    admin_access = Permission.objects.filter(
        content_type__app_label="wagtailadmin", codename="access_admin"
    ).first()
    if admin_access is not None:
        group.permissions.add(admin_access)


def remove_analysts(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Analysts").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("persx_analytics", "0002_measurement_permission"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(create_analysts, remove_analysts)]
