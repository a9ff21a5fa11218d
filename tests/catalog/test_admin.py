"""The editors' admin, through Django's test client: powers per group, versioned saves, history, dashboard."""

import pytest
from django.urls import reverse

from catalog.models import Band, ReviewStatus
from tests import factories as f

pytestmark = pytest.mark.django_db


def _client(client, group):
    user = f.user_in(group)
    client.force_login(user)
    return client, user


def _band_form(band, **changes):
    """The POST body the band change form sends (one existing member, no new ones)."""
    data = {
        "key": band.key,
        "name": band.name,
        "country": band.country.code or "",
        "genres": [g.pk for g in band.genres.all()],
        "description": band.description,
        "logo_url": band.logo_url,
        "headline_image_url": band.headline_image_url,
        "website": band.website,
        "spotify": band.spotify,
        "expected_version": band.version,
        "members-TOTAL_FORMS": 0,
        "members-INITIAL_FORMS": 0,
        "members-MIN_NUM_FORMS": 0,
        "members-MAX_NUM_FORMS": 1000,
    }
    if band.reviewed:
        data["reviewed"] = "on"
    for i, member in enumerate(band.members.all()):
        data.update({
            f"members-{i}-id": member.pk, f"members-{i}-band": band.pk, f"members-{i}-name": member.name,
            f"members-{i}-order": member.order, f"members-{i}-roles": [r.pk for r in member.roles.all()],
        })
        data["members-TOTAL_FORMS"] = data["members-INITIAL_FORMS"] = i + 1
    data.update(changes)
    return data


def _change_url(band):
    return reverse("admin:catalog_band_change", args=[band.pk])


def test_viewer_sees_but_cannot_change(client):
    band = f.band(name="Untouched")
    client, _ = _client(client, "AdminViewer")
    page = client.get(_change_url(band))
    assert page.status_code == 200 and b'name="_save"' not in page.content
    response = client.post(_change_url(band), _band_form(band, name="Changed"))
    assert response.status_code == 403
    assert Band.objects.get(pk=band.pk).name == "Untouched"


def test_editor_edits_members_and_submits_but_cannot_approve(client):
    vocals = f.role(name="Vocals")
    band = f.band(name="Grave Orchard", members=[("Eero", [vocals])])
    client, editor = _client(client, "AdminEditor")
    data = _band_form(band, **{"members-0-name": "Eero Salo"})
    response = client.post(_change_url(band), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert band.members.get().name == "Eero Salo"

    page = client.get(_change_url(band)).content.decode()
    assert "Submit for review" in page and "Approve and publish" not in page
    client.post(reverse("admin:catalog_band_workflow", args=[band.pk, "submit"]))
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.IN_REVIEW and band.submitted_by == editor

    client.post(reverse("admin:catalog_band_workflow", args=[band.pk, "approve"]))
    band.refresh_from_db()
    assert band.review_status == ReviewStatus.IN_REVIEW and band.published_snapshot is None
    changelist = client.get(reverse("admin:catalog_band_changelist")).content.decode()
    assert "approve_selected" not in changelist and "submit_selected" in changelist
    assert client.post(reverse("admin:catalog_band_delete", args=[band.pk]), {"post": "yes"}).status_code == 403


def test_full_admin_approves_from_the_change_page_and_bulk(client):
    bands = [f.band(), f.band()]
    client, full = _client(client, "AdminFull")
    response = client.post(
        reverse("admin:catalog_band_changelist"),
        {"action": "submit_selected", "_selected_action": [b.pk for b in bands]},
    )
    assert response.status_code == 302
    for band in bands:
        band.refresh_from_db()
    client.post(reverse("admin:catalog_band_workflow", args=[bands[0].pk, "approve"]), {"version": bands[0].version})
    confirm = client.post(
        reverse("admin:catalog_band_changelist"),
        {"action": "approve_selected", "_selected_action": [bands[1].pk]},
    )
    assert confirm.status_code == 200 and f'name="version-{bands[1].pk}" value="{bands[1].version}"' in confirm.text
    client.post(
        reverse("admin:catalog_band_changelist"),
        {"action": "approve_selected", "_selected_action": [bands[1].pk], "post": "yes",
         f"version-{bands[1].pk}": bands[1].version},
    )
    for band in bands:
        band.refresh_from_db()
        assert band.review_status == ReviewStatus.APPROVED and band.approved_by == full
        assert band.published_snapshot["key"] == band.key


def test_second_editor_saving_over_a_newer_version_is_refused_with_a_message(client):
    band = f.band(name="Original")
    stale_form = _band_form(band, name="Second editor's name")
    client, _ = _client(client, "AdminEditor")
    assert client.post(_change_url(band), _band_form(band, name="First editor's name")).status_code == 302

    response = client.post(_change_url(band), stale_form)
    assert response.status_code == 200  # the form comes back with the error
    page = response.content.decode()
    history_link = reverse("admin:catalog_band_history", args=[band.pk])
    assert "changed by someone else" in page and f'href="{history_link}"' in page
    assert Band.objects.get(pk=band.pk).name == "First editor's name"


def test_history_page_shows_field_changes_of_the_band_and_its_members(client):
    vocals = f.role()
    band = f.band(name="Before", members=[("Singer", [vocals])])
    client, _ = _client(client, "AdminEditor")
    client.post(_change_url(band), _band_form(band, name="After", **{"members-0-name": "Lead Singer"}))
    page = client.get(reverse("admin:catalog_band_history", args=[band.pk])).content.decode()
    assert "Before" in page and "After" in page
    assert 'id="related-history"' in page and "Lead Singer" in page


def test_editor_cannot_revert_full_admin_can(client):
    band = f.band(name="Good")
    first = band.history.order_by("history_date").first()
    from catalog import services

    band.name = "Vandalised"
    services.record_save(record=band, user=None)
    url = reverse("admin:catalog_band_simple_history", args=[band.pk, first.history_id])
    client, _ = _client(client, "AdminEditor")
    assert client.get(url).status_code == 200  # anyone who may view may look at an old version
    assert client.post(url, {"_revert": "1"}).status_code == 403
    assert Band.objects.get(pk=band.pk).name == "Vandalised"
    client.force_login(f.user_in("AdminFull"))
    assert client.post(url, {"_revert": "1"}).status_code == 302
    band.refresh_from_db()
    assert band.name == "Good" and band.review_status == ReviewStatus.DRAFT


def test_published_key_is_read_only_and_renamed_deliberately(client):
    festival = f.approved(f.festival(key="hellfest-2026", name="Hellfest"))
    client, _ = _client(client, "AdminFull")
    page = client.get(reverse("admin:catalog_festival_change", args=[festival.pk])).content.decode()
    assert 'name="key"' not in page and "Rename key" in page
    response = client.post(reverse("admin:catalog_festival_rename", args=[festival.pk]), {"new_key": "hellfest"})
    assert response.status_code == 302
    festival.refresh_from_db()
    assert festival.key == "hellfest" and festival.aliases.get().key == "hellfest-2026"


def test_dashboard_and_review_queue_list_what_waits(client):
    band = f.band(name="Waiting Band")
    f.approved(f.genre(name="Done Genre"))
    from catalog import services

    services.record_submit_for_review(record=band, user=None)
    client, _ = _client(client, "AdminViewer")
    assert "review-dashboard" in client.get(reverse("admin:index")).content.decode()
    queue = client.get(reverse("admin:review_queue")).content.decode()
    assert "Waiting Band" in queue and "Done Genre" not in queue


def test_lists_filter_and_search(client):
    heavy = f.genre(name="Heavy")
    f.band(name="Iron Lantern", country="SE", genres=[heavy], reviewed=True)
    f.band(name="Grave Orchard", country="FI")
    client, _ = _client(client, "AdminViewer")
    url = reverse("admin:catalog_band_changelist")
    assert "Iron Lantern" in client.get(url, {"country": "SE"}).content.decode()
    assert "Iron Lantern" not in client.get(url, {"country": "FI"}).content.decode()
    assert "Grave Orchard" not in client.get(url, {"reviewed__exact": "1"}).content.decode()
    assert "Iron Lantern" in client.get(url, {"q": "lantern"}).content.decode()
    genres = client.get(reverse("admin:catalog_genre_changelist")).content.decode()
    assert "?genres__id__exact=" in genres
