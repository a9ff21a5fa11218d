"""The end-to-end tests reuse publishing's fresh DynamoDB table (publishing and the read tier point at it)."""

from tests.publishing.conftest import publish_table  # noqa: F401
