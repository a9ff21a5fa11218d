"""Completeness of invalidation, proved against the CDN emulator over random edit sequences (hypothesis).

After every publish, no answer cached by the emulator — details, lists, pages and
filters, redirects and 404s — differs from what the read tier now returns.
"""

import datetime as dt
import itertools
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog import services
from catalog.models import Band, Edition, Festival, Genre, LineupEntry, Role
from publishing.models import Invalidation
from publishing.worker import drain
from publishing.writer import Writer
from read_api import queries, schema
from tests import factories as f

from .cdn_emulator import CURRENT, CDNEmulator, comparable, origin
from .scenarios import published_world

pytestmark = [pytest.mark.django_db, pytest.mark.dynamodb, pytest.mark.slow]
_names = itertools.count(1)


def traffic(keys: dict[str, set[str]]) -> list[str]:
    urls = [
        "/api/festivals", "/api/festivals?limit=1", "/api/festivals?limit=1&offset=1", "/api/festivals/upcoming",
        "/api/festivals/upcoming?limit=1&offset=1", "/api/bands", "/api/bands?reviewed=true",
        "/api/bands?reviewed=false&limit=1", "/api/bands?limit=1&offset=1", "/api/bands/reviewed",
        "/api/bands/unreviewed?limit=2", "/api/genres", "/api/genres?limit=1&offset=1", "/api/roles",
        "/api/roles?limit=1",
        # issue 15: filters (each an index read) and calendars
        "/api/festivals?country=DE", "/api/festivals?country=FR&limit=1", "/api/festivals?country=SE",
        "/api/festivals?bbox=40,-10,60,20", "/api/festivals?bbox=-90,-180,90,180&limit=1",
        "/api/festivals?from=2026-01-01&to=2026-12-31", "/api/festivals?month=2027-06&country=FR",
        "/api/festivals?from=2027-01-01&bbox=40,-10,60,20", "/api/festivals/upcoming?country=FR",
        "/api/festivals/upcoming?bbox=-90,-180,90,180", "/api/festivals/upcoming.ics",
        "/api/festivals/upcoming.ics?country=DE", "/api/bands?country=GB", "/api/bands?country=SE&limit=1",
        "/api/bands?genre=heavy-metal&limit=1",
        # issue 15.1: search as you type (renames, new editions and lineups move these rows and reorder them)
        "/api/search?q=i", "/api/search?q=iron%20m", "/api/search?q=Maid", "/api/search?q=b", "/api/search?q=band%201",
        "/api/search?q=f", "/api/search?q=wacken%20open%20air", "/api/search?q=hell", "/api/search?q=new%20band",
    ]
    for key in sorted(keys["festival"]):
        urls += [f"/api/festivals/{key}", f"/api/festivals/{key}/editions", f"/api/festivals/{key}/editions?limit=1",
                 f"/api/festivals/{key}/editions/2026", f"/api/festivals/{key}/editions/2027",
                 f"/api/festivals/{key}/calendar.ics"]
    for key in sorted(keys["band"]):
        urls += [f"/api/bands/{key}", f"/api/bands/{key}/festivals", f"/api/bands/{key}/festivals?limit=1&offset=1",
                 f"/api/bands/{key}/calendar.ics"]
    for key in sorted(keys["genre"]):
        urls += [f"/api/genres/{key}", f"/api/genres/{key}/bands", f"/api/genres/{key}/bands?limit=1&offset=1",
                 f"/api/bands?genre={key}"]
    for key in sorted(keys["role"]):
        urls += [f"/api/roles/{key}", f"/api/roles/{key}/members", f"/api/roles/{key}/members?limit=1"]
    return urls


def seen_keys() -> dict[str, set[str]]:
    """Every key any record holds or held: old keys keep being requested (bookmarks, redirects)."""
    return {
        name: set(model.objects.values_list("key", flat=True)) | set(model.history.values_list("key", flat=True))
        for name, model in (("festival", Festival), ("band", Band), ("genre", Genre), ("role", Role))
    }


def reapprove(record):
    services.record_save(record=record, user=None)
    record.refresh_from_db()
    if record.review_status != "approved":
        f.approved(record)


def pick(model, index, **filters):
    records = list(model.objects.filter(**filters).order_by("pk"))
    return records[index % len(records)] if records else None


# --- the edits (each goes through the catalog's workflow) --------------------------------------
def rename_band(i):
    band = pick(Band, i, published_snapshot__isnull=False)
    if band:
        band.name = f"Band {next(_names)}"
        reapprove(band)


def toggle_reviewed(i):
    band = pick(Band, i, published_snapshot__isnull=False)
    if band:
        band.reviewed = not band.reviewed
        reapprove(band)


def change_band_genres(i):
    band, genre = pick(Band, i), pick(Genre, i + 1)
    if band and genre:
        current = set(band.genres.all())
        services.record_save(record=band, user=None,
                             save_related=lambda b: b.genres.set(current ^ {genre} or {genre}))
        band.refresh_from_db()
        if band.review_status != "approved":
            f.approved(band)


def rekey_band(i):
    band = pick(Band, i)
    if band:
        services.record_rename_key(record=band, user=None, new_key=f"band-key-{next(_names)}")


def rekey_festival(i):
    festival = pick(Festival, i)
    if festival:
        services.record_rename_key(record=festival, user=None, new_key=f"fest-key-{next(_names)}")


def rekey_genre(i):
    genre = pick(Genre, i)
    if genre:
        services.record_rename_key(record=genre, user=None, new_key=f"genre-key-{next(_names)}")


def rename_festival(i):
    festival = pick(Festival, i, published_snapshot__isnull=False)
    if festival:
        festival.name, festival.city = f"Fest {next(_names)}", f"City {next(_names)}"
        reapprove(festival)


def rename_role(i):
    role = pick(Role, i, published_snapshot__isnull=False)
    if role:
        role.name = f"Role {next(_names)}"
        reapprove(role)


def change_lineup(i):
    edition, band = pick(Edition, i), pick(Band, i + 1)
    if edition and band:
        def lineup(e):
            entry = LineupEntry.objects.filter(edition=e, band=band).first()
            if entry:
                entry.delete()
            else:
                LineupEntry.objects.create(edition=e, band=band, order=99)
        services.record_save(record=edition, user=None, save_related=lineup)
        edition.refresh_from_db()
        f.approved(edition)


def add_edition(i):
    festival = pick(Festival, i)
    if festival and not festival.editions.filter(year=2027).exists():
        f.approved(f.edition(festival, 2027, bands=list(Band.objects.order_by("pk")[:1])))


def unpublish(i):
    record = pick([Band, Festival, Genre, Role, Edition][i % 5], i, published_snapshot__isnull=False)
    if record:
        services.record_unpublish(record=record, user=None)


def republish_record(i):
    record = pick([Band, Festival, Genre, Role, Edition][i % 5], i, published_snapshot__isnull=True)
    if record:
        f.approved(record)


def delete_festival(i):
    festival = pick(Festival, i)
    if festival and Festival.objects.count() > 1:
        services.record_delete(record=festival, user=None)


def move_festival(i):
    """Issue 15.2: a festival's country and coordinates decide its country and map partitions."""
    festival = pick(Festival, i, published_snapshot__isnull=False)
    if festival:
        festival.country = ["DE", "FR", "SE", ""][i % 4]
        festival.latitude, festival.longitude = [(54.02, 9.38), (59.3, 18.1), (None, None), (47.09, -1.28)][i % 4]
        reapprove(festival)


def move_band(i):
    band = pick(Band, i, published_snapshot__isnull=False)
    if band:
        band.country = ["SE", "GB", "", "US"][i % 4]
        reapprove(band)


def new_band(i):
    f.approved(f.band(f"new-band-{next(_names)}", genres=list(Genre.objects.order_by("pk")[:1])))


def move_edition(i):
    """Issue 12.5: an edition's dates decide which days' upcoming counts hold it (ended, running, across a
    month start, later)."""
    edition = pick(Edition, i, published_snapshot__isnull=False)
    if edition:
        start = queries.today() + dt.timedelta(days=[-45, -33, -20, -3, 0, 27, 60, 400][i % 8])
        edition.start_date, edition.end_date = start, start + dt.timedelta(days=[2, 40, 5, 3, 0, 10, 1, 3][i % 8])
        reapprove(edition)


EDITS = [rename_band, toggle_reviewed, change_band_genres, rekey_band, rekey_festival, rekey_genre, rename_festival,
         rename_role, change_lineup, add_edition, unpublish, republish_record, delete_festival, new_band,
         move_festival, move_band, move_edition]


@pytest.fixture
def emulator(publish_table, settings):
    settings.PUBLISH_CDN_BACKEND = "tests.publishing.cdn_emulator.EmulatorBackend"
    cdn = CDNEmulator()
    CURRENT.append(cdn)
    published_world()
    assert drain().failed == 0
    yield cdn
    CURRENT.remove(cdn)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 7)), min_size=1, max_size=4))
def test_no_cached_answer_is_stale_after_any_publish(emulator, steps):
    for edit, index in steps:
        urls = traffic(seen_keys())
        # The public has been reading everything: it is all cached (and equal to the origin, as checked below).
        before = {url: comparable(*emulator.get(url)) for url in urls}
        last_invalidation = Invalidation.objects.order_by("-id").values_list("id", flat=True).first() or 0
        edit(index)
        report = drain()
        assert report.failed == 0, report.errors
        assert emulator.stale(traffic(seen_keys())) == [], f"stale after {edit.__name__}({index})"
        assert all("/*" != item for batch in emulator.invalidations for item in batch)
        # What the admin shows as the public answers changed names every answer that did change.
        recorded = [p for i in Invalidation.objects.filter(id__gt=last_invalidation) for p in i.changed_paths]
        changed = [url for url in urls if comparable(*_origin_answer(url)) != before[url]]
        missing = [url for url in changed if not any(_covers(path, url) for path in recorded)]
        assert missing == [], f"changed answers not listed after {edit.__name__}({index}): {missing}"
        assert_country_counts_exact()
        assert_upcoming_counts_exact()


COUNTRIES = ("DE", "FR", "SE", "GB", "US", "NO")


def assert_country_counts_exact():
    """Issue 12.5: each country's count (an item publishing keeps) equals its rows, on page 1 and on the next."""
    for path, rows_name in (("/api/festivals", "festivals"), ("/api/bands", "bands")):
        for code in COUNTRIES:
            status, _, body = origin(f"{path}?country={code}&limit=500")
            whole = json.loads(body)
            assert status == 200 and "nextCursor" not in whole
            assert whole["count"] == len(whole[rows_name]), f"{path}?country={code}: {whole}"
            if whole["count"] > 1:
                first = json.loads(origin(f"{path}?country={code}&limit=1")[2])
                second = json.loads(origin(f"{path}?country={code}&limit=1&cursor={first['nextCursor']}")[2])
                assert first["count"] == second["count"] == whole["count"]


def assert_upcoming_counts_exact():
    """Issue 12.5: every day each upcoming count item holds (in all and by country) counts exactly the public
    editions ending on or after it, items cover every month from today's read to the last end, and
    /upcoming answers that count on page 1 and on the next."""
    today = queries.today()
    public = [(e.festival.published_snapshot.get("countryCode"), e.published_snapshot["dates"]["end"])
              for e in Edition.objects.filter(published_snapshot__isnull=False,
                                              festival__published_snapshot__isnull=False).select_related("festival")]
    stored = Writer().read_items([(schema.UPCOMING_COUNTS_PK, None), (schema.UPCOMING_COUNTRIES_PK, None)])
    months = []
    for (pk, sk), attrs in stored.items():
        code = None if pk == schema.UPCOMING_COUNTS_PK else sk.split("#")[1]
        months += [sk.rsplit("#", 1)[1]] if code is None else []
        body = json.loads(attrs["body"]["S"])
        for offset, count in enumerate(body["counts"]):
            day = (dt.date.fromisoformat(body["since"]) + dt.timedelta(days=offset)).isoformat()
            assert count == sum(1 for c, end in public if end >= day and code in (None, c)), (sk, day)
    last = max([dt.date.fromisoformat(end) for _, end in public] + [today])
    first = schema.upcoming_read_start(today)
    assert sorted(months) == [schema.month_key(m) for m in _months(first, schema.month_start(last))]
    for query in ("", *(f"country={code}&" for code in COUNTRIES)):
        code = query[len("country="):-1] if query else None
        expected = sum(1 for c, end in public if end >= today.isoformat() and code in (None, c))
        first_page = json.loads(origin(f"/api/festivals/upcoming?{query}limit=1")[2])
        assert first_page["count"] == expected, f"/upcoming?{query}: {first_page}"
        if expected > 1:
            cursor = first_page["nextCursor"]
            second = json.loads(origin(f"/api/festivals/upcoming?{query}limit=1&cursor={cursor}")[2])
            assert second["count"] == expected


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    found = [first]
    while found[-1] < last:
        found.append(schema.next_month(found[-1]))
    return found


def _origin_answer(url):
    status, _, body = origin(url)
    return status, body


def _covers(path: str, url: str) -> bool:
    """A recorded path stands for its answer with any query string; `…/*` for every path under it."""
    url_path = url.split("?", 1)[0]
    return url_path == path or (path.endswith("/*") and url_path.startswith(path[:-1]))


def test_the_emulator_can_see_staleness(emulator, settings):
    """Without invalidation the same traffic does go stale: the property above is not vacuous."""
    settings.PUBLISH_CDN_BACKEND = "publishing.cdn.RecordingBackend"
    urls = traffic(seen_keys())
    for url in urls:
        emulator.get(url)
    rename_band(0)
    drain()
    stale = emulator.stale(urls)
    assert "/api/bands" in stale and "/api/bands?reviewed=false&limit=1" in stale


def test_past_the_wildcard_threshold_one_item_leaves_nothing_stale(emulator, settings):
    settings.PUBLISH_INVALIDATION_WILDCARD_AFTER = 2
    urls = traffic(seen_keys())
    for url in urls:
        emulator.get(url)
    rename_band(0)
    drain()
    assert emulator.invalidations[-1] == ["/api/*"]
    assert emulator.stale(traffic(seen_keys())) == []


def test_exact_paths_would_miss_paged_and_filtered_answers(emulator, settings):
    """The trap in the specification's patterns: `/api/bands` clears neither `?offset=` nor `?reviewed=` variants."""
    settings.PUBLISH_CDN_BACKEND = "publishing.cdn.RecordingBackend"
    urls = traffic(seen_keys())
    for url in urls:
        emulator.get(url)
    rename_band(0)
    drain()
    emulator.invalidate(["/api/bands", "/api/bands/iron-maiden", "/api/bands/metallica", "/api/festivals/*"])
    assert "/api/bands?reviewed=false&limit=1" in emulator.stale(urls)


def test_path_fallback_without_cache_tags_is_complete_too(emulator, settings):
    settings.CLOUDFRONT_CACHE_TAGS = False
    for edit, index in [(rename_band, 0), (rekey_festival, 1), (change_lineup, 0), (rekey_genre, 0), (unpublish, 0)]:
        urls = traffic(seen_keys())
        for url in urls:
            emulator.get(url)
        edit(index)
        assert drain().failed == 0
        assert emulator.stale(traffic(seen_keys())) == [], edit.__name__
        assert not [i for batch in emulator.invalidations[-1:] for i in batch if i.startswith("#")]
