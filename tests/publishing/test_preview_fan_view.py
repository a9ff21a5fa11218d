"""The preview leads with the fan view, a field-level change list and the URLs an approval refreshes."""

from datetime import date

import pytest
from django.urls import reverse

from catalog import services
from catalog.models import LineupEntry
from publishing import fan_view
from publishing.worker import drain
from tests import factories as f

from .scenarios import published_world

pytestmark = pytest.mark.django_db


@pytest.mark.dynamodb
def test_edition_preview_shows_the_festival_page_the_changes_and_the_refreshed_urls(client, publish_table, settings):
    settings.PUBLIC_API_BASE_URL = "https://api.metalfests.example"
    world = published_world()
    assert drain().failed == 0
    edition = world.hellfest_2026
    newcomer = f.approved(f.band("gojira", "Gojira"))
    assert drain().failed == 0

    def lineup(record):
        LineupEntry.objects.filter(edition=record, band=world.maiden).delete()
        LineupEntry.objects.create(edition=record, band=newcomer, order=5, billing_size=0)

    edition.start_date, edition.end_date = date(2026, 6, 19), date(2026, 6, 22)
    services.record_save(record=edition, user=None, save_related=lineup)
    client.force_login(f.user_in("AdminViewer"))
    page = client.get(reverse("publishing:preview", args=["edition", edition.pk]))
    html = page.content.decode()
    assert html.index('id="preview-changes"') < html.index('id="fan-view"') < html.index('id="preview-json"')
    changes = dict(page.context["field_changes"])
    assert changes["Lineup"] == "+ Gojira (headliner), − Iron Maiden"
    assert changes["Dates"] == "18–21 June 2026 → 19–22 June 2026"
    fan = page.context["fan"]
    assert fan["kind"] == "festival" and fan["festival"]["name"] == "Hellfest"
    (shown,) = fan["editions"]
    assert [(g["billing"], [b["name"] for b in g["bands"]]) for g in shown["lineup"]] == [
        ("headliner", ["Metallica", "Gojira"])]
    assert "https://api.metalfests.example/api/festivals/hellfest" in page.context["refreshed"]
    assert "https://api.metalfests.example/api/bands/iron-maiden/festivals" in page.context["refreshed"]
    assert "<details" in html and "GET /api/festivals/hellfest" in html  # the JSON, folded


@pytest.mark.dynamodb
def test_band_preview_shows_members_with_their_roles(client, publish_table):
    world = published_world()
    assert drain().failed == 0
    client.force_login(f.user_in("AdminViewer"))
    page = client.get(reverse("publishing:preview", args=["band", world.metallica.pk]))
    fan = page.context["fan"]
    assert fan["kind"] == "band" and fan["members"] == [{"name": "James Hetfield", "roles": ["Vocals", "Guitar"]}]  # the editors' order
    assert [a["festivalName"] for a in fan["appearances"]] == ["Hellfest"]
    assert page.context["field_changes"] == [] and page.context["refreshed"] == []
    assert "No change to what fans see." in page.content.decode()


def test_change_list_in_words():
    live = {"name": "Old", "members": [{"name": "A", "roleKeys": ["vocals"]}], "genreKeys": ["heavy"],
            "reviewed": False, "countryCode": "NO", "country": "Norway"}
    proposed = {"name": "New", "members": [{"name": "A", "roleKeys": ["guitar"]}, {"name": "B", "roleKeys": []}],
                "genreKeys": ["heavy", "thrash"], "reviewed": True, "countryCode": "SE", "country": "Sweden"}
    assert fan_view.change_list(live, proposed) == [
        ("Name", "Old → New"), ("Members", "+ B, A: roles vocals → guitar"), ("Genres", "+ thrash"),
        ("Reviewed", "no → yes"), ("Country", "Norway → Sweden"),
    ]
    assert fan_view.change_list(None, proposed) == [("Record", "new: not public yet, appears with this approval")]
    assert fan_view.date_range({"start": "2027-07-30", "end": "2027-08-02"}) == "30 July – 2 August 2027"
