"""Fixtures for releases: publishing's per-test DynamoDB table, an approver, and the release clock."""

import pytest

from tests import factories as f
from tests.api.conftest import key_client  # noqa: F401
from tests.publishing.conftest import publish_table, table_dump  # noqa: F401  (fixtures shared with publishing)
from tests.publishing.test_reliability import own_dynamodb  # noqa: F401


@pytest.fixture
def approver(db):
    return f.user_in("AdminFull")


@pytest.fixture
def editor(db):
    return f.user_in("AdminEditor")
