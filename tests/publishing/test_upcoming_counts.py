"""The upcoming counts publishing keeps (issue 12.5): exact after every edit that adds, removes or moves an
edition, the same from an incremental publish as from a full republish, and an edit rewrites only the
months whose counts it changes."""

import datetime as dt

import pytest

from catalog import services
from catalog.models import Band, Edition, Festival
from publishing.services import republish
from publishing.worker import drain
from publishing.writer import Writer
from read_api import queries, schema
from tests import factories as f

from .scenarios import published_world
from .test_completeness import assert_upcoming_counts_exact, reapprove
from .test_reliability import expected_table

pytestmark = [pytest.mark.django_db, pytest.mark.dynamodb]
COUNT_PKS = (schema.UPCOMING_COUNTS_PK, schema.UPCOMING_COUNTRIES_PK)


def _counts(dump: dict) -> dict:
    return {key: value for key, value in dump.items() if key[0] in COUNT_PKS}


def _months(first: dt.date, last: dt.date) -> int:
    return (last.year - first.year) * 12 + last.month - first.month + 1


def _move(edition, shift: int, days: int) -> tuple[dt.date, dt.date]:
    old_end = edition.end_date
    edition.start_date = queries.today() + dt.timedelta(days=shift)
    edition.end_date = edition.start_date + dt.timedelta(days=days)
    reapprove(edition)
    return old_end, edition.end_date


def test_counts_stay_exact_through_edits_and_equal_a_full_republish(publish_table, table_dump):
    world = published_world()
    assert drain().failed == 0
    assert_upcoming_counts_exact()
    assert _counts(table_dump())  # the world has editions to come: there are counts
    today = queries.today()
    first_month = schema.upcoming_read_start(today)
    edition = Edition.objects.filter(published_snapshot__isnull=False).order_by("pk").first()
    for shift, days in [(-45, 2), (-33, 40), (-20, 5), (-1, 1), (0, 0), (27, 10), (60, 1), (400, 3), (-3, 2)]:
        before = _counts(table_dump())
        old_end, new_end = _move(edition, shift, days)
        assert drain().failed == 0
        after = _counts(table_dump())
        assert_upcoming_counts_exact()
        assert table_dump() == expected_table(), (shift, days)  # incremental = a full rebuild's items
        # Only the months whose days it moved in or out of are rewritten, in all and in its country.
        changed = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
        later = max(old_end, new_end, today)
        assert len(changed) <= 2 * (_months(first_month, later) + 1), (shift, days, sorted(changed))
    added = f.approved(f.edition(world.wacken, 2031, start=today + dt.timedelta(days=3),
                                 end=today + dt.timedelta(days=4), bands=list(Band.objects.order_by("pk")[:1])))
    assert drain().failed == 0
    assert_upcoming_counts_exact()
    services.record_unpublish(record=added, user=None)
    assert drain().failed == 0
    assert_upcoming_counts_exact()
    _put_past_month()  # left by a publish of an earlier month: never read again
    festival = Festival.objects.filter(published_snapshot__isnull=False).order_by("pk").last()
    services.record_unpublish(record=festival, user=None)
    assert drain().failed == 0
    assert_upcoming_counts_exact()
    assert table_dump() == expected_table()  # the past month's item is gone too
    report = republish()  # the streamed rebuild, over the table the incremental publishes left
    assert report.puts == 0 and report.deletes == 0
    assert table_dump() == expected_table()


def _put_past_month() -> tuple[str, str]:
    month = schema.month_key(schema.upcoming_read_start(queries.today()) - dt.timedelta(days=40))
    writer = Writer()
    key = (schema.UPCOMING_COUNTS_PK, schema.upcoming_count_sk(month))
    writer.client.put_item(TableName=writer.table, Item={
        "PK": {"S": key[0]}, "SK": {"S": key[1]}, "kind": {"S": "summary"}, "rev": {"N": "0"},
        "body": {"S": '{"since":"2000-01-01","counts":[1]}'}, "content_hash": {"S": "stale"},
        "GSI1PK": {"S": schema.UPCOMING_GSI1PK}, "GSI1SK": {"S": month}})
    return key


def test_a_full_republish_writes_the_counts_and_deletes_past_months(publish_table, table_dump):
    published_world()
    past = _put_past_month()
    report = republish()
    assert past not in table_dump() and report.deletes == 1
    assert_upcoming_counts_exact()
    assert table_dump() == expected_table()
