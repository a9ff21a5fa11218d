"""The admin API binds an approval to the version reviewed (issue: an edit slipping in after review)."""

import pytest

from catalog.models import Genre, ReviewStatus
from publishing.models import PublishTask

from .conftest import assert_envelope

pytestmark = pytest.mark.django_db


def test_an_edit_after_review_is_never_approved_with_the_old_version(key_client):
    editor, full = key_client("AdminEditor"), key_client("AdminFull")
    created = editor.post("/api/admin/genres", {"key": "sludge", "name": "Sludge", "description": "Reviewed",
                                                 "submitForReview": True}, format="json")
    assert created.status_code == 201, created.json()
    reviewed = full.get("/api/admin/genres/sludge")
    version = reviewed["ETag"]
    assert reviewed.json()["genre"]["reviewStatus"] == ReviewStatus.IN_REVIEW
    edited = editor.put("/api/admin/genres/sludge", {"name": "Sludge", "description": "Nobody reviewed this"},
                        format="json", HTTP_IF_MATCH=version)
    assert edited.status_code == 200, edited.json()
    assert edited.json()["genre"]["reviewStatus"] == ReviewStatus.DRAFT  # a change in review needs a new review
    tasks = PublishTask.objects.count()
    error = assert_envelope(full.post("/api/admin/genres/sludge/approve", HTTP_IF_MATCH=version), 409, "CONCURRENT_EDIT")
    assert "Sludge" in error["message"] and error["details"]["currentVersion"] > int(version.strip('"'))
    genre = Genre.objects.get(key="sludge")
    assert genre.published_snapshot is None and PublishTask.objects.count() == tasks
    # Resubmitted and reviewed again, the new version is approved: exactly the text the approver saw.
    editor.post("/api/admin/genres/sludge/submit", HTTP_IF_MATCH=edited["ETag"])
    again = full.get("/api/admin/genres/sludge")
    approved = full.post("/api/admin/genres/sludge/approve", {"comment": "Checked"}, format="json",
                         HTTP_IF_MATCH=again["ETag"])
    assert approved.status_code == 200, approved.json()
    assert Genre.objects.get(key="sludge").published_snapshot["description"] == "Nobody reviewed this"


def test_approve_without_a_version_is_428_and_changes_nothing(key_client):
    editor, full = key_client("AdminEditor"), key_client("AdminFull")
    editor.post("/api/admin/genres", {"key": "drone", "name": "Drone", "submitForReview": True}, format="json")
    error = assert_envelope(full.post("/api/admin/genres/drone/approve"), 428, "PRECONDITION_REQUIRED")
    assert "If-Match" in error["message"]
    assert Genre.objects.get(key="drone").review_status == ReviewStatus.IN_REVIEW
    # The body's `version` names it too.
    version = Genre.objects.get(key="drone").version
    assert full.post("/api/admin/genres/drone/approve", {"version": version}, format="json").status_code == 200
