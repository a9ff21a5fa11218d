"""Rules the database itself enforces, whatever writes the data (checked on SQLite and PostgreSQL)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from catalog.models import Band, Edition, Festival, LineupEntry
from tests import factories as f

pytestmark = pytest.mark.django_db


def _violates(callable_):
    with pytest.raises(IntegrityError):
        with transaction.atomic():
            callable_()


def test_end_date_not_before_start():
    festival = f.festival()
    _violates(lambda: Edition.objects.create(festival=festival, year=2027, start_date=date(2027, 6, 2), end_date=date(2027, 6, 1)))


def test_one_edition_per_festival_and_year():
    festival = f.festival()
    f.edition(festival, year=2027)
    _violates(lambda: Edition.objects.create(festival=festival, year=2027, start_date=date(2027, 1, 1), end_date=date(2027, 1, 2)))


def test_one_lineup_entry_per_band_and_edition():
    band = f.band()
    edition = f.edition(f.festival(), bands=[band])
    _violates(lambda: LineupEntry.objects.create(edition=edition, band=band, order=9))


def test_price_not_negative_and_needs_a_currency():
    festival = f.festival()
    _violates(lambda: Edition.objects.create(
        festival=festival, year=2030, start_date=date(2030, 1, 1), end_date=date(2030, 1, 2),
        ticket_price=Decimal("-1"), currency="EUR"))
    _violates(lambda: Edition.objects.create(
        festival=festival, year=2031, start_date=date(2031, 1, 1), end_date=date(2031, 1, 2),
        ticket_price=Decimal("10"), currency=""))


@pytest.mark.parametrize("lat, lng", [(91, 0), (-91, 0), (0, 181), (0, -181), (10, None)])
def test_coordinates_in_range_and_paired(lat, lng):
    _violates(lambda: Festival.objects.create(key="f", name="F", latitude=lat, longitude=lng))


def test_billing_size_range():
    band = f.band()
    edition = f.edition(f.festival())
    _violates(lambda: LineupEntry.objects.create(edition=edition, band=band, billing_size=4))


def test_keys_are_unique_per_kind_and_validated():
    f.band(key="iron-lantern")
    _violates(lambda: Band.objects.create(key="iron-lantern", name="Another"))
    for bad in ["Iron Lantern", "iron--lantern", "-iron", "iron_lantern", "hällas", ""]:
        with pytest.raises(ValidationError):
            Band(key=bad, name="x").full_clean()


def test_countries_and_currencies_are_validated_codes():
    with pytest.raises(ValidationError) as excinfo:
        Band(key="b", name="B", country="XX").full_clean()
    assert "country" in excinfo.value.message_dict
    edition = Edition(festival=f.festival(), year=2029, start_date=date(2029, 1, 1), end_date=date(2029, 1, 2),
                      ticket_price=1, currency="EURO")
    with pytest.raises(ValidationError) as excinfo:
        edition.full_clean()
    assert "currency" in excinfo.value.message_dict
    assert dict(Edition._meta.get_field("currency").choices)["SEK"].endswith("Swedish Krona")


def test_location_display_from_city_and_country():
    assert f.festival(city="Clisson", country="FR").location == "Clisson, France"
    assert f.festival(city="", country="").location == ""


def test_upcoming_means_not_ended_yet():
    festival = f.festival()
    ends_today = f.edition(festival, year=2026, start=date(2026, 11, 20), end=date(2026, 11, 23))
    ended = f.edition(festival, year=2025, start=date(2025, 6, 1), end=date(2025, 6, 3))
    today = date(2026, 11, 23)
    assert list(Edition.objects.upcoming(today)) == [ends_today]
    assert list(Edition.objects.past(today)) == [ended]
