"""Give the admin groups publishing's permissions on a fresh database.

accounts' post_migrate sync runs before auth creates an app's permissions (its receiver
is connected first), so permissions of apps migrated after accounts' own migration,
like `publishing.publish_publishtask`, would reach the groups only on the next migrate.
This creates them now and syncs the groups, the way accounts' migration does for catalog.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations


def sync_groups(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    from accounts.groups import sync_admin_groups

    sync_admin_groups(apps)


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0001_initial"),
        ("accounts", "0001_admin_groups"),
    ]

    operations = [migrations.RunPython(sync_groups, migrations.RunPython.noop)]
