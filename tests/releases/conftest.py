"""Fixtures for releases: publishing's per-test DynamoDB table, an approver, and the release clock."""

import pytest

from tests import factories as f
from tests.publishing.conftest import publish_table, table_dump  # noqa: F401  (fixtures shared with publishing)


@pytest.fixture
def approver(db):
    return f.user_in("AdminFull")


@pytest.fixture
def editor(db):
    return f.user_in("AdminEditor")
