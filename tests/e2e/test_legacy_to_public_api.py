"""From the legacy export shipped in the repository (data/legacy-db.json) to the public API, as a user runs it:
`import_legacy` (which publishes), then the read tier's answers, checked against the source file.

Every answer is validated against read_api/openapi.yaml. Checked: no lineup entry without a key,
genre and role mentions kept public (≥ 97 %; the rest held in the report with a reason), the
file's order of genres and roles, country names, whole genre and role lists, and a second
import that changes nothing.
"""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from catalog.importer.normalize import to_key
from catalog.importer.report import ImportReport
from catalog.importer.service import _Writer
from catalog.models import Band, Festival, FestivalAlias, Genre, ReviewStatus, Role
from read_api import queries
from tests.catalog.fidelity import measure
from tests.read_api.conftest import invoke, make_event

LEGACY = Path(__file__).resolve().parents[2] / "data" / "legacy-db.json"

pytestmark = [pytest.mark.slow, pytest.mark.dynamodb]


def api(path: str, **query):
    """GET through the read tier's Lambda handlers; every answer is validated against the OpenAPI document."""
    return invoke(make_event(path, query=query or None))


def whole_list(path: str, field: str) -> list[dict]:
    rows, cursor = [], None
    while True:
        answer = api(path, **({"cursor": cursor} if cursor else {}))
        assert answer.status == 200
        body = answer.json()
        rows += body[field]
        cursor = body.get("nextCursor")
        if not cursor:
            return rows


def _festival_key(key: str) -> str:
    festival = Festival.objects.filter(key=key).first()
    return festival.key if festival else FestivalAlias.objects.get(key=key).festival.key


@pytest.mark.django_db(transaction=True)  # the import publishes after its commit, as with the local settings
def test_legacy_export_to_public_api_keeps_what_the_legacy_site_showed(dynamodb_table, settings, tmp_path):
    settings.PUBLISH_ON_COMMIT = True
    data = json.loads(LEGACY.read_text())
    report_file = tmp_path / "report.json"
    out, err = io.StringIO(), io.StringIO()
    call_command("import_legacy", str(LEGACY), "--report", str(report_file), stdout=out, stderr=err)
    printed = out.getvalue()
    report = json.loads(report_file.read_text())
    assert report["publishing"]["counts"] == {"done": report["publishing"]["counts"]["done"]}, printed
    assert "0 waiting, 0 failed." in printed

    # every lineup entry carries a key; a key with no public page answers 404 (a draft placeholder)
    lineup_keys = set()
    for festival_data in data["festivals"]:
        detail = api(f"/api/festivals/{_festival_key(festival_data['key'])}").json()
        for edition in detail["editions"]:
            for entry in edition["bands"]:
                assert isinstance(entry["key"], str) and entry["key"], entry
                lineup_keys.add(entry["key"])
    placeholders = {p["key"] for p in report["placeholder_bands"]}
    assert placeholders and placeholders <= lineup_keys
    for key in sorted(lineup_keys):
        status = api(f"/api/bands/{key}").status
        assert status == (404 if key in placeholders else 200), key
        if status == 404:
            assert Band.objects.get(key=key).review_status == ReviewStatus.DRAFT

    # genres and roles: the public band answers against the file
    bands = {}
    for key in Band.objects.approved().values_list("key", flat=True):
        answer = api(f"/api/bands/{key}")
        assert answer.status == 200
        bands[key] = answer.json()
    roles, genres = _Writer(ImportReport(), overwrite=False, progress=print).vocabularies()
    figures = measure(data, bands, roles=roles, genres=genres)
    assert figures.share("genre") >= 0.97 and figures.share("role") >= 0.97, figures.lines()
    held = {w["path"] for w in report["warning_list"] if w["kind"] in ("genre_held", "role_held")}
    for path, text in figures.lost_genres + figures.lost_roles:
        assert any(h == path or h.startswith(path.rsplit(".role", 1)[0]) for h in held), (path, text)
    assert figures.bands_without_genre == 0 and figures.members_without_role == 0
    # order: as the file gives it, not alphabetical
    assert figures.genre_order_checked > 100 and figures.genre_order_kept == figures.genre_order_checked
    assert figures.role_order_checked > 100 and figures.role_order_kept == figures.role_order_checked

    # countries: shown as people read them; every text not shown as given is in the report
    reported = {w["path"] for w in report["warning_list"] if w["kind"].startswith("country_")}
    for index, band_data in enumerate(data["bands"]):
        key = to_key(band_data["key"])  # "dödsrit" is imported as dodsrit (reported as key_normalised)
        shown = bands[key]["band"]["country"] if key in bands else None
        if band_data.get("country") and shown != band_data["country"]:
            assert f"bands[{index}].country" in reported, (key, band_data["country"], shown)
    shown_countries = {b["band"]["country"] for b in bands.values()}
    assert {"United States", "Scotland", "Wales", "United Kingdom", "Germany"} <= shown_countries
    assert "United States of America" not in shown_countries
    assert len(figures.countries_changed) <= 5, figures.countries_changed  # Czechia ×2, International, two multiples

    # whole lists of genres and roles
    public_genres = {row["key"] for row in whole_list("/api/genres", "genres")}
    public_roles = {row["key"] for row in whole_list("/api/roles", "roles")}
    assert public_genres == set(Genre.objects.approved().values_list("key", flat=True))
    assert public_roles == set(Role.objects.approved().values_list("key", flat=True))
    assert {k for b in bands.values() for k in b["band"]["genreKeys"]} <= public_genres

    # search as you type (issue 15.1) over the whole export: one Query per keystroke
    for q, name in (("iron m", "Iron Maiden"), ("maid", "Iron Maiden"), ("motor", "Motorjesus"),
                    ("Wacken", "Wacken Open Air")):
        answer = api("/api/search", q=q)
        results = answer.json()["results"]
        assert name in [r["name"] for r in results] and len(results) <= 20, (q, results)
        assert queries.stats.requests == 1
    exact = api("/api/search", q="iron maiden").json()["results"][0]
    assert (exact["type"], exact["key"]) == ("band", "iron-maiden")
    played = {row["festivalKey"] for row in whole_list("/api/bands/iron-maiden/festivals", "festivals")}
    assert exact["festivalCount"] == len(played) > 0

    # a second import changes nothing and publishes nothing
    out = io.StringIO()
    call_command("import_legacy", str(LEGACY), stdout=out, stderr=io.StringIO())
    assert "Publishing: nothing to publish" in out.getvalue()
    for line in out.getvalue().splitlines():
        if line.startswith(("band ", "genre ", "role ", "festival ", "edition ")):
            created, updated = line.split()[1:3]
            assert (created, updated) == ("0", "0"), line
