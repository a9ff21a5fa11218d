"""The three admin groups and their permissions, kept in sync after every migrate.

AdminViewer sees; AdminEditor adds, changes and submits for review; AdminFull may
do everything, including approve, return to draft, unpublish and delete.
"""

from django.db.models.signals import post_migrate
from django.dispatch import receiver

VIEWER = "AdminViewer"
EDITOR = "AdminEditor"
FULL = "AdminFull"
ADMIN_GROUPS = (VIEWER, EDITOR, FULL)

# Apps whose models editors work with in the admin.
MANAGED_APPS = ("catalog", "publishing", "audit", "accounts", "releases")
# Permission codename prefixes that only full admins hold.
FULL_ONLY_PREFIXES = ("delete_", "approve_", "publish_", "manage_")
# Models nobody may add or change through the admin (append-only audit; history is written by the system).
NO_WRITE_MODELS = {("audit", "auditentry")}
# Catalog models whose changes are deliberate, full-admin actions (a key alias redirects public URLs).
FULL_ONLY_MODELS = {("catalog", "festivalalias")}
# Who signs in and which API keys exist is for full admins only: identities hold e-mail addresses, provider
# subjects and group claims; key names and prefixes help whoever guesses keys. Editors and viewers do not see them.
FULL_ONLY_VIEW_MODELS = {("accounts", "identity"), ("accounts", "apikey")}
# Parts edited inline with their record: editors may remove rows of them.
INLINE_PART_MODELS = {("catalog", "member"), ("catalog", "lineupentry")}


def _wanted(perm) -> set[str]:
    app, codename = perm.content_type.app_label, perm.codename
    model = perm.content_type.model
    if codename.startswith("view_"):
        return {FULL} if (app, model) in FULL_ONLY_VIEW_MODELS else {VIEWER, EDITOR, FULL}
    if (app, model) in NO_WRITE_MODELS or model.startswith("historical"):
        return set()
    if codename.startswith("delete_") and (app, model) in INLINE_PART_MODELS:
        return {EDITOR, FULL}  # removing a member or a lineup slot is an edit of the band or edition
    if codename.startswith(FULL_ONLY_PREFIXES) or (app, model) in FULL_ONLY_MODELS:
        return {FULL}
    if app in ("catalog", "releases"):  # add_, change_, submit_ (a release's records: add and change)
        return {EDITOR, FULL}
    return {FULL}


def sync_admin_groups(apps=None) -> None:
    """Create the groups and give each exactly the permissions it should have."""
    from django.contrib.auth.models import Group, Permission

    Group_ = apps.get_model("auth", "Group") if apps else Group
    Permission_ = apps.get_model("auth", "Permission") if apps else Permission
    groups = {name: Group_.objects.get_or_create(name=name)[0] for name in ADMIN_GROUPS}
    wanted: dict[str, list] = {name: [] for name in ADMIN_GROUPS}
    for perm in Permission_.objects.filter(content_type__app_label__in=MANAGED_APPS).select_related("content_type"):
        for group in _wanted(perm):
            wanted[group].append(perm)
    for name, group in groups.items():
        group.permissions.set(wanted[name])


def sync_admin_groups_now(apps, schema_editor=None) -> None:
    """For a data migration: create every app's permissions at once (Django waits for the end of
    `migrate`), then sync the groups, so a fresh database has complete groups straight away."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    sync_admin_groups(apps)


@receiver(post_migrate)
def _sync_after_migrate(sender, **kwargs):
    """Permissions are created app by app in the same signal, so sync after each managed app.

    This receiver is connected before django.contrib.auth's (accounts is imported while the apps load), so it
    runs first for each app: it creates the app's permissions itself (idempotent), or a flush, which deletes
    and recreates every permission, would leave the groups without the last managed app's permissions.
    """
    if sender.name in MANAGED_APPS:
        from django.contrib.auth.management import create_permissions

        create_permissions(sender, verbosity=0, **{k: v for k, v in kwargs.items() if k in ("using", "apps")})
        sync_admin_groups()


def sees_network_details(user) -> bool:
    """Client addresses and user agents in the audit trail are personal data: full admins (and superusers) see
    them, for investigating abuse; editors and viewers see who did what, not from where."""
    return bool(user and (user.is_superuser or user.groups.filter(name=FULL).exists()))
