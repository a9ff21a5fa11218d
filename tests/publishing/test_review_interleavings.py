"""Property: whatever two editors and an approver do, in any order, the public tier is exactly the approved versions.

Random interleavings (hypothesis) of opening a form, saving it (with its version, or stale and without
one), submitting, reviewing, approving the reviewed version, returning to draft and unpublishing, with
publishing drained between steps. After every step each record's public copy is what the approver saw
when they reviewed it (or nothing after an unpublish), and the DynamoDB table equals a fresh republish
of those copies.
"""

import itertools

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import services
from catalog.models import Band, Genre
from catalog.snapshots import build_snapshot
from publishing.worker import drain
from tests import factories as f

from .scenarios import published_world
from .test_reliability import expected_table, strip_rev

pytestmark = [pytest.mark.django_db, pytest.mark.dynamodb, pytest.mark.slow]
_texts = itertools.count(1)
RECORDS = [(Genre, "heavy-metal"), (Band, "metallica")]
ACTIONS = ["open", "save", "stale_save", "submit", "review", "approve", "return", "unpublish"]


@pytest.fixture
def actors(publish_table):
    published_world()
    assert drain().failed == 0
    return {"editors": [f.user_in("AdminEditor"), f.user_in("AdminEditor")], "approver": f.user_in("AdminFull")}


def _fresh(index: int):
    model, key = RECORDS[index]
    return model.objects.get(key=key)


class Desk:
    """What each person holds: the editors' open forms, the approver's reviewed copies; and the oracle."""

    def __init__(self, actors):
        self.editors, self.approver = actors["editors"], actors["approver"]
        self.forms: dict[tuple[int, int], object] = {}
        self.reviewed: dict[int, tuple[int, dict]] = {}
        self.public = {i: _fresh(i).published_snapshot for i in range(len(RECORDS))}

    def step(self, action: str, who: int, index: int) -> None:
        editor = self.editors[who]
        try:
            if action == "open":
                self.forms[who, index] = _fresh(index)
            elif action in ("save", "stale_save"):
                copy = self.forms.setdefault((who, index), _fresh(index))
                copy.description = f"Text {next(_texts)}"
                expected = copy.version if action == "save" else None
                services.record_save(record=copy, user=editor, expected_version=expected)
            elif action == "submit":
                services.record_submit_for_review(record=_fresh(index), user=editor)
            elif action == "review":
                record = _fresh(index)
                self.reviewed[index] = (record.version, build_snapshot(record))
            elif action == "approve" and index in self.reviewed:
                version, seen = self.reviewed[index]
                services.record_approve(record=_fresh(index), user=self.approver, expected_version=version)
                self.public[index] = seen  # only reached when the approval went through
            elif action == "return" and index in self.reviewed:
                services.record_return_to_draft(record=_fresh(index), user=self.approver,
                                                expected_version=self.reviewed[index][0])
            elif action == "unpublish":
                services.record_unpublish(record=_fresh(index), user=self.approver)
                self.public[index] = None
        except ValidationError:  # refused (moved on, wrong state): refusing is always allowed, changing nothing
            pass

    def check(self, label: str) -> None:
        for index in self.public:
            assert _fresh(index).published_snapshot == self.public[index], f"public copy of {RECORDS[index]} after {label}"
        report = drain()
        assert report.failed == 0, report.errors
        assert strip_rev(self.table.dump()) == expected_table(), f"table differs from a fresh republish after {label}"


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(
    st.tuples(st.sampled_from(ACTIONS), st.integers(0, 1), st.integers(0, len(RECORDS) - 1)), min_size=3, max_size=12,
))
def test_public_tier_is_exactly_the_approved_versions(actors, publish_table, steps):
    desk = Desk(actors)
    desk.table = publish_table
    for number, (action, who, index) in enumerate(steps):
        desk.step(action, who, index)
        desk.check(f"step {number}: {action} by {who} on {RECORDS[index][1]}")


def test_the_oracle_sees_an_unreviewed_approval(actors, publish_table, monkeypatch):
    """Not vacuous: an approval that ignored its version would publish a text nobody reviewed, and the check fails."""
    desk = Desk(actors)
    desk.table = publish_table
    desk.step("submit", 0, 0)
    desk.step("review", 0, 0)
    desk.step("save", 1, 0)  # back to draft with new text; submit again so only the version differs
    desk.step("submit", 1, 0)
    original = services.record_approve.__wrapped__

    def approve_ignoring_version(*, record, user, expected_version=None, **kwargs):
        return original(record=record, user=user, expected_version=record.version, **kwargs)

    monkeypatch.setattr(services, "record_approve", approve_ignoring_version)
    desk.step("approve", 0, 0)
    with pytest.raises(AssertionError, match="public copy"):
        desk.check("an approval that ignored its version")
