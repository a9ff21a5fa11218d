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


def test_four_eyes_in_the_api_a_named_refusal_and_an_audited_override(key_client, settings):
    """With REVIEW_FOUR_EYES on, a full admin's own change is refused with 403 FOUR_EYES (saying how to break
    glass); with an overrideJustification it is approved, and the audit entry carries the justification."""
    from audit.models import AuditAction, AuditEntry

    settings.REVIEW_FOUR_EYES = True
    full, other = key_client("AdminFull", "chief"), key_client("AdminFull", "deputy")
    full.post("/api/admin/genres", {"key": "doom", "name": "Doom", "submitForReview": True}, format="json")
    version = full.get("/api/admin/genres/doom")["ETag"]
    error = assert_envelope(full.post("/api/admin/genres/doom/approve", HTTP_IF_MATCH=version), 403, "FOUR_EYES")
    assert "someone else must approve" in error["message"]
    assert error["details"]["why"] == "submitted" and error["details"]["mayOverride"] is True
    assert Genre.objects.get(key="doom").review_status == ReviewStatus.IN_REVIEW
    blank = full.post("/api/admin/genres/doom/approve", {"overrideJustification": "   "}, format="json",
                      HTTP_IF_MATCH=version)
    assert_envelope(blank, 403, "FOUR_EYES")  # an empty justification is no justification
    approved = full.post("/api/admin/genres/doom/approve", {"overrideJustification": "On call alone tonight"},
                         format="json", HTTP_IF_MATCH=version)
    assert approved.status_code == 200, approved.json()
    entry = AuditEntry.objects.filter(action=AuditAction.APPROVE).latest("pk")
    assert entry.detail["four_eyes_override"] == {"why": "approver submitted it", "justification": "On call alone tonight"}
    # Someone else needs no override.
    other.post("/api/admin/genres", {"key": "drone", "name": "Drone", "submitForReview": True}, format="json")
    assert full.post("/api/admin/genres/drone/approve", HTTP_IF_MATCH=full.get("/api/admin/genres/drone")["ETag"]
                     ).status_code == 200


def test_return_to_draft_in_the_api_needs_a_reason(key_client):
    editor, full = key_client("AdminEditor"), key_client("AdminFull")
    editor.post("/api/admin/genres", {"key": "crust", "name": "Crust", "submitForReview": True}, format="json")
    version = full.get("/api/admin/genres/crust")["ETag"]
    error = assert_envelope(full.post("/api/admin/genres/crust/return-to-draft", HTTP_IF_MATCH=version),
                            400, "VALIDATION_ERROR")
    assert "reason" in error["details"]
    assert Genre.objects.get(key="crust").review_status == ReviewStatus.IN_REVIEW
    assert_envelope(full.post("/api/admin/genres/crust/return-to-draft", {"reason": 7}, format="json",
                              HTTP_IF_MATCH=version), 400, "VALIDATION_ERROR")
    returned = full.post("/api/admin/genres/crust/return-to-draft", {"reason": "Needs a description"},
                         format="json", HTTP_IF_MATCH=version)
    assert returned.status_code == 200, returned.json()
    genre = Genre.objects.get(key="crust")
    assert genre.review_status == ReviewStatus.DRAFT
    assert genre.history.first().history_change_reason == "Returned to draft: Needs a description"
