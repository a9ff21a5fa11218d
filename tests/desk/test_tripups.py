"""What a new editor tripped over in the admin: each fix checked through Django's test client."""

import re

import pytest
from django.urls import reverse

from tests import factories as f

pytestmark = pytest.mark.django_db


def _login(client, group="AdminFull"):
    user = f.user_in(group)
    client.force_login(user)
    return user


def _filter_options(page: str, title: str) -> list[str]:
    block = page.split(f"By {title}", 1)[1].split("</ul>", 1)[0]
    return re.findall(r'<a href="\?[^"]*">([^<]+)</a>', block)


def test_country_filter_names_each_country_once(client):
    for name in ("Alpha", "Beta", "Gamma"):
        f.band(name=f"{name} Band", country="NO")
    f.band(name="Delta", country="SE")
    f.band(name="Epsilon", country="SE")
    for name in ("One", "Two", "Three"):
        f.festival(name=f"Fest {name}", country="BE")
    _login(client)
    bands = _filter_options(client.get(reverse("admin:catalog_band_changelist")).content.decode(), "country")
    assert bands.count("Norway") == 1 and bands.count("Sweden") == 1
    festivals = _filter_options(client.get(reverse("admin:catalog_festival_changelist")).content.decode(), "country")
    assert festivals.count("Belgium") == 1


def test_edition_list_has_one_column_called_status(client):
    f.edition(f.festival(), year=2027)
    _login(client)
    page = client.get(reverse("admin:catalog_edition_changelist")).content.decode()
    headers = re.findall(r'<th scope="col"[^>]*>.*?<(?:a|span)[^>]*>([^<]+)</', page, re.S)
    assert headers.count("Status") == 1 and "Review" in headers


def test_edition_form_shows_no_empty_lineup_rows_but_can_add_one(client):
    _login(client)
    page = client.get(reverse("admin:catalog_edition_add")).content.decode()
    assert 'name="lineup-TOTAL_FORMS" value="0"' in page
    assert 'name="lineup-0-band"' not in page
    assert 'id="lineup-empty"' in page  # the template Django's "Add another" link copies


def test_view_site_opens_the_public_api(client, settings):
    settings.PUBLIC_API_BASE_URL = "https://api.example.org/"
    _login(client)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'href="https://api.example.org/api/festivals"' in page


def test_sign_in_refused_page_has_one_heading_and_no_sidebar(client):
    page = client.get("/accounts/refused/").content.decode()
    assert page.count("<h1>Sign-in refused</h1>") == 1 and page.count("Sign-in refused</h1>") == 1
    assert 'id="nav-sidebar"' not in page


@pytest.mark.parametrize(
    ("name", "key"),
    [("Mötley Crüe", "motley-crue"), ("Nightwish’s Return", "nightwishs-return"), ("Кино", "kino"), ("", "")],
)
def test_key_suggestion_uses_the_importers_transliteration(client, name, key):
    _login(client, "AdminEditor")
    response = client.get(reverse("admin:catalog_band_suggest_key"), {"name": name})
    assert response.status_code == 200 and response.json() == {"key": key}


def test_key_suggestion_needs_the_add_permission(client):
    _login(client, "AdminViewer")
    assert client.get(reverse("admin:catalog_festival_suggest_key"), {"name": "X"}).status_code == 403


def test_key_script_is_on_the_add_form_only(client):
    _login(client, "AdminEditor")
    add = client.get(reverse("admin:catalog_band_add")).content.decode()
    assert "catalog/key_from_name.js" in add and reverse("admin:catalog_band_suggest_key") in add
    band = f.band()
    change = client.get(reverse("admin:catalog_band_change", args=[band.pk])).content.decode()
    assert "key_from_name.js" not in change


def test_dashboard_headers_are_not_squeezed_by_the_dashboard_stylesheet(client):
    _login(client)
    page = client.get(reverse("admin:index")).content.decode()
    assert "#review-dashboard table th" in page and "width: auto" in page


def test_approve_button_has_readable_contrast(client):
    band = f.band()
    from catalog import services

    services.record_submit_for_review(record=band, user=None)
    _login(client)
    page = client.get(reverse("admin:catalog_band_change", args=[band.pk])).content.decode()
    rule = re.search(r"button\.workflow-approve \{([^}]*)\}", page).group(1)
    background = re.search(r"background: (#[0-9a-f]{6})", rule).group(1)
    color = re.search(r"color: (#[0-9a-f]{3,6})", rule).group(1)
    assert _contrast(background, color) >= 4.5


def _contrast(a: str, b: str) -> float:
    def luminance(hex_colour):
        hex_colour = hex_colour.lstrip("#")
        if len(hex_colour) == 3:
            hex_colour = "".join(c * 2 for c in hex_colour)
        channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (0, 2, 4)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)
