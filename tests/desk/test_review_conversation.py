"""Review as a conversation (a reason to return, a comment with an approval) and two pairs of eyes."""

import pytest
from django.urls import reverse

from audit.models import AuditAction, AuditEntry
from catalog import services
from catalog.models import Band, ReviewStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


def _workflow(client, band, name, **data):
    url = reverse("admin:catalog_band_workflow", args=[band.pk, name])
    return client.post(url, {"version": Band.objects.get(pk=band.pk).version, **data}, follow=True)


def _submitted_band(editor):
    band = f.band(name="Grave Orchard")
    services.record_submit_for_review(record=band, user=editor)
    return band


def test_return_to_draft_needs_a_reason_and_the_editor_reads_it(client):
    editor, chief = f.user_in("AdminEditor"), f.user_in("AdminFull")
    band = _submitted_band(editor)
    client.force_login(chief)
    page = _workflow(client, band, "return_to_draft").content.decode()
    assert "say why" in page
    assert Band.objects.get(pk=band.pk).review_status == ReviewStatus.IN_REVIEW

    _workflow(client, band, "return_to_draft", reason="The drummer left in 2019.")
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.DRAFT
    assert band.history.first().history_change_reason == "Returned to draft: The drummer left in 2019."

    client.force_login(editor)
    change = client.get(reverse("admin:catalog_band_change", args=[band.pk])).content.decode()
    assert 'id="return-reason"' in change and "The drummer left in 2019." in change
    queue = client.get(reverse("admin:review_queue")).content.decode()
    assert "returned to draft" in queue and "The drummer left in 2019." in queue

    # Resubmitted, the reason is no longer shown as pending.
    services.record_submit_for_review(record=band, user=editor)
    services.record_return_to_draft(record=band, user=chief, reason="")  # an API return without words
    services.record_save(record=Band.objects.get(pk=band.pk), user=editor)
    services.record_submit_for_review(record=band, user=editor)
    change = client.get(reverse("admin:catalog_band_change", args=[band.pk])).content.decode()
    assert 'id="return-reason"' not in change


def test_bulk_return_asks_for_one_reason(client):
    editor, chief = f.user_in("AdminEditor"), f.user_in("AdminFull")
    bands = [_submitted_band(editor), _submitted_band(editor)]
    client.force_login(chief)
    changelist = reverse("admin:catalog_band_changelist")
    ids = [b.pk for b in bands]
    confirm = client.post(changelist, {"action": "return_selected_to_draft", "_selected_action": ids})
    assert confirm.status_code == 200 and b'name="reason"' in confirm.content
    versions = {f"version-{b.pk}": Band.objects.get(pk=b.pk).version for b in bands}
    empty = client.post(changelist, {"action": "return_selected_to_draft", "_selected_action": ids, "post": "yes",
                                     "reason": "  ", **versions})
    assert b"Say why" in empty.content
    assert all(Band.objects.get(pk=pk).review_status == ReviewStatus.IN_REVIEW for pk in ids)
    client.post(changelist, {"action": "return_selected_to_draft", "_selected_action": ids, "post": "yes",
                             "reason": "Missing countries", **versions})
    assert all(Band.objects.get(pk=pk).review_status == ReviewStatus.DRAFT for pk in ids)
    entries = AuditEntry.objects.filter(action=AuditAction.RETURN_TO_DRAFT)
    assert [e.detail["reason"] for e in entries] == ["Missing countries"] * 2


def test_an_approval_comment_goes_into_the_history(client):
    editor, chief = f.user_in("AdminEditor"), f.user_in("AdminFull")
    band = _submitted_band(editor)
    client.force_login(chief)
    _workflow(client, band, "approve", comment="Nice work on the members.")
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.APPROVED
    assert band.history.first().history_change_reason == "Approved: Nice work on the members."
    assert AuditEntry.objects.get(action=AuditAction.APPROVE).detail["comment"] == "Nice work on the members."


def test_saving_records_who_last_edited(client):
    editor = f.user_in("AdminEditor")
    band = f.band()
    assert band.last_edited_by is None  # the system
    services.record_save(record=band, user=editor)
    assert Band.objects.get(pk=band.pk).last_edited_by == editor


@pytest.fixture
def four_eyes(settings):
    settings.REVIEW_FOUR_EYES = True


def test_four_eyes_the_submitter_cannot_approve_even_as_superuser(four_eyes):
    chief = f.user_in("AdminFull")
    chief.is_superuser = True
    chief.save()
    band = _submitted_band(chief)
    with pytest.raises(services.FourEyesError):
        services.record_approve(record=band, user=chief, expected_version=band.version)
    assert Band.objects.get(pk=band.pk).review_status == ReviewStatus.IN_REVIEW


def test_four_eyes_the_last_editor_cannot_approve(four_eyes):
    editor, chief, other = f.user_in("AdminEditor"), f.user_in("AdminFull"), f.user_in("AdminFull")
    band = f.band()
    services.record_save(record=band, user=chief)
    services.record_submit_for_review(record=band, user=editor)
    with pytest.raises(services.FourEyesError, match="last edited"):
        services.record_approve(record=band, user=chief, expected_version=band.version)
    services.record_approve(record=band, user=other, expected_version=band.version)
    assert Band.objects.get(pk=band.pk).review_status == ReviewStatus.APPROVED


def test_four_eyes_off_lets_the_submitter_approve(settings):
    settings.REVIEW_FOUR_EYES = False
    chief = f.user_in("AdminFull")
    band = _submitted_band(chief)
    services.record_approve(record=band, user=chief, expected_version=band.version)
    assert Band.objects.get(pk=band.pk).review_status == ReviewStatus.APPROVED


def test_four_eyes_override_needs_a_justification_and_is_audited(four_eyes, client):
    chief = f.user_in("AdminFull")
    band = _submitted_band(chief)
    client.force_login(chief)
    change = client.get(reverse("admin:catalog_band_change", args=[band.pk])).content.decode()
    assert 'id="four-eyes-note"' in change and 'name="override_justification"' in change
    page = _workflow(client, band, "approve", override="on").content.decode()
    assert "needs a justification" in page
    assert Band.objects.get(pk=band.pk).review_status == ReviewStatus.IN_REVIEW
    page = _workflow(client, band, "approve").content.decode()
    assert "two pairs of eyes" in page
    assert Band.objects.get(pk=band.pk).review_status == ReviewStatus.IN_REVIEW

    _workflow(client, band, "approve", override="on", override_justification="Festival starts in an hour, nobody else on duty")
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.APPROVED
    entry = AuditEntry.objects.get(action=AuditAction.APPROVE)
    assert entry.detail["four_eyes_override"] == {
        "why": "approver submitted it", "justification": "Festival starts in an hour, nobody else on duty"}
    assert band.history.first().history_change_reason.startswith("Approved (own change, override)")


def test_four_eyes_override_is_not_for_editors_with_approval_rights(four_eyes):
    from django.contrib.auth.models import Permission

    editor = f.user_in("AdminEditor")
    editor.user_permissions.add(Permission.objects.get(codename="approve_band"))
    editor = type(editor).objects.get(pk=editor.pk)
    band = _submitted_band(editor)
    with pytest.raises(services.FourEyesError):
        services.record_approve(record=band, user=editor, expected_version=band.version, override_justification="because")


def _bulk_approve(client, bands, **data):
    changelist = reverse("admin:catalog_band_changelist")
    versions = {f"version-{b.pk}": Band.objects.get(pk=b.pk).version for b in bands}
    return client.post(changelist, {"action": "approve_selected", "post": "yes",
                                    "_selected_action": [b.pk for b in bands], **versions, **data}, follow=True)


def test_bulk_approval_carries_the_comment_into_each_history_and_audit_entry(client):
    editor, chief = f.user_in("AdminEditor"), f.user_in("AdminFull")
    first, second = _submitted_band(editor), f.band(name="Ash Lantern")
    services.record_submit_for_review(record=second, user=editor)
    client.force_login(chief)
    confirm = client.post(reverse("admin:catalog_band_changelist"),
                          {"action": "approve_selected", "_selected_action": [first.pk, second.pk]}).content.decode()
    assert 'name="comment"' in confirm and 'id="four-eyes-override"' not in confirm  # nothing of the chief's own
    _bulk_approve(client, [first, second], comment="  Checked against   the announcement ")
    for band in (first, second):
        band.refresh_from_db()
        assert band.review_status == ReviewStatus.APPROVED
        assert band.history.first().history_change_reason == "Approved: Checked against the announcement"
        entry = AuditEntry.objects.filter(action=AuditAction.APPROVE, object_pk=str(band.pk)).get()
        assert entry.detail["comment"] == "Checked against the announcement"


def test_bulk_approval_under_four_eyes_names_own_changes_and_overrides_only_with_a_justification(four_eyes, client):
    editor, chief = f.user_in("AdminEditor"), f.user_in("AdminFull")
    theirs = _submitted_band(editor)
    mine = f.band(name="Chief's Own")
    services.record_submit_for_review(record=mine, user=chief)
    client.force_login(chief)
    confirm = client.post(reverse("admin:catalog_band_changelist"),
                          {"action": "approve_selected", "_selected_action": [theirs.pk, mine.pk]}).content.decode()
    assert 'id="four-eyes-override"' in confirm and "You submitted it" in confirm

    # Without the override the chief's own change is refused, the other approved.
    page = _bulk_approve(client, [theirs, mine]).content.decode()
    assert "someone else must approve" in page
    assert Band.objects.get(pk=theirs.pk).review_status == ReviewStatus.APPROVED
    assert Band.objects.get(pk=mine.pk).review_status == ReviewStatus.IN_REVIEW

    # A ticked override without a justification approves nothing and says why.
    page = _bulk_approve(client, [mine], override="on", override_justification="  ").content.decode()
    assert "needs a justification" in page
    assert Band.objects.get(pk=mine.pk).review_status == ReviewStatus.IN_REVIEW

    _bulk_approve(client, [mine], override="on", override_justification="Announcement goes out in ten minutes")
    assert Band.objects.get(pk=mine.pk).review_status == ReviewStatus.APPROVED
    entry = AuditEntry.objects.filter(action=AuditAction.APPROVE, object_pk=str(mine.pk)).get()
    assert entry.detail["four_eyes_override"]["justification"] == "Announcement goes out in ten minutes"
