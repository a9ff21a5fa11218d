"""The three admin groups, as a freshly migrated database has them (the test database is built by migrations)."""

import pytest
from django.contrib.auth.models import Group

pytestmark = pytest.mark.django_db


def perms(group: str) -> set[str]:
    return {
        f"{app}.{codename}"
        for app, codename in Group.objects.get(name=group).permissions.values_list("content_type__app_label", "codename")
    }


def test_viewer_only_views_every_app():
    viewer = perms("AdminViewer")
    assert viewer and all(p.split(".")[1].startswith("view_") for p in viewer)
    assert {"catalog.view_band", "publishing.view_publishtask", "audit.view_auditentry"} <= viewer


def test_editor_adds_changes_and_submits_but_never_approves_or_deletes_records():
    editor = perms("AdminEditor")
    assert {"catalog.add_band", "catalog.change_band", "catalog.submit_band", "catalog.submit_edition"} <= editor
    assert {"catalog.delete_member", "catalog.delete_lineupentry"} <= editor  # inline rows of a band or edition
    forbidden = {p for p in editor if p.split(".")[1].startswith(("approve_", "publish_", "manage_"))}
    forbidden |= {p for p in editor if p.startswith("catalog.delete_") and p not in {"catalog.delete_member", "catalog.delete_lineupentry"}}
    assert forbidden == set()
    assert "catalog.change_festivalalias" not in editor


def test_full_admin_holds_everything_editors_do_and_the_full_only_powers():
    full = perms("AdminFull")
    assert perms("AdminEditor") <= full
    assert {"catalog.approve_band", "catalog.delete_festival", "publishing.publish_publishtask", "accounts.manage_apikey"} <= full


def test_nobody_may_write_the_audit_trail():
    for group in ("AdminViewer", "AdminEditor", "AdminFull"):
        assert not {p for p in perms(group) if p.startswith("audit.") and not p.startswith("audit.view_")}


@pytest.mark.django_db(transaction=True)
def test_after_a_flush_the_groups_hold_every_managed_apps_permissions_again():
    """A flush (what a transactional test ends with) deletes and recreates every permission; the groups must
    get them all back, the last migrated app's included (they once lacked publishing's after a flush)."""
    from django.contrib.auth.models import Group
    from django.core.management import call_command

    from accounts.groups import FULL, MANAGED_APPS

    call_command("flush", interactive=False, verbosity=0)
    held = {app for app in Group.objects.get(name=FULL).permissions.values_list("content_type__app_label", flat=True)}
    assert held >= set(MANAGED_APPS)
