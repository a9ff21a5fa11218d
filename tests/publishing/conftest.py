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
