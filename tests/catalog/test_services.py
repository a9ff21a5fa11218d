"""The review workflow, permissions per group, snapshots, concurrency and history, through catalog.services."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from audit.models import AuditAction, AuditEntry
from catalog import services
from catalog.models import Band, FestivalAlias, LineupEntry, Member, ReviewStatus
from catalog.signals import public_state_changed
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def signals():
    received = []

    def receiver(**kwargs):
        received.append(kwargs)

    public_state_changed.connect(receiver, weak=False)
    yield received
    public_state_changed.disconnect(receiver)


@pytest.fixture
def viewer():
    return f.user_in("AdminViewer")


@pytest.fixture
def editor():
    return f.user_in("AdminEditor")


@pytest.fixture
def full():
    return f.user_in("AdminFull")


def test_new_records_start_as_drafts_and_are_not_public():
    band = f.band()
    assert band.review_status == ReviewStatus.DRAFT
    assert band.published_snapshot is None
    assert not Band.objects.published().exists()


def test_editor_submits_full_admin_approves(editor, full, signals):
    heavy = f.approved(f.genre(key="heavy-metal", name="Heavy Metal"))
    vocals = f.role(key="vocals", name="Vocals", category="voice")
    band = f.band(key="iron-lantern", name="Iron Lantern", country="SE", genres=[heavy], members=[("Alva", [vocals])])
    services.record_submit_for_review(record=band, user=editor)
    services.record_approve(record=band, user=full, expected_version=band.version)
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.APPROVED
    assert band.approved_by == full and band.approved_at is not None
    assert band.published_revision == 1
    assert band.published_snapshot["name"] == "Iron Lantern"
    assert band.published_snapshot["country"] == "Sweden"
    assert band.published_snapshot["genreKeys"] == ["heavy-metal"]
    assert band.published_snapshot["members"] == [{"name": "Alva", "roleKeys": ["vocals"]}]
    assert [s["change"] for s in signals if s["record"] == band] == ["publish"]


@pytest.mark.parametrize("group", ["AdminViewer", "AdminEditor"])
def test_only_full_admins_approve(group):
    user = f.user_in(group)
    band = f.band()
    services.record_submit_for_review(record=band, user=None)
    with pytest.raises(PermissionDenied):
        services.record_approve(record=band, user=user)
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.IN_REVIEW and band.published_snapshot is None


def test_viewer_can_neither_change_nor_submit(viewer):
    band = f.band()
    band.name = "Changed"
    with pytest.raises(PermissionDenied):
        services.record_save(record=band, user=viewer, expected_version=band.version)
    with pytest.raises(PermissionDenied):
        services.record_submit_for_review(record=band, user=viewer)
    assert Band.objects.get(pk=band.pk).name != "Changed"


def test_editor_cannot_delete_or_unpublish(editor):
    band = f.approved(f.band())
    with pytest.raises(PermissionDenied):
        services.record_delete(record=band, user=editor)
    with pytest.raises(PermissionDenied):
        services.record_unpublish(record=band, user=editor)
    assert Band.objects.filter(pk=band.pk).exists()


@pytest.mark.parametrize(
    "status, transition",
    [
        ("draft", services.record_approve),
        ("draft", services.record_return_to_draft),
        ("in_review", services.record_submit_for_review),
        ("approved", services.record_submit_for_review),
        ("approved", services.record_approve),
    ],
)
def test_illegal_transitions_are_refused_with_a_clear_error(status, transition, full):
    band = f.band()
    if status in ("in_review", "approved"):
        services.record_submit_for_review(record=band, user=full)
    if status == "approved":
        services.record_approve(record=band, user=full, expected_version=band.version)
    with pytest.raises(services.WorkflowError) as excinfo:
        transition(record=band, user=full, expected_version=band.version)
    assert band.name in excinfo.value.messages[0]
    band.refresh_from_db()
    assert band.review_status == status


def test_editing_an_approved_record_keeps_the_public_copy_until_approved_again(editor, full, signals):
    band = f.approved(f.band(name="Old Name"))
    signals.clear()
    band.name = "New Name"
    services.record_save(record=band, user=editor, expected_version=band.version)
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.DRAFT
    assert band.published_snapshot["name"] == "Old Name"
    assert signals == []  # nothing public changed
    services.record_submit_for_review(record=band, user=editor)
    services.record_approve(record=band, user=full, expected_version=band.version)
    band.refresh_from_db()
    assert band.published_snapshot["name"] == "New Name" and band.published_revision == 2
    assert signals[0]["before"]["name"] == "Old Name" and signals[0]["after"]["name"] == "New Name"


def test_second_save_from_a_stale_version_is_refused_and_overwrites_nothing(editor):
    band = f.band(name="Original")
    first, second = Band.objects.get(pk=band.pk), Band.objects.get(pk=band.pk)
    started_from = first.version
    first.name = "First editor"
    services.record_save(record=first, user=editor, expected_version=started_from)
    second.name = "Second editor"
    with pytest.raises(services.ConcurrentEditError) as excinfo:
        services.record_save(record=second, user=editor, expected_version=started_from)
    assert "changed by someone else" in excinfo.value.messages[0]
    assert Band.objects.get(pk=band.pk).name == "First editor"


def test_return_to_draft_leaves_public_copy_and_unpublish_removes_it(full, signals):
    band = f.approved(f.band(name="Live"))
    band.name = "Pending"
    services.record_save(record=band, user=full)
    services.record_submit_for_review(record=band, user=full)
    services.record_return_to_draft(record=band, user=full)
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.DRAFT and band.published_snapshot["name"] == "Live"
    signals.clear()
    services.record_unpublish(record=band, user=full)
    band.refresh_from_db()
    assert band.published_snapshot is None
    assert [s["change"] for s in signals] == ["unpublish"] and signals[0]["before"]["name"] == "Live"


def test_band_on_a_lineup_cannot_be_deleted(full):
    band = f.band()
    f.edition(f.festival(), bands=[band])
    with pytest.raises(ValidationError) as excinfo:
        services.record_delete(record=band, user=full)
    assert "lineup" in excinfo.value.messages[0]
    assert Band.objects.filter(pk=band.pk).exists()


def test_deleting_a_published_record_signals_its_removal(full, signals):
    genre = f.approved(f.genre(key="sludge", name="Sludge"))
    signals.clear()
    services.record_delete(record=genre, user=full)
    assert signals[0]["change"] == "delete" and signals[0]["before"]["key"] == "sludge"


def test_renaming_a_published_festival_key_records_an_alias(full, signals):
    festival = f.approved(f.festival(key="wacken-2026", name="Wacken"))
    signals.clear()
    services.record_rename_key(record=festival, user=full, new_key="wacken")
    festival.refresh_from_db()
    assert festival.key == "wacken" and festival.published_snapshot["key"] == "wacken"
    assert FestivalAlias.objects.get(key="wacken-2026").festival == festival
    assert signals[0]["change"] == "rename" and signals[0]["previous_key"] == "wacken-2026"
    with pytest.raises(ValidationError):
        services.record_rename_key(record=f.festival(key="other"), user=full, new_key="wacken-2026")
    with pytest.raises(ValidationError):
        services.record_rename_key(record=festival, user=full, new_key="Not A Slug")


def test_every_change_is_audited_with_field_changes(editor, full):
    band = f.band(name="Before")
    band.name = "After"
    services.record_save(record=band, user=editor, expected_version=band.version)
    services.record_submit_for_review(record=band, user=editor)
    services.record_approve(record=band, user=full, expected_version=band.version)
    entries = list(AuditEntry.objects.filter(object_pk=str(band.pk)).order_by("id"))
    assert [e.action for e in entries] == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.SUBMIT, AuditAction.APPROVE]
    assert entries[1].changes == {"name": ["Before", "After"]} and entries[1].actor == editor
    assert entries[3].actor == full


def test_member_and_lineup_changes_are_in_the_history(editor):
    vocals = f.role()
    band = f.band(members=[("First", [vocals])])
    member = band.members.get()
    member.name = "Renamed"
    member.save()
    history = list(member.history.order_by("history_date"))
    assert history[0].name == "First" and history[-1].name == "Renamed"
    delta = history[-1].diff_against(history[-2])
    assert [(c.field, c.old, c.new) for c in delta.changes] == [("name", "First", "Renamed")]


def test_revert_restores_an_earlier_version_as_a_draft(full):
    band = f.approved(f.band(name="Good Name"))
    good = band.history.order_by("history_date").last()
    band.name = "Vandalised"
    services.record_save(record=band, user=full)
    services.record_revert(record=band, user=full, history_id=good.history_id)
    band.refresh_from_db()
    assert band.name == "Good Name" and band.review_status == ReviewStatus.DRAFT
    with pytest.raises(PermissionDenied):
        services.record_revert(record=band, user=f.user_in("AdminEditor"), history_id=good.history_id)


def test_revert_restores_genres_members_and_their_roles_as_they_were(full):
    import time

    heavy, doom = f.genre(name="Heavy"), f.genre(name="Doom")
    vocals, guitar = f.role(name="Vocals"), f.role(name="Guitar")
    band = f.approved(f.band(name="Good", genres=[heavy], members=[("Singer", [vocals]), ("Player", [guitar])]))
    good = band.history.order_by("history_date", "history_id").last()
    time.sleep(0.01)  # history is ordered by time: the vandalism must come after the good version

    def vandalise(record):
        record.genres.set([doom])
        record.members.filter(name="Player").delete()
        singer = record.members.get(name="Singer")
        singer.name = "Spam"
        singer.save()
        singer.roles.set([guitar])
        Member.objects.create(band=record, name="Intruder", order=9)

    band.name = "Vandalised"
    services.record_save(record=band, user=full, save_related=vandalise)
    services.record_revert(record=band, user=full, history_id=good.history_id)
    band.refresh_from_db()
    snapshot = services.build_snapshot(band)
    assert band.name == "Good" and snapshot["genreKeys"] == [heavy.key]
    assert snapshot["members"] == [
        {"name": "Singer", "roleKeys": [vocals.key]},
        {"name": "Player", "roleKeys": [guitar.key]},
    ]


def test_revert_restores_an_editions_lineup(full):
    import time

    first, second, third = f.band(), f.band(), f.band()
    edition = f.approved(f.edition(f.festival(), bands=[first, second]))
    good = edition.history.order_by("history_date", "history_id").last()
    time.sleep(0.01)

    def reshuffle(record):
        record.lineup.all().delete()
        LineupEntry.objects.create(edition=record, band=second, order=0, billing_size=0)
        LineupEntry.objects.create(edition=record, band=third, order=1)

    services.record_save(record=edition, user=full, save_related=reshuffle)
    services.record_revert(record=edition, user=full, history_id=good.history_id)
    bands = [(e["key"], e["size"]) for e in services.build_snapshot(edition)["bands"]]
    assert bands == [(first.key, 0), (second.key, 1)]


def test_mark_reviewed_is_an_edit_awaiting_approval(editor):
    band = f.approved(f.band(reviewed=False))
    services.band_set_reviewed(band=band, user=editor, reviewed=True)
    band.refresh_from_db()
    assert band.reviewed is True and band.review_status == ReviewStatus.DRAFT
    assert band.published_snapshot["reviewed"] is False
