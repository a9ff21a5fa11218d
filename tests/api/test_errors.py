"""Admin API errors in words (issue 10, item 12): constraint violations, conflicts, editions' keys."""

import pytest
from django.apps import apps
from django.db import models

from catalog.models import Edition, Genre
from tests import factories

from .conftest import assert_envelope

pytestmark = pytest.mark.django_db


@pytest.fixture
def festival(db):
    return factories.festival(key="wacken", name="Wacken Open Air")


def _edition_body(**overrides):
    return {"dates": {"start": "2026-07-30", "end": "2026-08-01"}, **overrides}


def test_an_end_before_the_start_is_said_in_words(key_client, festival):
    editor = key_client("AdminEditor")
    response = editor.put("/api/admin/festivals/wacken/editions/2026",
                          _edition_body(dates={"start": "2026-08-01", "end": "2026-07-30"}), format="json")
    error = assert_envelope(response, 422, "VALIDATION_ERROR")
    assert error["message"] == "The end date cannot be before the start date."
    assert error["details"] == {"dates": ["The end date cannot be before the start date."]}
    assert "edition_end_not_before_start" not in response.content.decode()
    assert not Edition.objects.exists()


def test_a_price_without_currency_is_said_in_words(key_client, festival):
    editor = key_client("AdminEditor")
    response = editor.put("/api/admin/festivals/wacken/editions/2026", _edition_body(ticketPrice=99), format="json")
    error = assert_envelope(response, 422, "VALIDATION_ERROR")
    assert error["details"] == {"currency": ["A ticket price needs its currency."]}
    assert "Constraint" not in response.content.decode()


def test_every_check_constraint_of_the_catalog_has_words():
    from catalog.api.errors import CONSTRAINT_WORDS

    names = {
        constraint.name
        for model in apps.get_app_config("catalog").get_models()
        for constraint in model._meta.constraints
        if isinstance(constraint, (models.CheckConstraint, models.UniqueConstraint))
    }
    assert names - set(CONSTRAINT_WORDS) == set()


def test_a_conflict_names_the_record_by_its_stored_name(key_client):
    genre = factories.genre(key="doom", name="Doom")
    editor = key_client("AdminEditor")
    assert editor.put("/api/admin/genres/doom", {"name": "Doom Metal", "version": genre.version}, format="json").status_code == 200
    stale = editor.put("/api/admin/genres/doom", {"name": "Sludge", "version": genre.version}, format="json")
    error = assert_envelope(stale, 409, "CONCURRENT_EDIT")
    assert "“Doom Metal”" in error["message"] and "Sludge" not in error["message"]
    assert error["details"] == {"expectedVersion": genre.version, "currentVersion": genre.version + 1}
    assert Genre.objects.get(key="doom").name == "Doom Metal"


def test_an_edition_offers_no_key_rename(key_client, festival):
    full = key_client("AdminFull")
    assert full.put("/api/admin/festivals/wacken/editions/2026", _edition_body(), format="json").status_code == 201
    response = full.put("/api/admin/festivals/wacken/editions/2026", _edition_body(key="wacken-2026"), format="json")
    error = assert_envelope(response, 400, "VALIDATION_ERROR")
    assert "festival and year" in error["message"]
    assert_envelope(full.post("/api/admin/festivals/wacken/editions/2026/rename", {"key": "x"}, format="json"),
                    404, "RESOURCE_NOT_FOUND")
