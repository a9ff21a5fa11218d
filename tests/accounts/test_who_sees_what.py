"""Decided and tested: who sees API keys, identities and client addresses (issue 13's permission questions).

API keys and identities are for full admins only (e-mail addresses, provider subjects and group claims; key
names and prefixes help guessing). Client addresses and user agents in the audit trail are personal data:
full admins see them to investigate abuse; editors and viewers see who did what, not from where.
"""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from accounts.services import api_key_create
from audit.models import AuditEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("group, allowed", [("AdminViewer", False), ("AdminEditor", False), ("AdminFull", True)])
def test_only_full_admins_see_api_keys_and_identities(client, group, allowed):
    client.force_login(f.user_in(group))
    for page in ("admin:accounts_apikey_changelist", "admin:accounts_identity_changelist"):
        assert client.get(reverse(page)).status_code == (200 if allowed else 403), page
    index = client.get(reverse("admin:index")).text
    assert ("API keys" in index) is allowed


def _entry_with_address():
    return AuditEntry.objects.create(action="update", source="admin", actor_name="someone", ip="203.0.113.7",
                                     user_agent="Firefox/140", object_repr="x")


@pytest.mark.parametrize("group, sees", [("AdminViewer", False), ("AdminEditor", False), ("AdminFull", True)])
def test_client_addresses_in_stats_audit_and_the_admin_are_for_full_admins(client, group, sees):
    _entry_with_address()
    _, raw = api_key_create(name=f"who-{group}", group_name=group)
    api = APIClient()
    api.credentials(HTTP_X_API_KEY=raw)
    stats = api.get("/api/admin/stats").json()["recentActivity"]
    audit = api.get("/api/admin/audit").json()["entries"]
    rows = [r for r in stats if r["user"] == "someone"] + [r for r in audit if r["user"] == "someone"]
    assert len(rows) == 2, (stats, audit)
    for row in rows:
        assert (row["ip"] == "203.0.113.7") is sees and (row["userAgent"] == "Firefox/140") is sees
    client.force_login(f.user_in(group))
    page = client.get(reverse("admin:audit_auditentry_changelist")).text
    assert ("203.0.113.7" in page) is sees
