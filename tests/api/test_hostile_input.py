"""Hostile bodies get a 4xx in the error envelope, never a 500 (issue 10, item 6)."""

import pytest

from tests import factories

from .conftest import assert_envelope

pytestmark = pytest.mark.django_db


def test_a_30_mb_body_is_413_in_the_envelope(key_client):
    factories.genre(key="doom", name="Doom")
    editor = key_client("AdminEditor")
    body = b'{"name": "Doom", "description": "' + b"x" * (30 * 1024 * 1024) + b'"}'
    response = editor.put("/api/admin/genres/doom", body, content_type="application/json")
    error = assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")
    assert "MB" in error["message"] or "bytes" in error["message"]


def test_a_body_over_the_limit_without_a_json_parse_is_413_too(key_client):
    """A form-encoded body over the limit fails where Django reads POST, not in the JSON parser."""
    editor = key_client("AdminEditor")
    body = "description=" + "x" * (3 * 1024 * 1024)
    response = editor.post("/api/admin/genres", body, content_type="application/x-www-form-urlencoded")
    assert_envelope(response, 413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100_000 + "1" + "}" * 100_000])
def test_deeply_nested_json_is_400(key_client, body):
    factories.genre(key="doom", name="Doom")
    editor = key_client("AdminEditor")
    response = editor.put("/api/admin/genres/doom", body, content_type="application/json")
    error = assert_envelope(response, 400, "BAD_REQUEST")
    assert "nest" in error["message"]


def test_an_integer_too_long_to_convert_is_400(key_client):
    factories.genre(key="doom", name="Doom")
    editor = key_client("AdminEditor")
    response = editor.put("/api/admin/genres/doom", '{"version": ' + "9" * 5000 + "}", content_type="application/json")
    assert_envelope(response, 400, "BAD_REQUEST")


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_non_standard_json_numbers_are_400(key_client, literal):
    factories.genre(key="doom", name="Doom")
    editor = key_client("AdminEditor")
    response = editor.put("/api/admin/genres/doom", '{"name": "Doom", "version": %s}' % literal,
                          content_type="application/json")
    assert_envelope(response, 400, "BAD_REQUEST")


def test_too_many_form_fields_is_400(key_client):
    """Django refuses more than DATA_UPLOAD_MAX_NUMBER_FIELDS fields (a SuspiciousOperation): 400, not 500."""
    editor = key_client("AdminEditor")
    from django.conf import settings

    body = "&".join(f"f{i}=x" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 500))
    response = editor.post("/api/admin/genres", body, content_type="application/x-www-form-urlencoded")
    assert_envelope(response, 400, "BAD_REQUEST")
