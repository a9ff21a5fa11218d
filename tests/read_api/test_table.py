"""`python -m read_api.table create`: idempotent, with the three GSIs the read path queries."""

import os
import subprocess
import sys

import pytest

from read_api import table

pytestmark = pytest.mark.dynamodb


def test_create_is_idempotent_and_has_the_indexes(dynamodb_table):
    assert table.create() is False  # the session fixture created it already
    description = table.describe()
    assert {i["IndexName"] for i in description["GlobalSecondaryIndexes"]} == {"GSI1", "GSI2", "GSI3"}
    assert [k["AttributeName"] for k in description["KeySchema"]] == ["PK", "SK"]


def test_command_line_creates_a_named_table(dynamodb_table):
    env = {**os.environ, "DYNAMODB_TABLE_NAME": "CommandLineTable"}

    def run(*args):
        command = [sys.executable, "-m", "read_api.table", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout

    assert run("create").startswith("created CommandLineTable")
    assert run("create").startswith("exists: CommandLineTable")
    assert run("delete").startswith("deleted CommandLineTable")
