"""The admin answers every page in a number of queries that does not grow with the rows it shows.

Each test opens a page with N rows, grows the data to 3N rows and opens it again: the query count
must be the same (an N+1 in a list column, a filter, an inline or the history shows as a difference).
"""

import re
from collections import Counter
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from catalog.models import (
    Band,
    Edition,
    Festival,
    FestivalAlias,
    Genre,
    GenreAlias,
    LineupEntry,
    Member,
    Role,
    RoleAlias,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

N = 4


def _queries(client, url) -> list[str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, response.content.decode()[:500]
    return [q["sql"] for q in ctx.captured_queries]


def _shape(sql: str) -> str:
    """A query without its literals, so the same query with other values counts as a repeat."""
    return re.sub(r"'[^']*'|\b\d+\b", "?", sql)


def _assert_flat(client, url, grow) -> None:
    """Open `url` at N rows and at 3N rows: the query counts must be equal."""
    grow(N)
    at_n = _queries(client, url)
    grow(2 * N)
    at_3n = _queries(client, url)
    repeated = Counter(map(_shape, at_3n)) - Counter(map(_shape, at_n))
    assert len(at_n) == len(at_3n), (
        f"{url}: {len(at_n)} queries at {N} rows, {len(at_3n)} at {3 * N}; repeated: {[q[:300] for q in repeated][:3]}"
    )


@pytest.fixture
def admin_client(client):
    client.force_login(f.user_in("AdminFull"))
    return client


@pytest.fixture
def world():
    """A genre, a role, a festival: what the grown rows point at."""
    genre, role = f.genre(name="Doom"), f.role(name="Vocals")
    return {"genre": genre, "role": role, "festival": f.festival(name="Hellfest")}


_seq = iter(range(1, 10**6))


def _band(world, **fields) -> Band:
    n = next(_seq)
    band = Band.objects.create(key=f"b-{n}", name=f"Band {n}", country=fields.pop("country", "FI"), **fields)
    band.genres.add(world["genre"])
    member = Member.objects.create(band=band, name=f"Member {n}")
    member.roles.add(world["role"])
    return band


def _edition(festival, year) -> Edition:
    return Edition.objects.create(festival=festival, year=year, start_date=date(year, 6, 1), end_date=date(year, 6, 3))


# --- changelists -------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?country=FI", "?genres__id__exact={genre}", "?public=no&reviewed__exact=0", "?q=band"])
def test_band_changelist(admin_client, world, query):
    edition = _edition(world["festival"], 2027)

    def grow(k):
        for _ in range(k):
            band = _band(world)
            LineupEntry.objects.create(edition=edition, band=band)

    url = reverse("admin:catalog_band_changelist") + query.format(genre=world["genre"].pk)
    _assert_flat(admin_client, url, grow)


def test_festival_and_edition_changelists(admin_client, world):
    def grow(k):
        for _ in range(k):
            festival = Festival.objects.create(key=f"fest-{next(_seq)}", name=f"Fest {next(_seq)}", country="DE")
            FestivalAlias.objects.create(key=f"old-{festival.key}", festival=festival)
            LineupEntry.objects.create(edition=_edition(festival, 2026), band=_band(world))

    grow(0)
    for name in ("festival", "edition", "festivalalias"):
        _assert_flat(admin_client, reverse(f"admin:catalog_{name}_changelist"), grow)
    _assert_flat(admin_client, reverse("admin:catalog_edition_changelist") + "?when=upcoming&status__exact=announced", grow)


def test_genre_role_and_alias_changelists(admin_client, world):
    def grow(k):
        for _ in range(k):
            n = next(_seq)
            genre = Genre.objects.create(key=f"g-{n}", name=f"G {n}")
            role = Role.objects.create(key=f"r-{n}", name=f"R {n}")
            GenreAlias.objects.create(text=f"ga {n}", genre=genre)
            RoleAlias.objects.create(text=f"ra {n}").roles.add(role, world["role"])
            _band(world).genres.add(genre)

    for name in ("genre", "role", "genrealias", "rolealias"):
        _assert_flat(admin_client, reverse(f"admin:catalog_{name}_changelist"), grow)


# --- change forms and history --------------------------------------------------------------------


def test_band_change_form_and_history(admin_client, world):
    band = f.band(name="Grown", genres=[world["genre"]])

    def grow(k):
        for _ in range(k):
            member = Member.objects.create(band=band, name=f"M {next(_seq)}")
            member.roles.add(world["role"])
            member.name += " (renamed)"
            member.save()
            LineupEntry.objects.create(edition=_edition(world["festival"], 1950 + next(_seq) % 150), band=band)

    _assert_flat(admin_client, reverse("admin:catalog_band_change", args=[band.pk]), grow)
    _assert_flat(admin_client, reverse("admin:catalog_band_history", args=[band.pk]), grow)


def test_edition_change_form_and_history(admin_client, world):
    edition = f.edition(world["festival"], 2028)

    def grow(k):
        for _ in range(k):
            entry = LineupEntry.objects.create(edition=edition, band=_band(world), order=next(_seq) % 100)
            entry.billing_size = 1
            entry.save()

    _assert_flat(admin_client, reverse("admin:catalog_edition_change", args=[edition.pk]), grow)
    _assert_flat(admin_client, reverse("admin:catalog_edition_history", args=[edition.pk]), grow)


def test_festival_genre_and_role_change_forms(admin_client, world):
    festival, genre, role = world["festival"], world["genre"], world["role"]

    def grow(k):
        for _ in range(k):
            n = next(_seq)
            _edition(festival, 1950 + n % 150)
            FestivalAlias.objects.create(key=f"alias-{n}", festival=festival)
            GenreAlias.objects.create(text=f"alias {n}", genre=genre)
            RoleAlias.objects.create(text=f"alias {n}").roles.add(role)

    _assert_flat(admin_client, reverse("admin:catalog_festival_change", args=[festival.pk]), grow)
    _assert_flat(admin_client, reverse("admin:catalog_genre_change", args=[genre.pk]), grow)
    _assert_flat(admin_client, reverse("admin:catalog_role_change", args=[role.pk]), grow)


def test_edition_lineup_is_chosen_by_autocomplete_not_a_select_of_every_band(admin_client, world):
    """A lineup row must not render a <select> listing every band (35 rows × 170,000 options)."""
    edition = f.edition(world["festival"], 2029, bands=[_band(world) for _ in range(3)])
    Band.objects.create(key="not-on-this-bill", name="Not On This Bill")
    page = admin_client.get(reverse("admin:catalog_edition_change", args=[edition.pk])).content.decode()
    assert "Not On This Bill" not in page, "a lineup row lists every band"
    assert page.count('data-field-name="band"') >= 3 + 1  # the rows and the empty template use the autocomplete


def test_related_history_shows_each_change_against_the_previous_version_of_that_part(admin_client, world):
    """The batched history keeps what prev_record/diff_against showed: field and many-to-many changes, by name."""
    guitar = f.role(name="Guitar")
    band = f.band(name="Changing", members=[("Aino", [world["role"]]), ("Ville", [])])
    aino = band.members.get(name="Aino")
    aino.roles.set([guitar])
    ville = band.members.get(name="Ville")
    ville.name = "Ville V."
    ville.save()
    page = admin_client.get(reverse("admin:catalog_band_history", args=[band.pk])).content.decode()
    related = page.split('id="related-history"')[1]
    # set() removes then adds: two versions, each against the one before it.
    assert "<strong>roles:</strong> [&#x27;Vocals&#x27;] &rarr; []" in related
    assert "<strong>roles:</strong> [] &rarr; [&#x27;Guitar&#x27;]" in related
    assert "<strong>name:</strong> Ville &rarr; Ville V." in related

    edition = f.edition(world["festival"], 2030, bands=[band])
    entry = edition.lineup.get()
    entry.billing_size = 2
    entry.save()
    page = admin_client.get(reverse("admin:catalog_edition_history", args=[edition.pk])).content.decode()
    related = page.split('id="related-history"')[1]
    assert "Changing @ Hellfest 2030" in related and "<strong>billing_size:</strong> 0 &rarr; 2" in related


def _lineup_post(edition, **changes) -> dict:
    """The POST body of the edition's change form with its whole lineup; `changes` override fields."""
    edition.refresh_from_db()
    rows = list(edition.lineup.order_by("order", "id"))
    data = {
        "festival": edition.festival_id, "year": edition.year, "start_date": edition.start_date.isoformat(),
        "end_date": edition.end_date.isoformat(), "status": edition.status, "ticket_price": "", "currency": "",
        "expected_version": edition.version, "lineup-TOTAL_FORMS": len(rows), "lineup-INITIAL_FORMS": len(rows),
        "lineup-MIN_NUM_FORMS": 0, "lineup-MAX_NUM_FORMS": 1000,
    }
    for i, row in enumerate(rows):
        data.update({f"lineup-{i}-id": row.pk, f"lineup-{i}-edition": edition.pk, f"lineup-{i}-order": row.order,
                     f"lineup-{i}-band": row.band_id, f"lineup-{i}-billing_size": row.billing_size or ""})
    data.update(changes)
    return data


def _bulk_lineup(edition, count: int) -> list[LineupEntry]:
    start = LineupEntry.objects.filter(edition=edition).count()
    bands = Band.objects.bulk_create(Band(key=f"bulk-{next(_seq)}", name=f"Bulk {i}") for i in range(count))
    return LineupEntry.objects.bulk_create(
        LineupEntry(edition=edition, band=b, order=start + i) for i, b in enumerate(bands)
    )


def test_an_edition_with_300_lineup_rows_saves(admin_client, world):
    """Django's default DATA_UPLOAD_MAX_NUMBER_FIELDS (1,000) refused the form of a lineup past ~160 rows."""
    edition = f.edition(world["festival"], 2031)
    rows = _bulk_lineup(edition, 300)
    response = admin_client.post(
        reverse("admin:catalog_edition_change", args=[edition.pk]), _lineup_post(edition, **{"lineup-299-billing_size": 2})
    )
    assert response.status_code == 302, response.content.decode()[:1000]
    assert LineupEntry.objects.get(pk=rows[299].pk).billing_size == 2


def test_saving_a_lineup_costs_the_same_queries_at_n_and_3n_rows(admin_client, world):
    """Each row's band, the row itself, the band's existence and the billing range were one query each, a row."""
    edition = f.edition(world["festival"], 2032)
    url = reverse("admin:catalog_edition_change", args=[edition.pk])
    counts = []
    for grow in (N, 2 * N):
        _bulk_lineup(edition, grow)
        with CaptureQueriesContext(connection) as ctx:
            response = admin_client.post(url, _lineup_post(edition, **{"lineup-0-billing_size": len(counts) + 1}))
        assert response.status_code == 302, response.content.decode()[:1000]
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert edition.lineup.order_by("order", "id").first().billing_size == 2


def test_a_lineup_listing_one_band_twice_is_refused_with_a_message(admin_client, world):
    edition = f.edition(world["festival"], 2033)
    rows = _bulk_lineup(edition, 3)
    response = admin_client.post(
        reverse("admin:catalog_edition_change", args=[edition.pk]), _lineup_post(edition, **{"lineup-2-band": rows[0].band_id})
    )
    assert response.status_code == 200 and "Please correct the duplicate" in response.content.decode()
    assert LineupEntry.objects.get(pk=rows[2].pk).band_id == rows[2].band_id


def test_a_lineup_row_naming_a_band_that_does_not_exist_is_refused(admin_client, world):
    edition = f.edition(world["festival"], 2034)
    _bulk_lineup(edition, 2)
    response = admin_client.post(
        reverse("admin:catalog_edition_change", args=[edition.pk]), _lineup_post(edition, **{"lineup-1-band": 999999})
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()


def _counts(queries: list[str]) -> list[str]:
    return [q for q in queries if q.startswith("SELECT COUNT(*)") and '"catalog_band"' in q]


def test_band_changelist_never_counts_the_whole_table_for_a_filtered_page(admin_client, world):
    for _ in range(3):
        _band(world, country="SE")
    _band(world)
    queries = _queries(admin_client, reverse("admin:catalog_band_changelist") + "?country=SE")
    assert all("WHERE" in q for q in _counts(queries)), _counts(queries)  # Django's "of N total" count is off


def test_unfiltered_changelist_counts_from_statistics_on_postgresql(admin_client, world, monkeypatch):
    from catalog.admin_scale import EstimatedCountPaginator

    for _ in range(30):
        _band(world)
    monkeypatch.setattr(EstimatedCountPaginator, "exact_below", 10)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE catalog_band")
    response = admin_client.get(reverse("admin:catalog_band_changelist"))
    with CaptureQueriesContext(connection) as ctx:
        response = admin_client.get(reverse("admin:catalog_band_changelist"))
    counts = _counts([q["sql"] for q in ctx.captured_queries])
    if connection.vendor == "postgresql":
        assert counts == [] and "30 bands" in response.content.decode()
    else:
        assert len(counts) == 1 and "30 bands" in response.content.decode()


def test_country_filter_lists_each_country_once(admin_client, world):
    """The model's ordering by name made DISTINCT return one entry per band: 150,000 links at ×100."""
    for _ in range(3):
        _band(world, country="FI")
    _band(world, country="SE")
    page = admin_client.get(reverse("admin:catalog_band_changelist")).content.decode()
    assert page.count("?country=FI") == 1 and page.count("?country=SE") == 1


def _edition_refused(client, edition):
    """The edition's form posted with its second lineup row naming the first row's band (refused: shown again)."""
    rows = list(edition.lineup.order_by("order", "id"))
    data = {"festival": edition.festival_id, "year": edition.year, "start_date": edition.start_date.isoformat(),
            "end_date": edition.end_date.isoformat(), "status": edition.status, "ticket_price": "", "currency": "",
            "expected_version": edition.version, "lineup-TOTAL_FORMS": len(rows), "lineup-INITIAL_FORMS": len(rows),
            "lineup-MIN_NUM_FORMS": 0, "lineup-MAX_NUM_FORMS": 1000}
    for i, row in enumerate(rows):
        data.update({f"lineup-{i}-id": row.pk, f"lineup-{i}-edition": edition.pk, f"lineup-{i}-order": row.order,
                     f"lineup-{i}-band": rows[0].band_id, f"lineup-{i}-billing_size": row.billing_size})
    response = client.post(reverse("admin:catalog_edition_change", args=[edition.pk]), data)
    assert response.status_code == 200 and b"errornote" in response.content
    return response


@pytest.mark.parametrize("page", ["edition", "band", "role", "edition refused"])
def test_fast_rendering_writes_what_djangos_templates_write(admin_client, world, monkeypatch, page):
    """The inline rows and their widgets written in Python must be byte for byte the templates' output (rows
    with errors too), and the inlines' media gathered from one row what Django gathers from all of them."""
    from django.contrib.admin import helpers

    from catalog import admin_scale

    guitar = f.role(name="Guitar <&> \"Lead\"")
    RoleAlias.objects.create(text="Lead <guitar>").roles.add(guitar)
    band = f.band(name="Ä & <Band>", members=[("Aino", [world["role"], guitar]), ("Ville", [])])
    edition = f.edition(world["festival"], 2035, bands=[band, _band(world)])
    url = {"edition": reverse("admin:catalog_edition_change", args=[edition.pk]),
           "band": reverse("admin:catalog_band_change", args=[band.pk]),
           "role": reverse("admin:catalog_role_change", args=[guitar.pk])}.get(page)

    def render() -> str:
        response = _edition_refused(admin_client, edition) if url is None else admin_client.get(url)
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())

    used = Counter()
    for name in ("_input", "_select", "tabular_rows"):
        original = getattr(admin_scale, name)
        monkeypatch.setattr(admin_scale, name, lambda *a, original=original, name=name: used.update([name]) or original(*a))
    fast = render()
    assert used["tabular_rows"] >= 1 and used["_input"] >= 4 and used["_select"] >= 1, used  # the fast path did render
    monkeypatch.setattr(admin_scale, "FAST_WIDGETS", False)
    monkeypatch.setattr(admin_scale, "FAST_FIELD_COPIES", False)
    monkeypatch.setattr(admin_scale._SharedMediaInlineAdminFormSet, "media", helpers.InlineAdminFormSet.media)
    slow = render()
    assert slow == fast
    assert "Ä &amp; &lt;Band&gt;" in fast or page == "role"
    if page == "edition refused":
        assert 'class="row-form-errors"' in fast


@pytest.mark.parametrize("name", ["genre", "role", "festival"])
def test_history_of_a_record_without_inline_history_opens(admin_client, world, name):
    record = world[name]
    assert admin_client.get(reverse(f"admin:catalog_{name}_history", args=[record.pk])).status_code == 200


def _copy_state(obj, original):
    """A copied field or widget as comparable data: each attribute's value (text for plain data, the type for
    iterators and querysets), whether it is the original's very object, and the same for nested fields/widgets."""
    from django import forms
    from django.db.models import QuerySet
    from django.utils.choices import BaseChoiceIterator

    state = {"__class__": type(obj)}
    for name, value in vars(obj).items():
        before = vars(original).get(name)
        shared = value is before
        if isinstance(value, (forms.Field, forms.Widget)):
            state[name] = (shared, _copy_state(value, before))
        elif isinstance(value, BaseChoiceIterator) and not isinstance(value, forms.models.ModelChoiceIterator):
            state[name] = (shared, type(value), _copy_state(value, before))
        elif isinstance(value, (QuerySet, forms.models.ModelChoiceIterator)):
            state[name] = (shared, type(value))
        elif isinstance(value, (list, dict, tuple, set)):
            inner = [a is b for a, b in zip(value, before or (), strict=False)] if isinstance(value, (list, tuple)) else None
            state[name] = (shared, repr(value), inner)
        else:
            state[name] = (shared, repr(value))
    return state


@pytest.mark.parametrize("name", ["edition", "band", "role"])
def test_inline_rows_copy_their_fields_as_deepcopy_does(admin_client, world, name):
    """Each row's form copies the inline form's fields (`_RowFields`): the copies must be what copy.deepcopy makes,
    attribute for attribute, sharing with the original exactly what deepcopy shares."""
    import copy

    from django.contrib import admin
    from django.test import RequestFactory

    from catalog import admin_scale

    record = {"edition": f.edition(world["festival"], 2036, bands=[_band(world)]),
              "band": _band(world), "role": world["role"]}[name]
    request = RequestFactory().get("/")
    request.user = f.user_in("AdminFull")
    model_admin = admin.site._registry[type(record)]
    inline = model_admin.get_inline_instances(request, record)[0]
    base_fields = inline.get_formset(request, record).form.base_fields
    assert isinstance(base_fields, admin_scale._RowFields)
    fast, slow = copy.deepcopy(base_fields), copy.deepcopy(dict(base_fields))
    assert type(fast) is dict and list(fast) == list(slow)
    for field in base_fields:
        assert _copy_state(fast[field], base_fields[field]) == _copy_state(slow[field], base_fields[field])
    assert any(type(f).__deepcopy__ in admin_scale._FIELD_COPIES for f in base_fields.values())
