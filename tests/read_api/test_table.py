"""`python -m read_api.table create`: idempotent, with the four GSIs the read path queries, added to an older table."""

import os
import subprocess
import sys

import pytest

from read_api import table

pytestmark = pytest.mark.dynamodb


def test_create_is_idempotent_and_has_the_indexes(dynamodb_table):
    assert table.create() is False  # the session fixture created it already
    description = table.describe()
    assert {i["IndexName"] for i in description["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2", "GSI3", "GSI4"}
    assert [k["AttributeName"] for k in description["KeySchema"]] == ["PK", "SK"]


def test_create_adds_the_indexes_an_older_table_lacks(dynamodb_table, monkeypatch):
    """A table made before GSI4 existed (make run's kept DynamoDB Local data) gains it and keeps its items."""
    import dataclasses

    from read_api import config, schema
    from read_api.schema import Item
    from tests.fixtures.dynamodb import bind

    older = dataclasses.replace(config.settings, table_name="OlderTable")
    bind(older)
    try:
        client = Item._get_connection().connection.client
        client.create_table(
            TableName="OlderTable", BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("PK", "SK", "GSI1PK", "GSI1SK")],
            KeySchema=[{"AttributeName": "PK", "KeyType": "HASH"}, {"AttributeName": "SK", "KeyType": "RANGE"}],
            GlobalSecondaryIndexes=[{"IndexName": "GSI1", "Projection": {"ProjectionType": "ALL"}, "KeySchema": [
                {"AttributeName": "GSI1PK", "KeyType": "HASH"}, {"AttributeName": "GSI1SK", "KeyType": "RANGE"}]}])
        client.put_item(TableName="OlderTable", Item={"PK": {"S": "kept"}, "SK": {"S": "item"}})
        assert table.create() is False
        indexes = {i["IndexName"]: i for i in table.describe()["GlobalSecondaryIndexes"]}
        assert set(indexes) == {"GSI1", "GSI2", "GSI3", "GSI4"}
        assert [k["AttributeName"] for k in indexes["GSI4"]["KeySchema"]] == ["GSI4PK", "GSI4SK"]
        assert client.get_item(TableName="OlderTable", Key={"PK": {"S": "kept"}, "SK": {"S": "item"}})["Item"]
    finally:
        table.delete()
        bind(dynamodb_table)
        schema.bind(dynamodb_table)


def test_command_line_creates_a_named_table(dynamodb_table):
    env = {**os.environ, "DYNAMODB_TABLE_NAME": "CommandLineTable"}

    def run(*args):
        command = [sys.executable, "-m", "read_api.table", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout

    assert run("create").startswith("created CommandLineTable")
    assert run("create").startswith("exists: CommandLineTable")
    assert run("delete").startswith("deleted CommandLineTable")
