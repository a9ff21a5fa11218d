"""Create the three admin groups and give them their permissions.

Permissions of apps migrated later are added by the post_migrate sync in accounts.groups.
"""

from django.db import migrations

from accounts.groups import sync_admin_groups_now


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("catalog", "0001_initial"),
        ("audit", "0001_initial"),
    ]

    operations = [migrations.RunPython(sync_admin_groups_now, migrations.RunPython.noop)]
