"""The admin API refuses text over the public tier's size limits (`catalog.limits`) with a field error naming it."""

import pytest

from catalog import limits
from catalog.models import Genre

from .conftest import assert_envelope

pytestmark = pytest.mark.django_db


def test_the_admin_api_answers_a_field_error_naming_the_limit(key_client):
    editor = key_client("AdminEditor")
    response = editor.post("/api/admin/genres", {"key": "verbose", "name": "Verbose", "description": "x" * 500_000},
                           format="json")
    error = assert_envelope(response, 400, "VALIDATION_ERROR")
    assert f"{limits.DESCRIPTION_MAX_CHARS:,} characters" in str(error["details"]) and "description" in str(error["details"])
    assert not Genre.objects.filter(key="verbose").exists()


