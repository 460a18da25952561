"""The two back-office roles (SPEC 10) as auth groups. What each group may do is frozen here;
*where* its members may do it comes from their StaffMembership rows (regions/admin_scoping.py).

Permissions are normally created after all migrations (post_migrate), so they are created here
first for the historical models this migration depends on.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

COORDINATOR = "Coordinator"
PLATFORM_STAFF = "Platform staff"

GROUP_PERMISSIONS = {
    # Region staff: follow up their candidates; see what the engine and webhooks did for them.
    COORDINATOR: {
        "regions": ["view_region", "view_customfield"],
        "candidates": [
            "view_candidate",
            "change_candidate",
            "view_interaction",
            "change_interaction",
            "view_attachment",
            "change_attachment",
        ],
        "mutations": ["view_mutation", "view_mutationattempt"],
        "webhooks": ["view_delivery", "view_deliveryattempt", "view_subscription"],
    },
    # Everything but superuser powers (users, memberships, admin-scope keys, the access log).
    PLATFORM_STAFF: {
        "regions": [
            "view_region",
            "add_region",
            "change_region",
            "view_customfield",
            "add_customfield",
            "change_customfield",
            "delete_customfield",
            "view_apikey",
            "add_apikey",
            "change_apikey",
        ],
        "candidates": [
            "view_candidate",
            "change_candidate",
            "delete_candidate",
            "view_interaction",
            "change_interaction",
            "view_attachment",
            "change_attachment",
        ],
        "mutations": ["view_mutation", "change_mutation", "view_mutationattempt"],
        "webhooks": [
            "view_delivery",
            "change_delivery",
            "view_deliveryattempt",
            "view_subscription",
            "add_subscription",
            "change_subscription",
            "delete_subscription",
        ],
        "airtable": ["view_syncstate", "view_syncrun", "view_synclock"],
    },
}


def assign_group_permissions(apps, using):
    """Create the groups (if missing) and give each exactly its permissions. Also used by
    tests that run after a transactional flush emptied the tables."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, by_app in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        permissions = [
            Permission.objects.using(using).get(content_type__app_label=app, codename=codename)
            for app, codenames in by_app.items()
            for codename in codenames
        ]
        group.permissions.set(permissions)


def create_groups(apps, schema_editor):
    using = schema_editor.connection.alias
    for app_config in apps.get_app_configs():
        # Historical app configs have no models module; create_permissions skips those.
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, using=using, apps=apps)
        app_config.models_module = None
    assign_group_permissions(apps, using)


def remove_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=list(GROUP_PERMISSIONS)).delete()


class Migration(migrations.Migration):

    dependencies = [
        ("regions", "0003_staffmembership"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("candidates", "0002_candidate_sessions"),
        ("mutations", "0001_initial"),
        ("webhooks", "0001_initial"),
        ("airtable", "0001_sync_bookkeeping"),
    ]

    operations = [migrations.RunPython(create_groups, remove_groups)]
