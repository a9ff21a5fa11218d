"""Roles: list, detail with bandMemberCount, the role's members (paged)."""

import pytest

from . import data

pytestmark = pytest.mark.dynamodb


def test_list(seeded, api):
    body = api("/api/roles").json()
    assert body["count"] == 3
    assert body["roles"] == [
        {"key": "drums", "name": "Drums", "category": "percussion", "bandMemberCount": 2},
        {"key": "guitar", "name": "Guitar", "category": "string", "bandMemberCount": 32},
        {"key": "vocals", "name": "Vocals", "category": "voice", "bandMemberCount": 3},
    ]


def test_detail(seeded, api):
    assert api("/api/roles/vocals").json() == {"role": {
        "key": "vocals", "name": "Vocals", "description": "Lead or backing vocals", "category": "voice",
        "bandMemberCount": 3}}
    assert api("/api/roles/kazoo").status == 404


def test_members_of_a_role(seeded, api):
    body = api("/api/roles/vocals/members").json()
    assert body["roleKey"] == "vocals" and body["count"] == 3
    assert body["members"] == [{k: v for k, v in m.items() if k != "position"} for m in data.role_members("vocals")]
    first = api("/api/roles/guitar/members", query={"limit": "20"}).json()
    rest = api("/api/roles/guitar/members", query={"limit": "20", "cursor": first["nextCursor"]}).json()
    names = [m["name"] for m in first["members"] + rest["members"]]
    assert len(names) == 32 == len(set(names)) and rest["count"] == 32
    assert api("/api/roles/kazoo/members").status == 404


def test_the_whole_list_by_default_pages_with_limit(seeded, api):
    """Issue 11.5: the specification's /api/roles returns every role; with `limit`, cursor pages."""
    whole = api("/api/roles").json()
    assert len(whole["roles"]) == whole["count"] == len(data.ROLES) and "nextCursor" not in whole
    first = api("/api/roles", query={"limit": "2"}).json()
    rest = api("/api/roles", query={"limit": "2", "cursor": first["nextCursor"]}).json()
    assert first["roles"] + rest["roles"] == whole["roles"]
