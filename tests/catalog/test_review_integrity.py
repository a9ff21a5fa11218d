"""What an approver approves is exactly what goes public: approvals name a version, workflow steps move it,
content saves never write the workflow's fields, and the history shows every step."""

import threading
import time

import pytest
from django.db import connection, transaction
from django.urls import reverse

from catalog import services
from catalog.models import Genre, ReviewStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor():
    return f.user_in("AdminEditor")


@pytest.fixture
def full():
    return f.user_in("AdminFull")


def _in_review(editor, **fields):
    genre = f.genre(**fields)
    services.record_submit_for_review(record=genre, user=editor, expected_version=genre.version)
    genre.refresh_from_db()
    return genre


# --- 1. the review binds to what was reviewed ----------------------------------------------------


def test_an_edit_after_review_sends_the_record_back_to_draft_and_the_old_approval_is_refused(editor, full):
    genre = _in_review(editor, description="Reviewed text")
    reviewed = genre.version
    copy = Genre.objects.get(pk=genre.pk)
    copy.description = "Text nobody reviewed"
    services.record_save(record=copy, user=editor, expected_version=reviewed)
    copy.refresh_from_db()
    assert copy.review_status == ReviewStatus.DRAFT and copy.version > reviewed
    with pytest.raises(services.ConcurrentEditError):
        services.record_approve(record=Genre.objects.get(pk=genre.pk), user=full, expected_version=reviewed)
    genre.refresh_from_db()
    assert genre.published_snapshot is None and genre.review_status == ReviewStatus.DRAFT


def test_a_person_must_name_the_version_they_approve(editor, full):
    genre = _in_review(editor)
    with pytest.raises(services.VersionRequiredError):
        services.record_approve(record=genre, user=full)
    services.record_approve(record=genre, user=full, expected_version=genre.version)
    genre.refresh_from_db()
    assert genre.review_status == ReviewStatus.APPROVED


def test_a_save_that_changes_nothing_public_keeps_the_record_in_review(editor):
    genre = _in_review(editor, description="Same")
    copy = Genre.objects.get(pk=genre.pk)
    services.record_save(record=copy, user=editor, expected_version=genre.version)
    copy.refresh_from_db()
    assert copy.review_status == ReviewStatus.IN_REVIEW


@pytest.mark.django_db(transaction=True)
def test_an_edit_racing_an_approval_on_two_connections_is_never_approved_unseen(editor, full):
    """The editor's save holds its transaction open while the approver approves the version they reviewed."""
    genre = _in_review(editor, description="Reviewed text")
    reviewed = genre.version
    saved, release = threading.Event(), threading.Event()
    outcome = {}

    def edit():
        try:
            with transaction.atomic():
                copy = Genre.objects.get(pk=genre.pk)
                copy.description = "Text nobody reviewed"
                services.record_save(record=copy, user=editor, expected_version=reviewed)
                saved.set()
                release.wait(10)
        finally:
            connection.close()

    def approve():
        try:
            saved.wait(10)
            record = Genre.objects.get(pk=genre.pk)
            services.record_approve(record=record, user=full, expected_version=reviewed)
            outcome["approve"] = "approved"
        except services.ConcurrentEditError:
            outcome["approve"] = "refused"
        finally:
            connection.close()

    threads = [threading.Thread(target=edit), threading.Thread(target=approve)]
    for thread in threads:
        thread.start()
    saved.wait(10)
    time.sleep(0.5)  # the approver is now waiting for the editor's lock
    release.set()
    for thread in threads:
        thread.join(30)
    genre.refresh_from_db()
    assert outcome == {"approve": "refused"}
    assert genre.published_snapshot is None and genre.review_status == ReviewStatus.DRAFT


# --- 2. a stale save cannot undo a workflow step ------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_stale_copy_saved_after_an_unpublish_does_not_republish(editor, full):
    genre = f.approved(f.genre(description="Public"))
    stale = Genre.objects.get(pk=genre.pk)  # an editor's form, loaded before the unpublish

    def unpublish():  # another request, on its own connection
        try:
            services.record_unpublish(record=Genre.objects.get(pk=genre.pk), user=full)
        finally:
            connection.close()

    other = threading.Thread(target=unpublish)
    other.start()
    other.join(30)
    stale.description = "Edited"
    with pytest.raises(services.ConcurrentEditError):
        services.record_save(record=stale, user=editor, expected_version=stale.version)
    # Even a save that names no version writes content only: the unpublish stands.
    services.record_save(record=stale, user=editor)
    genre.refresh_from_db()
    assert genre.published_snapshot is None and genre.description == "Edited"
    assert not Genre.objects.published().filter(pk=genre.pk).exists()


def test_every_workflow_step_moves_the_version(editor, full):
    genre = f.genre()
    versions = [genre.version]
    services.record_submit_for_review(record=genre, user=editor)
    versions.append(genre.version)
    services.record_return_to_draft(record=genre, user=full, reason="Needs a source")
    versions.append(genre.version)
    services.record_submit_for_review(record=genre, user=editor)
    services.record_approve(record=genre, user=full, expected_version=genre.version)
    versions.append(genre.version)
    services.record_rename_key(record=genre, user=full, new_key="renamed-genre")
    versions.append(genre.version)
    services.record_unpublish(record=genre, user=full)
    versions.append(genre.version)
    assert versions == sorted(set(versions)) and len(versions) == 6
    assert Genre.objects.get(pk=genre.pk).version == versions[-1]


def test_a_stale_copy_cannot_rename_a_published_key(editor):
    genre = f.approved(f.genre(key="doom"))
    genre.key = "doom-metal"
    with pytest.raises(services.ValidationError) as excinfo:
        services.record_save(record=genre, user=editor)
    assert "Rename key" in excinfo.value.messages[0]
    assert Genre.objects.get(pk=genre.pk).key == "doom"


# --- 3. history tells the truth -------------------------------------------------------------------------


def test_history_shows_each_workflow_step_by_whom(client, editor, full):
    genre = f.approved(f.genre(name="Sludge"))
    genre.description = "Thick"
    services.record_save(record=genre, user=editor, expected_version=genre.version)
    services.record_submit_for_review(record=genre, user=editor)
    services.record_return_to_draft(record=genre, user=full, reason="Name the origin")
    services.record_submit_for_review(record=genre, user=editor)
    services.record_approve(record=genre, user=full, expected_version=genre.version, comment="Good")
    rows = list(genre.history.order_by("history_date", "history_id"))
    steps = [(row.history_change_reason, row.history_user, row.review_status) for row in rows[-6:]]
    assert steps == [
        ("Edited", editor, ReviewStatus.APPROVED),
        ("Back to draft: changed after approval", editor, ReviewStatus.DRAFT),
        ("Submitted for review", editor, ReviewStatus.IN_REVIEW),
        ("Returned to draft: Name the origin", full, ReviewStatus.DRAFT),
        ("Submitted for review", editor, ReviewStatus.IN_REVIEW),
        ("Approved: Good", full, ReviewStatus.APPROVED),
    ]
    # No row claims a status change that did not happen at that step.
    edit_row = rows[-6]
    delta = edit_row.diff_against(edit_row.prev_record)
    assert "review_status" not in delta.changed_fields and "description" in delta.changed_fields
    client.force_login(full)
    page = client.get(reverse("admin:catalog_genre_history", args=[genre.pk]))
    assert page.status_code == 200
    for reason in ("Submitted for review", "Returned to draft: Name the origin", "Approved: Good"):
        assert reason in page.text


# --- the admin binds approvals to the version on screen ------------------------------------------------


def test_admin_approve_button_refuses_a_version_changed_since_the_page_was_opened(client, editor, full):
    genre = _in_review(editor, description="Reviewed")
    client.force_login(full)
    page = client.get(reverse("admin:catalog_genre_change", args=[genre.pk]))
    assert f'name="version" value="{genre.version}"' in page.text
    copy = Genre.objects.get(pk=genre.pk)
    copy.description = "Slipped in"
    services.record_save(record=copy, user=editor, expected_version=genre.version)
    services.record_submit_for_review(record=copy, user=editor)  # even back in review, it is another version
    response = client.post(reverse("admin:catalog_genre_workflow", args=[genre.pk, "approve"]),
                           {"version": genre.version}, follow=True)
    assert "changed by someone else" in response.text
    genre.refresh_from_db()
    assert genre.published_snapshot is None


def test_admin_bulk_approval_approves_the_versions_confirmed_and_refuses_the_rest(client, editor, full):
    kept, changed = _in_review(editor, name="Kept"), _in_review(editor, name="Changed")
    client.force_login(full)
    changelist = reverse("admin:catalog_genre_changelist")
    confirm = client.post(changelist, {"action": "approve_selected", "_selected_action": [kept.pk, changed.pk]})
    assert confirm.status_code == 200 and "Approve these versions" in confirm.text
    copy = Genre.objects.get(pk=changed.pk)
    copy.description = "Slipped in"
    services.record_save(record=copy, user=editor, expected_version=changed.version)
    services.record_submit_for_review(record=copy, user=editor)
    response = client.post(changelist, {
        "action": "approve_selected", "post": "yes", "_selected_action": [kept.pk, changed.pk],
        f"version-{kept.pk}": kept.version, f"version-{changed.pk}": changed.version,
    }, follow=True)
    assert "changed by someone else" in response.text
    kept.refresh_from_db()
    changed.refresh_from_db()
    assert kept.review_status == ReviewStatus.APPROVED
    assert changed.review_status == ReviewStatus.IN_REVIEW and changed.published_snapshot is None


def test_a_stale_copy_deleted_after_an_approval_takes_the_public_copy_down_too(editor, full):
    from catalog.signals import public_state_changed

    genre = f.genre(name="Stale")
    stale = Genre.objects.get(pk=genre.pk)  # loaded while still a draft
    f.approved(genre)
    received = []

    def receiver(**kwargs):
        received.append(kwargs["change"])

    public_state_changed.connect(receiver, weak=False)
    try:
        services.record_delete(record=stale, user=full)
    finally:
        public_state_changed.disconnect(receiver)
    assert received == ["delete"]  # the public copy goes too, though the stale copy had none
    assert not Genre.objects.filter(pk=genre.pk).exists()


def test_a_delete_naming_an_old_version_is_refused(editor, full):
    genre = f.genre()
    old = genre.version
    services.record_submit_for_review(record=genre, user=editor)
    with pytest.raises(services.ConcurrentEditError):
        services.record_delete(record=genre, user=full, expected_version=old)
    assert Genre.objects.filter(pk=genre.pk).exists()


def test_editions_offer_no_key_rename(client, full):
    edition = f.edition(f.festival())
    client.force_login(full)
    page = client.get(reverse("admin:catalog_edition_change", args=[edition.pk]))
    assert page.status_code == 200 and "Rename key" not in page.text
    assert client.get(reverse("admin:catalog_edition_rename", args=[edition.pk])).status_code == 404
    assert client.post(reverse("admin:catalog_edition_rename", args=[edition.pk]), {"new_key": "x"}).status_code == 404
    with pytest.raises(services.ValidationError):
        services.record_rename_key(record=edition, user=full, new_key="x")
