"""A band's genres and a member's roles keep the editors' order: the migration, the admin, history, snapshots."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from catalog.models import Band
from catalog.ordering import ordered, set_ordered
from catalog.snapshots import build_snapshot
from tests import factories as f

from .test_admin import _band_form, _change_url, _client


@pytest.mark.django_db
def test_set_ordered_keeps_the_given_order_and_writes_only_changes():
    thrash, groove, doom = f.genre(name="Thrash"), f.genre(name="Groove"), f.genre(name="Doom")
    band = f.band(genres=[thrash, groove, doom])
    assert [g.name for g in ordered(band.genres)] == ["Thrash", "Groove", "Doom"]  # not alphabetical
    assert build_snapshot(band)["genreKeys"] == [thrash.key, groove.key, doom.key]
    assert set_ordered(band.genres, [thrash, groove, doom]) is False  # nothing to do
    assert set_ordered(band.genres, [doom, thrash]) is True
    assert [g.name for g in ordered(band.genres)] == ["Doom", "Thrash"]
    # history holds the order too (simple-history copies the through rows with their position)
    latest = band.history.latest()
    assert [(row.genre_id, row.position) for row in latest.genres.order_by("position")] == [
        (doom.pk, 0), (thrash.pk, 1)]


@pytest.mark.django_db
def test_member_roles_keep_their_order_in_the_snapshot():
    vocals, bass = f.role(name="Vocals"), f.role(name="Bass")
    band = f.band(members=[("Lemmy", [vocals, bass])])
    assert build_snapshot(band)["members"] == [{"name": "Lemmy", "roleKeys": [vocals.key, bass.key]}]
    set_ordered(band.members.get().roles, [bass, vocals])
    assert build_snapshot(band)["members"] == [{"name": "Lemmy", "roleKeys": [bass.key, vocals.key]}]


@pytest.mark.django_db
def test_the_admin_saves_and_shows_genres_and_roles_in_the_editors_order(client):
    black, atmospheric, folk = f.genre(name="Black Metal"), f.genre(name="Atmospheric"), f.genre(name="Folk")
    vocals, guitar = f.role(name="Vocals"), f.role(name="Guitar")
    band = f.band(name="Saor", genres=[black], members=[("Andy", [vocals])])
    client, _ = _client(client, "AdminEditor")
    # the order of the selection is the order of the submitted values
    data = _band_form(band, genres=[folk.pk, black.pk, atmospheric.pk],
                      **{"members-0-roles": [guitar.pk, vocals.pk]})
    response = client.post(_change_url(band), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    band = Band.objects.get(pk=band.pk)
    assert [g.name for g in ordered(band.genres)] == ["Folk", "Black Metal", "Atmospheric"]
    assert [r.name for r in ordered(band.members.get().roles)] == ["Guitar", "Vocals"]
    # the change form shows them in that order again (Django's own widget would sort them by name)
    page = client.get(_change_url(band)).content.decode()
    genres_select = page[page.index('name="genres"'):]
    genres_select = genres_select[:genres_select.index("</select>")]
    assert genres_select.index("Folk") < genres_select.index("Black Metal") < genres_select.index("Atmospheric")
    roles_select = page[page.index('name="members-0-roles"'):]
    roles_select = roles_select[:roles_select.index("</select>")]
    assert roles_select.index("Guitar") < roles_select.index("Vocals")
    # reordering alone is a change: the record's working copy differs from what was approved
    response = client.post(_change_url(band), _band_form(band, genres=[black.pk, folk.pk, atmospheric.pk]))
    assert response.status_code == 302
    assert [g.name for g in ordered(Band.objects.get(pk=band.pk).genres)] == ["Black Metal", "Folk", "Atmospheric"]


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_every_existing_genre_and_role_row_in_the_order_added():
    executor = MigrationExecutor(connection)
    executor.migrate([("catalog", "0001_initial")])
    old = executor.loader.project_state([("catalog", "0001_initial")]).apps
    band = old.get_model("catalog", "Band").objects.create(key="old-band", name="Old Band")
    genres = [old.get_model("catalog", "Genre").objects.create(key=f"g{n}", name=name)
              for n, name in enumerate(["Zeuhl", "Avant", "Metal"])]
    for genre in genres:  # one by one: row ids in this order
        band.genres.add(genre)
    member = old.get_model("catalog", "Member").objects.create(band=band, name="M", order=0)
    roles = [old.get_model("catalog", "Role").objects.create(key=f"r{n}", name=name)
             for n, name in enumerate(["Voice", "Bass"])]
    for role in roles:
        member.roles.add(role)

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    band = Band.objects.get(key="old-band")
    assert [g.name for g in ordered(band.genres)] == ["Zeuhl", "Avant", "Metal"]
    assert list(band.genre_links.values_list("position", flat=True)) == [0, 1, 2]
    assert [r.name for r in ordered(band.members.get().roles)] == ["Voice", "Bass"]


@pytest.mark.django_db
def test_the_admin_api_reorders_genres_and_roles_as_sent():
    from rest_framework.test import APIClient

    from accounts.services import api_key_create

    thrash, doom = f.genre(key="thrash", name="Thrash"), f.genre(key="doom", name="Doom")
    vocals, bass = f.role(key="vocals", name="Vocals"), f.role(key="bass", name="Bass")
    band = f.band(key="order-band", name="Order Band", genres=[thrash, doom], members=[("Lemmy", [vocals, bass])])
    _, raw = api_key_create(name="ordering", group_name="AdminEditor")
    client = APIClient()
    client.credentials(HTTP_X_API_KEY=raw)
    body = {"name": "Order Band", "genreKeys": ["doom", "thrash"],
            "members": [{"name": "Lemmy", "roleKeys": ["bass", "vocals"]}]}
    answer = client.put("/api/admin/bands/order-band", body, format="json", HTTP_IF_MATCH=f'"{band.version}"')
    assert answer.status_code == 200, answer.json()
    snapshot = build_snapshot(Band.objects.get(pk=band.pk))
    assert snapshot["genreKeys"] == ["doom", "thrash"]
    assert snapshot["members"] == [{"name": "Lemmy", "roleKeys": ["bass", "vocals"]}]


@pytest.mark.django_db
def test_revert_restores_the_order_of_that_version():
    from catalog import services

    thrash, groove, doom = f.genre(name="Thrash"), f.genre(name="Groove"), f.genre(name="Doom")
    band = f.band(genres=[doom, thrash, groove])  # not the order of their ids
    version = band.history.latest()
    services.record_save(record=band, user=None, save_related=lambda b: set_ordered(b.genres, [groove, doom]))
    assert [g.name for g in ordered(band.genres)] == ["Groove", "Doom"]
    services.record_revert(record=band, user=None, history_id=version.history_id)
    assert [g.name for g in ordered(Band.objects.get(pk=band.pk).genres)] == ["Doom", "Thrash", "Groove"]
