"""Coverage (SPEC 15) for the back-office roles: coordinators see it, platform staff edit it
(inline on the region, like custom fields)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

COVERAGE_PERMISSIONS = {
    "Coordinator": ["view_regioncoverage"],
    "Platform staff": [
        "view_regioncoverage",
        "add_regioncoverage",
        "change_regioncoverage",
        "delete_regioncoverage",
    ],
}


def grant(apps, schema_editor):
    using = schema_editor.connection.alias
    app_config = apps.get_app_config("regions")
    # Historical app configs have no models module; create_permissions skips those.
    app_config.models_module = True
    create_permissions(app_config, verbosity=0, using=using, apps=apps)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in COVERAGE_PERMISSIONS.items():
        group = Group.objects.using(using).filter(name=name).first()
        if group is None:
            continue
        group.permissions.add(
            *Permission.objects.using(using).filter(
                content_type__app_label="regions", codename__in=codenames
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("regions", "0006_region_coverage_and_website"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(grant, migrations.RunPython.noop)]
