"""Give the admin groups publishing's permissions within `migrate` itself, not only at its end
(accounts' post_migrate sync does that too; this makes a fresh database complete mid-run as well)."""

from django.db import migrations

from accounts.groups import sync_admin_groups_now


class Migration(migrations.Migration):
    dependencies = [
        ("publishing", "0001_initial"),
        ("accounts", "0001_admin_groups"),
    ]

    operations = [migrations.RunPython(sync_admin_groups_now, migrations.RunPython.noop)]
