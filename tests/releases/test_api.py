"""The admin API's releases: create, add records, preview, approve with a time (If-Match), reschedule, cancel."""

from datetime import timedelta

import pytest

from catalog.models import Band, ReviewStatus
from publishing.worker import drain
from releases import clock
from releases.models import Release, ReleaseState
from tests import factories as f
from tests.api.conftest import assert_envelope
from tests.publishing.scenarios import published_world

from .scenarios import ANNOUNCEMENT, submitted

pytestmark = [pytest.mark.django_db, pytest.mark.dynamodb]


def test_create_add_preview_and_approve_with_a_time(key_client, publish_table):
    editor, full, viewer = key_client("AdminEditor"), key_client("AdminFull"), key_client("AdminViewer")
    world = published_world()
    drain()
    genre = submitted(f.genre("blackgaze", "Blackgaze"))
    band = submitted(f.band("lantern-of-ash", "Lantern of Ash", genres=[genre]))
    submitted(f.edition(world.wacken, 2027, bands=[band, world.maiden]))

    assert viewer.post("/api/admin/releases", {"name": "nope"}, format="json").status_code == 403
    created = editor.post("/api/admin/releases", {"name": "Wacken 2027: first wave"}, format="json")
    assert created.status_code == 201, created.json()
    pk = created.json()["release"]["id"]
    added = editor.post(f"/api/admin/releases/{pk}/records", {"records": [
        {"kind": "genres", "key": "blackgaze"}, {"kind": "bands", "key": "lantern-of-ash"},
        {"kind": "editions", "festivalKey": "wacken", "year": 2027}]}, format="json")
    assert added.status_code == 200, added.json()
    assert [r["kind"] for r in added.json()["release"]["records"]] == ["genre", "band", "edition"]
    assert_envelope(editor.post(f"/api/admin/releases/{pk}/records", {"records": [{"kind": "bands", "key": "nobody"}]},
                                format="json"), 404, "RESOURCE_NOT_FOUND")

    preview = viewer.get(f"/api/admin/releases/{pk}/preview").json()
    edition = next(r for r in preview["records"] if r["kind"] == "edition")
    lineup = edition["documents"]["/api/festivals/wacken/editions/2027"]["bands"]
    assert [b["name"] for b in lineup] == ["Lantern of Ash", "Iron Maiden"]  # the new band by name, from the release
    assert any(i["pk"] == "BAND#lantern-of-ash" and i["change"] == "added" for i in preview["changedItems"])
    assert {"field": "Record", "change": "new: not public yet, appears with this approval"} in \
        next(r for r in preview["records"] if r["kind"] == "band")["changes"]

    release = full.get(f"/api/admin/releases/{pk}")
    etag = release["ETag"]
    assert release.json()["problems"] == []
    assert_envelope(editor.post(f"/api/admin/releases/{pk}/approve", HTTP_IF_MATCH=etag), 403, "FORBIDDEN")
    assert_envelope(full.post(f"/api/admin/releases/{pk}/approve", {"publishAt": "2027-01-15T10:00"}, format="json"),
                    428, "PRECONDITION_REQUIRED")
    with clock.frozen_at(ANNOUNCEMENT - timedelta(days=1)):
        approved = full.post(f"/api/admin/releases/{pk}/approve",
                             {"publishAt": "2027-01-15T10:00", "timeZone": "Europe/Paris", "comment": "first wave"},
                             format="json", HTTP_IF_MATCH=etag)
        assert approved.status_code == 200, approved.json()
        body = approved.json()["release"]
        assert body["state"] == "scheduled" and body["publishAt"] == "2027-01-15T09:00:00Z"
        assert body["publishAtLocal"] == "2027-01-15T10:00:00+01:00"
        moved = full.post(f"/api/admin/releases/{pk}/reschedule", {"publishAt": "2027-01-15T11:00:00+01:00"},
                          format="json")
        assert moved.json()["release"]["publishAt"] == "2027-01-15T10:00:00Z"
        assert_envelope(full.post(f"/api/admin/releases/{pk}/approve", HTTP_IF_MATCH=etag), 409, "CONCURRENT_EDIT")
        drain()
        assert Band.objects.get(key="lantern-of-ash").published_snapshot is None
        clock.set_to(ANNOUNCEMENT + timedelta(hours=1))
        assert drain().failed == 0
    assert Release.objects.get(pk=pk).state == ReleaseState.LIVE
    assert full.get(f"/api/admin/releases/{pk}").json()["release"]["records"][1]["published"] is True
    assert_envelope(full.post(f"/api/admin/releases/{pk}/cancel"), 409, "WORKFLOW_STATE_CONFLICT")


def test_an_invalid_release_is_422_with_its_problems_and_a_stale_etag_409(key_client, publish_table):
    full = key_client("AdminFull")
    world = published_world()
    band = submitted(f.band("orphan-band", "Orphan Band"))
    edition = submitted(f.edition(world.wacken, 2028, bands=[band]))
    pk = full.post("/api/admin/releases", {"name": "Wacken 2028"}, format="json").json()["release"]["id"]
    full.post(f"/api/admin/releases/{pk}/records", {"records": [{"kind": "editions", "festivalKey": "wacken",
                                                                 "year": 2028}]}, format="json")
    etag = full.get(f"/api/admin/releases/{pk}")["ETag"]
    error = assert_envelope(full.post(f"/api/admin/releases/{pk}/approve", HTTP_IF_MATCH=etag), 422, "VALIDATION_ERROR")
    assert "orphan-band" in error["details"]["problems"][0]
    full.post(f"/api/admin/releases/{pk}/records", {"records": [{"kind": "bands", "key": "orphan-band"}]}, format="json")
    assert_envelope(full.post(f"/api/admin/releases/{pk}/approve", HTTP_IF_MATCH=etag), 409, "CONCURRENT_EDIT")
    cancelled = full.post(f"/api/admin/releases/{pk}/cancel")
    assert cancelled.json()["release"]["state"] == "cancelled"
    edition.refresh_from_db()
    assert edition.review_status == ReviewStatus.IN_REVIEW
