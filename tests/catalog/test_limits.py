"""The public tier's size limits (`catalog.limits`) where data is entered: model, admin form, importer (API: tests/api)."""

import pytest
from django.core.exceptions import ValidationError

from catalog import limits
from catalog.importer.schema import ImportFileError
from catalog.importer.service import legacy_import
from catalog.models import Band, Genre
from tests import factories as f

pytestmark = pytest.mark.django_db

HUGE = "x" * 500_000  # the 500 KB description DynamoDB's 400 KB item limit refused at publish time
LIMIT = f"{limits.DESCRIPTION_MAX_CHARS:,} characters"


def test_the_model_refuses_a_description_over_the_limit_naming_it():
    with pytest.raises(ValidationError) as refused:
        Genre(key="verbose", name="Verbose", description=HUGE).full_clean()
    assert LIMIT in refused.value.message_dict["description"][0]
    assert "400 KB" in refused.value.message_dict["description"][0]
    Genre(key="terse", name="Terse", description="x" * limits.DESCRIPTION_MAX_CHARS).full_clean()  # at the limit


def test_the_admin_form_shows_the_limit_and_saves_nothing(client):
    from .test_admin import _band_form, _change_url

    band = f.band(name="Wordy")
    client.force_login(f.user_in("AdminEditor"))
    response = client.post(_change_url(band), _band_form(band, description=HUGE))
    assert response.status_code == 200
    assert LIMIT in response.content.decode()
    assert Band.objects.get(pk=band.pk).description == ""


def test_the_importer_refuses_the_file_naming_record_field_and_limit():
    data = {"festivals": [], "bands": [{"key": "ok", "name": "Ok"}, {"key": "wordy", "name": "Wordy", "description": HUGE}]}
    with pytest.raises(ImportFileError) as refused:
        legacy_import(data=data)
    assert "bands[1].description" in str(refused.value) and LIMIT in str(refused.value)
    assert not Band.objects.exists()  # nothing imported

