"""The audit trail: read-only everywhere, searchable in the admin, served by the API, kept ≥ 90 days."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from audit.models import AuditAction, AuditEntry
from audit.retention import audit_prune
from audit.services import audit_record
from tests import factories
from tests.api.conftest import assert_envelope

pytestmark = pytest.mark.django_db


def _entry_at(days_ago: int, **fields) -> AuditEntry:
    entry = audit_record(action=fields.pop("action", AuditAction.UPDATE), **fields)
    # `at` is auto_now_add; move it back with the raw queryset (tests only).
    from django.db.models import QuerySet

    QuerySet.update(AuditEntry.objects.filter(pk=entry.pk), at=timezone.now() - timedelta(days=days_ago))
    return entry


def test_entries_cannot_be_changed_or_deleted():
    entry = audit_record(action=AuditAction.LOGIN, actor_name="someone")
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    with pytest.raises(PermissionError):
        AuditEntry.objects.all().delete()


@pytest.mark.parametrize("group", ["AdminViewer", "AdminEditor", "AdminFull", "superuser"])
def test_admin_audit_view_is_read_only_for_everyone(client, group):
    if group == "superuser":
        from django.contrib.auth import get_user_model

        user = get_user_model().objects.create_superuser("root", password="x" * 12)
    else:
        user = factories.user_in(group)
    band = factories.band(name="Searchable Band")
    client.force_login(user)
    listing = client.get("/admin/audit/auditentry/", {"q": "Searchable"})
    assert listing.status_code == 200 and "Searchable Band" in listing.content.decode()
    entry = AuditEntry.objects.filter(object_pk=str(band.pk)).first()
    detail = client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    assert detail.status_code == 200 and 'name="_save"' not in detail.content.decode()
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"action": "delete"}).status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_api_audit_filters(key_client):
    _entry_at(10, action=AuditAction.APPROVE, actor_name="alice")
    _entry_at(3, action=AuditAction.UPDATE, actor_name="bob", actor_sub="sub-bob")
    _entry_at(1, action=AuditAction.UPDATE, actor_name="alice")
    viewer = key_client("AdminViewer")
    everything = viewer.get("/api/admin/audit").json()
    assert everything["count"] == 4  # three, and the creation of the API key
    start = (timezone.now() - timedelta(days=5)).date().isoformat()
    recent = viewer.get("/api/admin/audit", {"startDate": start, "action": "update"}).json()["entries"]
    assert [e["user"] for e in recent] == ["alice", "bob"]
    assert recent[1]["sub"] == "sub-bob" and set(recent[0]) >= {"timestamp", "action", "source", "object", "changes", "ip"}
    end = (timezone.now() - timedelta(days=2)).date().isoformat()
    older = viewer.get("/api/admin/audit", {"endDate": end}).json()["entries"]
    assert {e["user"] for e in older} == {"alice", "bob"} and len(older) == 2
    assert viewer.get("/api/admin/audit", {"user": "sub-bob"}).json()["count"] == 1
    assert viewer.get("/api/admin/audit", {"limit": 1}).json()["count"] == 1
    assert_envelope(viewer.get("/api/admin/audit", {"action": "tamper"}), 400, "VALIDATION_ERROR")
    assert_envelope(viewer.get("/api/admin/audit", {"startDate": "yesterday"}), 400, "VALIDATION_ERROR")
    assert_envelope(viewer.get("/api/admin/audit", {"limit": 0}), 400, "VALIDATION_ERROR")


def test_api_audit_dates_a_bare_end_date_includes_that_whole_day(key_client):
    _entry_at(0, action=AuditAction.UPDATE, actor_name="carol")  # earlier today
    viewer = key_client("AdminViewer")
    today = timezone.now().date().isoformat()
    assert [e["user"] for e in viewer.get("/api/admin/audit", {"endDate": today, "action": "update"}).json()["entries"]] \
        == ["carol"]
    assert viewer.get("/api/admin/audit", {"startDate": today, "action": "update"}).json()["count"] == 1
    future = (timezone.now() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")  # no offset: UTC
    assert viewer.get("/api/admin/audit", {"startDate": future}).json()["count"] == 0
    assert viewer.get("/api/admin/audit", {"endDate": future, "action": "update"}).json()["count"] == 1


def test_api_has_no_way_to_change_audit_entries(key_client):
    full = key_client("AdminFull")
    for method in ("post", "put", "delete", "patch"):
        assert getattr(full, method)("/api/admin/audit").status_code == 405


def test_retention_keeps_at_least_90_days():
    old, recent = _entry_at(400), _entry_at(89)
    with pytest.raises(CommandError, match="at least 90"):
        call_command("prune_audit", "--older-than-days", "30")
    assert audit_prune(older_than_days=365, dry_run=True) == 1
    call_command("prune_audit", "--older-than-days", "365")
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    assert AuditEntry.objects.filter(pk=recent.pk).exists()
    record = AuditEntry.objects.filter(action=AuditAction.DELETE).get()
    assert record.detail == {"retention_days": 365, "audit_entries_deleted": 1} and record.source == "command"


def test_password_sign_in_and_out_are_recorded(client):
    user = factories.user_in("AdminEditor", password="a-long-password")
    client.post("/admin/login/", {"username": user.username, "password": "wrong", "next": "/admin/"})
    client.post("/admin/login/", {"username": user.username, "password": "a-long-password", "next": "/admin/"})
    client.post("/admin/logout/")
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "actor_name"))
    assert actions == [
        (AuditAction.LOGIN_REFUSED, user.username), (AuditAction.LOGIN, user.username), (AuditAction.LOGOUT, user.username),
    ]


def test_log_lines_carry_the_actor(key_client, caplog):
    import json
    import logging

    from audit.context import audit_context
    from audit.logging import AuditContextFilter
    from metalfests.logging import JsonFormatter

    logger = logging.getLogger("metalfests.test")
    with audit_context(source="api", actor_name="ci-importer", api_key_name="ci-importer", ip="10.0.0.1"), \
            caplog.at_level(logging.INFO, logger="metalfests.test"):
        logger.info("something happened")
    record = caplog.records[-1]
    AuditContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert (line["actor"], line["api_key"], line["actor_source"], line["client_ip"]) == ("ci-importer", "ci-importer", "api", "10.0.0.1")
