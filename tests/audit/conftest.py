"""The admin API fixtures, shared."""

from tests.api.conftest import api_client, key_client  # noqa: F401
