"""Fixtures for publishing: a fresh DynamoDB table per test (on the session's DynamoDB Local) and a small catalog."""

import itertools

import pytest

from publishing.writer import Writer

_tables = itertools.count(1)


@pytest.fixture
def publish_table(dynamodb_local, monkeypatch):
    """An empty table named for this test; publishing and the read tier both point at it."""
    from read_api import config, table

    name = f"PublishingTest{next(_tables)}"
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", name)
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", dynamodb_local.endpoint)
    monkeypatch.setenv("DYNAMODB_READ_TIMEOUT_SECONDS", "30")  # DynamoDB Local's first CreateTable is slow
    config.reload()
    table.create()
    yield Writer(table=name)
    try:
        table.delete()
    finally:
        monkeypatch.undo()
        config.reload()


@pytest.fixture
def table_dump(publish_table):
    def dump(*, without_rev: bool = True) -> dict:
        items = publish_table.dump()
        # the publish time (`published`), and rev unless asked for, differ between equal tables written at other times
        dropped = ("rev", "published") if without_rev else ("published",)
        return {k: {a: v for a, v in item.items() if a not in dropped} for k, item in items.items()}

    return dump


@pytest.fixture
def clock(publish_table, monkeypatch):
    """For the change feed's tests: a clock that moves one second each time it is read, no settle window.

    Publishing stamps positions and the read tier takes its horizon from it; `clock.skip(ms)` jumps ahead."""
    import dataclasses

    from publishing import feed as writing
    from read_api import config, feed

    class Clock:
        def __init__(self):
            self.ms = feed.now_ms()

        def __call__(self) -> int:
            self.ms += 1000
            return self.ms

        def skip(self, ms: int) -> None:
            self.ms += ms

    ticking = Clock()
    monkeypatch.setattr(feed, "now_ms", ticking)
    monkeypatch.setattr(writing, "_last_ms", [0])
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, changes_settle_seconds=0))
    return ticking
