"""The legacy import (`import_legacy`): small files of our own for each rule, and the real legacy export."""

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditAction, AuditEntry
from catalog.importer import normalize
from catalog.importer.mapping import ROLES
from catalog.importer.schema import ImportFileError, load_legacy_file
from catalog.importer.service import legacy_import
from catalog.models import (
    Band,
    Edition,
    Festival,
    FestivalAlias,
    Genre,
    LineupEntry,
    ReviewStatus,
    Role,
    RoleAlias,
    RoleCategory,
)
from catalog.ordering import ordered
from catalog.services import record_save

DATA = Path(__file__).parent / "data"
LEGACY = Path(__file__).resolve().parents[2] / "data" / "legacy-db.json"
BEFORE_2026 = date(2026, 1, 1)  # the small files' 2025 edition is past, the 2026 one upcoming


def run(name: str, **options):
    options.setdefault("today", BEFORE_2026)
    return legacy_import(data=load_legacy_file(DATA / name), **options)


def warnings(report, kind: str) -> list[dict]:
    return [w for w in report.warnings if w["kind"] == kind]


def catalog_state() -> dict:
    """Every reviewable row's key, version and status, plus the row counts of the parts."""
    state = {}
    for model in (Genre, Role, Band, Festival, Edition):
        state[model.__name__] = sorted(
            (str(row.pk), row.version, row.review_status, row.import_hash) for row in model.objects.all()
        )
    state["lineup"] = sorted(LineupEntry.objects.values_list("edition_id", "band_id", "billing_size", "order"))
    state["aliases"] = sorted(FestivalAlias.objects.values_list("key", "festival_id"))
    return state


# --- normalisation rules, no database ------------------------------------------------------------


@pytest.mark.parametrize(("text", "key"), [
    ("Iron Maiden", "iron-maiden"),
    ("hällas", "hallas"),
    ("Мельница", "melnitsa"),
    ("abbath---doom-occulta", "abbath-doom-occulta"),
    ("Old Man's Child", "old-mans-child"),
    ("P.O.D.", "p-o-d"),
    ("!!!", ""),
])
def test_to_key_transliterates_and_slugifies(text, key):
    assert normalize.to_key(text) == key
    assert key == "" or normalize.is_valid_key(key)


@pytest.mark.parametrize(("text", "city", "code"), [
    ("Sölvesborg, Sweden", "Sölvesborg", "SE"),
    ("Donington Park, UK", "Donington Park", "GB"),
    ("Vizovice, Czech Republic", "Vizovice", "CZ"),
    ("Eindhoven, The Netherlands", "Eindhoven", "NL"),
    ("Austin, USA", "Austin", "US"),
])
def test_locations_split_into_city_and_country_code(text, city, code):
    found_city, country = normalize.split_location(text)
    assert (found_city, normalize.resolve_country(country).code) == (city, code)


def test_country_names_with_several_or_no_country_are_flagged():
    assert normalize.resolve_country("Denmark/Faroe Islands").code == "DK"
    assert normalize.resolve_country("Denmark/Faroe Islands").problem == "multiple"
    assert normalize.resolve_country("International").problem == "unknown"
    assert normalize.resolve_country("Russia").code == "RU"


@pytest.mark.parametrize(("value", "expected"), [
    (180, (Decimal("180.00"), None)),
    (249.99, (Decimal("249.99"), None)),
    ("99.50 GBP", (Decimal("99.50"), "GBP")),
    ("€45", (Decimal("45.00"), "EUR")),
    ({"amount": 10, "currency": "usd"}, (Decimal("10.00"), "USD")),
])
def test_prices_keep_their_currency_when_they_name_one(value, expected):
    from catalog.currencies import CURRENCY_CODES

    assert normalize.parse_price(value, CURRENCY_CODES) == expected


def _role_vocabulary():
    from catalog.importer import mapping

    return normalize.Vocabulary(keys=mapping.ROLES, names={n: k for k, (n, _) in mapping.ROLES.items()},
                                aliases=mapping.ROLE_ALIASES)


@pytest.mark.parametrize(("text", "keys"), [
    ("Vocals, Guitar", ["vocals", "guitar"]),
    ("Vocals & Bass", ["vocals", "bass"]),
    ("Guitar/Vocals", ["guitar", "vocals"]),
    ("Guitarist", ["guitar"]),
    ("Drummer", ["drums"]),
    ("Lead Guitar", ["lead-guitar"]),
    ("Guitars (Lead)", ["lead-guitar"]),
    ("Drums, Vocals (Backing), Keyboards", ["drums", "backing-vocals", "keyboards"]),
    ("Vocals (1998–1999, 2014–Present), Guitars (2005–2014)", ["vocals", "guitar"]),
    ("Su-Metal (Lead Vocals, Dancing)", ["vocals", "dancer"]),
    ("Bass And Backing Vocals", ["bass", "backing-vocals"]),
])
def test_free_text_roles_map_and_combined_values_split(text, keys):
    parsed = normalize.parse_roles(text, _role_vocabulary())
    assert (parsed.keys, parsed.unknown) == (keys, [])


def test_unknown_role_text_comes_back_as_unknown():
    parsed = normalize.parse_roles("Vocals, Noise Wizard", _role_vocabulary())
    assert parsed.keys == ["vocals"] and parsed.unknown == ["Noise Wizard"]


def test_every_mapped_role_has_a_sensible_category():
    assert ROLES["vocals"][1] == RoleCategory.VOICE
    assert ROLES["drums"][1] == RoleCategory.PERCUSSION
    assert ROLES["bass"][1] == RoleCategory.STRING
    assert ROLES["keyboards"][1] == RoleCategory.KEYS
    assert ROLES["programming"][1] == RoleCategory.ELECTRONICS
    assert normalize.guess_role_category("Baritone Vocals") == RoleCategory.VOICE


# --- a small file of our own -------------------------------------------------------------------------


@pytest.mark.django_db
def test_small_file_festival_becomes_festival_edition_and_ordered_lineup():
    report = run("small.json")
    steel = Festival.objects.get(key="steel-fest")
    assert steel.name == "Steel Fest" and steel.city == "Sölvesborg" and steel.country.code == "SE"
    assert steel.latitude == Decimal("56.051500") and steel.poster_url == "https://example.org/steel.jpg"
    assert FestivalAlias.objects.get(key="steel-fest-2026").festival == steel
    assert any(w["alias"] == "steel-fest-2026" for w in warnings(report, "key_year_removed"))
    edition = Edition.objects.get(festival=steel, year=2026)
    assert (edition.start_date, edition.end_date) == (date(2026, 6, 3), date(2026, 6, 6))
    assert (edition.ticket_price, edition.currency, edition.status) == (Decimal("180.00"), "EUR", "announced")
    lineup = list(edition.lineup.order_by("order").values_list("band__key", "billing_size"))
    assert lineup == [("iron-anvil", 0), ("hallas-band", None), ("ghost-riders", 2), ("kissin-thunder", 1),
                      ("no-such-band", None)]
    frost = Edition.objects.get(festival__key="frost-open-air", year=2025)
    assert frost.festival.country.code == "GB" and frost.festival.website == "https://frostopenair.example"
    assert (frost.ticket_price, frost.currency, frost.status) == (Decimal("99.50"), "GBP", "completed")
    for record in [steel, edition, frost, Band.objects.get(key="iron-anvil")]:
        record.refresh_from_db()
        assert record.review_status == ReviewStatus.APPROVED and record.published_snapshot is not None
    assert edition.published_snapshot["bands"][0] == {"key": "iron-anvil", "name": "Iron Anvil", "size": 0}


@pytest.mark.django_db
def test_small_file_bands_roles_genres_and_countries():
    report = run("small.json")
    anvil = Band.objects.get(key="iron-anvil")
    assert anvil.country.code == "US" and anvil.reviewed is True and anvil.logo_url == "https://example.org/anvil.png"
    # genres and roles in the file's order ("Vocals, Guitar"; "Heavy Metal", "Thrash/Groove Metal")
    members = {m.name: [r.key for r in ordered(m.roles)] for m in anvil.members.all()}
    assert members == {"Ann Vil": ["vocals", "guitar"], "Bo Drum": ["drums"], "Cy Bass": ["bass", "backing-vocals"]}
    assert [g.key for g in ordered(anvil.genres)] == ["heavy-metal", "thrash-metal", "groove-metal"]
    snapshot = anvil.published_snapshot
    assert snapshot["genreKeys"] == ["heavy-metal", "thrash-metal", "groove-metal"]
    assert {"name": "Ann Vil", "roleKeys": ["vocals", "guitar"]} in snapshot["members"]
    assert Band.objects.get(key="hallas-band").country.code == "NL"
    assert Band.objects.get(key="kissin-thunder").country.code == "GB"
    assert Band.objects.get(key="ghost-riders").country.code == "CZ"
    assert Role.objects.get(key="vocals").category == RoleCategory.VOICE
    assert Role.objects.get(key="vocals").review_status == ReviewStatus.APPROVED
    # texts no mapping knows: public terms of their own (they were public on the legacy site), reported
    wizard = Role.objects.get(key="nose-flute-wizard")
    assert wizard.review_status == ReviewStatus.APPROVED and wizard.name == "Nose Flute Wizard"
    assert Genre.objects.get(key="space-kraut-doom").review_status == ReviewStatus.APPROVED
    assert Band.objects.get(key="hallas-band").published_snapshot["genreKeys"] == ["space-kraut-doom"]
    assert {w["key"] for w in warnings(report, "role_new")} == {"nose-flute-wizard"}
    assert {w["key"] for w in warnings(report, "genre_new")} == {"space-kraut-doom"}
    # the mapping is in the tables, for editors to extend: the terms the file uses and their aliases
    assert [r.key for r in RoleAlias.objects.get(text="drummer").roles.all()] == ["drums"]
    assert not Role.objects.filter(key="flute").exists()  # in the mapping, unused by this file


@pytest.mark.django_db
def test_editor_extended_alias_is_used_by_the_next_import():
    run("small.json")
    alias = RoleAlias.objects.create(text="Nose Flute Wizard")
    alias.roles.set([Role.objects.get(key="keyboards")])
    report = run("small.json")
    eve = Band.objects.get(key="hallas-band").members.get(name="Eve")
    assert list(eve.roles.values_list("key", flat=True)) == ["keyboards"]
    assert report.counts["band"]["updated"] == 1


@pytest.mark.django_db
def test_small_file_placeholders_duplicates_and_name_differences_are_reported():
    report = run("small.json")
    placeholder = Band.objects.get(key="no-such-band")
    assert placeholder.name == "No Such Band" and placeholder.review_status == ReviewStatus.DRAFT
    assert placeholder.reviewed is False and placeholder.published_snapshot is None
    assert [(p["key"], p["created"]) for p in report.placeholders] == [("no-such-band", True)]
    # duplicate band keys: one band, both records' genres, members and reviewed flag
    ghost = Band.objects.get(key="ghost-riders")
    assert sorted(ghost.genres.values_list("key", flat=True)) == ["metalcore", "nu-metal"]
    assert [m.name for m in ghost.members.order_by("order")] == ["Fay", "Gus"] and ghost.reviewed is True
    assert ghost.description == "From Brno."
    merged = {(m["kind"], m["key"]) for m in report.merged}
    assert ("band", "ghost-riders") in merged
    assert ("lineup_entry", "steel-fest 2026 iron-anvil") in merged
    assert LineupEntry.objects.filter(band__key="iron-anvil").count() == 1
    # a lineup name that differs from the band's own: reported, not a second band
    differs = warnings(report, "lineup_name_differs")
    assert [(w["key"], w["lineup_name"]) for w in differs] == [("kissin-thunder", "Kissin Thunder")]
    assert Band.objects.filter(name__icontains="kissin").count() == 1


@pytest.mark.django_db
def test_small_file_keys_derived_normalised_or_record_skipped():
    report = run("small.json")
    assert Band.objects.get(key="melnitsa").name == "Мельница"
    assert Band.objects.get(key="melnitsa").country.code == "RU"
    assert Edition.objects.get(festival__key="frost-open-air").lineup.filter(band__key="melnitsa").exists()
    normalised = {(w["path"], w["original"], w["key"]) for w in warnings(report, "key_normalised")}
    assert normalised == {("bands[1].key", "hällas-band", "hallas-band"),
                          ("festivals[0].bands[1].key", "hällas-band", "hallas-band")}
    assert any(w["path"] == "bands[5].key" and w["key"] == "melnitsa" for w in warnings(report, "key_derived"))
    assert [w["path"] for w in warnings(report, "record_skipped")] == ["bands[6]"]
    assert [w["path"] for w in warnings(report, "lineup_entry_skipped")] == ["festivals[1].bands[2]"]
    assert not Band.objects.filter(country="DE").exists()
    assert report.lineup_entries == {"imported": 7, "merged": 1, "skipped": 1}


@pytest.mark.django_db
def test_the_whole_import_is_audited_once_as_the_command_user(tmp_path, dynamodb_table):
    report_file = tmp_path / "report.json"
    out, err = io.StringIO(), io.StringIO()
    call_command("import_legacy", str(DATA / "small.json"), "--currency", "USD", "--report", str(report_file),
                 stdout=out, stderr=err)
    entry = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert entry.source == "command" and entry.actor_name
    assert entry.detail["counts"]["band"]["created"] == Band.objects.count()
    written = json.loads(report_file.read_text())
    assert written["counts"]["festival"]["created"] == 2 and written["placeholders"] == 1
    assert {w["kind"] for w in written["warning_list"]} >= {"record_skipped", "lineup_name_differs"}
    assert Edition.objects.get(year=2026).currency == "USD"  # the file names no currency for it
    assert Edition.objects.get(year=2025).currency == "GBP"  # this price names its own
    assert "created" in out.getvalue() and "Placeholder bands" in out.getvalue() and "Warnings" in out.getvalue()
    # not a terminal: no progress bar and no line per record, one summary line at the end of the report
    assert "Imported 25 records in" in out.getvalue() and "25 created, 0 updated, 0 unchanged, 1 skipped" in out.getvalue()
    assert "bands" not in err.getvalue() and "audit" not in err.getvalue()


@pytest.mark.django_db
def test_unknown_currency_option_is_refused():
    with pytest.raises(CommandError, match="ISO 4217"):
        call_command("import_legacy", str(DATA / "small.json"), "--currency", "XYZ")


@pytest.mark.django_db
def test_dry_run_reports_without_writing():
    report = run("small.json", dry_run=True)
    assert report.counts["band"]["created"] == 6 and report.placeholders
    assert not Band.objects.exists() and not Role.objects.exists() and not AuditEntry.objects.exists()
    out = io.StringIO()
    call_command("import_legacy", str(DATA / "small.json"), "--dry-run", stdout=out, stderr=io.StringIO())
    assert "Dry run" in out.getvalue()
    assert not Festival.objects.exists() and not RoleAlias.objects.exists()


@pytest.mark.django_db
def test_rerunning_the_same_file_changes_nothing():
    run("small.json")
    before = catalog_state()
    report = run("small.json")
    assert report.totals("created") == report.totals("updated") == report.totals("kept") == 0
    assert catalog_state() == before


@pytest.mark.django_db
def test_failure_midway_writes_nothing(monkeypatch):
    from catalog.importer import service

    def broken(self, plan, festivals):
        raise RuntimeError("disk full")

    monkeypatch.setattr(service._Writer, "_editions", broken)
    with pytest.raises(RuntimeError):
        run("small.json")
    assert not Band.objects.exists() and not Festival.objects.exists() and not Genre.objects.exists()


# --- newer exports and editors' changes --------------------------------------------------------------


@pytest.mark.django_db
def test_newer_export_updates_what_changed_only():
    run("small.json")
    untouched = {key: Band.objects.get(key=key).version for key in ("ghost-riders", "kissin-thunder", "melnitsa")}
    report = run("newer.json")
    anvil = Band.objects.get(key="iron-anvil")
    assert anvil.description == "Louder." and anvil.review_status == ReviewStatus.APPROVED
    assert anvil.published_snapshot["description"] == "Louder."
    assert {key: Band.objects.get(key=key).version for key in untouched} == untouched
    # the placeholder is now a real band, approved
    real = Band.objects.get(key="no-such-band")
    assert real.review_status == ReviewStatus.APPROVED and real.reviewed and real.country.code == "SE"
    assert report.counts["band"]["created"] == 1 and report.counts["band"]["updated"] == 2
    assert report.counts["festival"]["unchanged"] == 2
    # a second edition of the same festival, found through its year key
    steel = Festival.objects.get(key="steel-fest")
    assert sorted(steel.editions.values_list("year", flat=True)) == [2026, 2027]
    assert set(steel.aliases.values_list("key", flat=True)) == {"steel-fest-2026", "steel-fest-2027"}
    edition = steel.editions.get(year=2026)
    assert edition.ticket_price == Decimal("190.00")
    assert edition.lineup.order_by("order").last().band.key == "new-blood"
    assert report.counts["edition"] == {"created": 1, "updated": 1, "unchanged": 1}
    assert [w["field"] for w in warnings(report, "unknown_field")] == ["tiktok"]


@pytest.mark.django_db
def test_editor_changes_are_kept_unless_overwrite():
    run("small.json")
    anvil = Band.objects.get(key="iron-anvil")
    anvil.description = "An editor's careful description."
    record_save(record=anvil, user=None, expected_version=anvil.version)
    report = run("newer.json")
    anvil.refresh_from_db()
    assert anvil.description == "An editor's careful description."
    assert report.counts["band"]["kept"] == 1
    assert [w["path"] for w in warnings(report, "kept_editor_change")] == ["bands[0]"]
    report = run("newer.json", overwrite=True)
    anvil.refresh_from_db()
    assert anvil.description == "Louder." and anvil.review_status == ReviewStatus.APPROVED
    assert report.counts["band"]["updated"] == 1 and report.counts["band"]["kept"] == 0


@pytest.mark.django_db
def test_records_not_made_by_an_import_are_not_overwritten():
    existing = Band(key="iron-anvil", name="Iron Anvil (editor's)")
    record_save(record=existing, user=None)
    report = run("small.json")
    existing.refresh_from_db()
    assert existing.name == "Iron Anvil (editor's)"
    assert [w["path"] for w in warnings(report, "kept_not_imported")] == ["bands[0]"]
    assert Edition.objects.get(year=2026).lineup.filter(band=existing).exists()


# --- malformed files --------------------------------------------------------------------------------


def _refused(name: str) -> str:
    with pytest.raises(CommandError) as caught:
        call_command("import_legacy", str(DATA / name))
    for model in (Band, Festival, Edition, Genre, Role, RoleAlias):
        assert not model.objects.exists(), model
    assert not AuditEntry.objects.exists()
    return str(caught.value)


@pytest.mark.django_db
def test_bad_json_is_refused_with_its_position():
    message = _refused("malformed-json.json")
    assert "not valid JSON" in message and "line 1, column" in message


@pytest.mark.django_db
def test_wrong_types_are_refused_naming_record_and_field():
    message = _refused("malformed-types.json")
    assert 'festivals[0].bands: expected a list, got a string "iron-anvil" (festival "steel-fest")' in message
    assert "bands[0].members[0]: expected an object" in message
    assert "bands[1].genres: expected a list of strings" in message
    assert 'bands[1].reviewed: expected true or false, got a string "yes"' in message


@pytest.mark.django_db
def test_bad_dates_are_refused_naming_record_and_field():
    message = _refused("malformed-dates.json")
    assert 'festivals[1].dates.start: "2026-13-01" is not a date' in message
    assert 'festivals[2].dates.end: "2026-06-03" is before the start "2026-06-06"' in message
    assert "festivals[0]" not in message


def test_wrong_top_level_shape_is_refused():
    with pytest.raises(ImportFileError, match="top level"):
        legacy_import(data=[{"key": "x"}])


# --- the real legacy export --------------------------------------------------------------------------


def _festival_for(key: str) -> Festival:
    festival = Festival.objects.filter(key=key).first()
    return festival or FestivalAlias.objects.get(key=key).festival


@pytest.mark.slow
@pytest.mark.django_db
def test_real_legacy_file_everything_accounted_for_and_second_import_changes_nothing():
    # No skip: the export ships in the repository (data/); its absence must fail loudly.
    assert LEGACY.exists(), f"the legacy export is missing from the repository: {LEGACY}"
    data = json.loads(LEGACY.read_text())
    report = legacy_import(data=data)
    assert report.read == {"festivals": len(data["festivals"]), "bands": len(data["bands"]),
                           "lineup_entries": sum(len(f["bands"]) for f in data["festivals"])}
    paths = {w["path"]: w for w in report.warnings}
    merged_paths = {p for m in report.merged for p in m["paths"][1:]}

    # every festival entry: a festival (by its key or its old key) and the edition of its year, approved
    editions = set()
    for festival_data in data["festivals"]:
        festival = _festival_for(festival_data["key"])
        start = date.fromisoformat(festival_data["dates"]["start"])
        edition = festival.editions.get(year=start.year)
        assert edition.end_date == date.fromisoformat(festival_data["dates"]["end"])
        assert edition.ticket_price == Decimal(str(festival_data["ticketPrice"])) and edition.currency == "EUR"
        assert edition.review_status == ReviewStatus.APPROVED
        editions.add(edition.pk)
    assert Edition.objects.count() == len(editions)
    assert Festival.objects.count() == len({_festival_for(f["key"]).pk for f in data["festivals"]})

    # every lineup entry: on its edition's lineup under its key (or the reported key), or a reported repeat
    entries = 0
    for f_index, festival_data in enumerate(data["festivals"]):
        edition = _festival_for(festival_data["key"]).editions.get(year=int(festival_data["dates"]["start"][:4]))
        lineup_keys = set(edition.lineup.values_list("band__key", flat=True))
        for b_index, entry in enumerate(festival_data["bands"]):
            path = f"festivals[{f_index}].bands[{b_index}]"
            if path in merged_paths:
                continue
            entries += 1
            key = entry["key"]
            if f"{path}.key" in paths:
                key = paths[f"{path}.key"]["key"]
            if path in paths:
                key = paths[path]["key"]  # matched by name to a band of the file
            assert key in lineup_keys, path
    assert LineupEntry.objects.count() == entries
    assert entries + report.lineup_entries["merged"] == report.read["lineup_entries"]

    # every band record: a band under its key (or the reported one), approved, its reviewed flag kept
    file_keys = set()
    for index, band_data in enumerate(data["bands"]):
        key = paths[f"bands[{index}].key"]["key"] if f"bands[{index}].key" in paths else band_data["key"]
        band = Band.objects.get(key=key)
        file_keys.add(key)
        assert band.name == band_data["name"] and band.reviewed == band_data["reviewed"]
        assert band.review_status == ReviewStatus.APPROVED
        assert band.members.count() == len(band_data["members"])
        assert band.published_snapshot["genreKeys"] and len(band.published_snapshot["members"]) == band.members.count()
    # and every other band is a reported placeholder: a draft, not reviewed, named from a lineup
    placeholders = {p["key"]: p for p in report.placeholders}
    others = Band.objects.exclude(key__in=file_keys)
    assert set(others.values_list("key", flat=True)) == set(placeholders)
    assert not others.exclude(review_status=ReviewStatus.DRAFT).exists() and not others.filter(reviewed=True).exists()
    assert Band.objects.count() == len(file_keys) + len(placeholders)
    assert not Role.objects.drafts().exists() and not Genre.objects.drafts().exists()
    assert Role.objects.filter(key__in=[w["key"] for w in warnings(report, "role_new")]).approved().count() == len(
        {w["key"] for w in warnings(report, "role_new")})

    state = catalog_state()
    again = legacy_import(data=data)
    assert again.totals("created") == again.totals("updated") == again.totals("kept") == 0
    assert catalog_state() == state


@pytest.mark.django_db
def test_edge_cases_festivals_without_dates_year_keys_duplicates_and_name_matches():
    report = run("edge.json")
    by_path = {(w["kind"], w["path"]) for w in report.warnings}
    # no dates: the festival without an edition; its lineup reported as skipped
    tba = Festival.objects.get(key="tba-fest")
    assert not tba.editions.exists() and ("edition_skipped", "festivals[0].dates") in by_path
    assert ("lineup_entry_skipped", "festivals[0].bands[0]") in by_path
    # a trailing year that is not the edition's: the key stays
    rites = Edition.objects.get(festival__key="winter-rites-2024")
    assert (rites.year, rites.ticket_price, rites.currency) == (2026, Decimal("850.00"), "NOK")
    assert ("key_year_mismatch", "festivals[1].key") in by_path
    # neither key nor name: skipped, with its lineup
    assert ("record_skipped", "festivals[2]") in by_path and ("lineup_entry_skipped", "festivals[2].bands[0]") in by_path
    # the same edition twice (once under the year key): one edition, lineups combined, price from where it is
    summer = Edition.objects.get(festival__key="summer-fest", year=2026)
    assert list(summer.lineup.order_by("order").values_list("band__key", "billing_size")) == [
        ("blzer", 1), ("latecomers", 3)]
    assert summer.ticket_price == Decimal("99.00")
    assert ("edition", "summer-fest 2026") in {(m["kind"], m["key"]) for m in report.merged}
    assert FestivalAlias.objects.get(key="summer-fest-2026").festival.key == "summer-fest"
    # a lineup key the legacy site spelt differently from the band's: matched by name, reported
    assert ("lineup_matched_by_name", "festivals[3].bands[0]") in by_path
    assert Band.objects.filter(name="Bølzer").count() == 1
    assert [p["key"] for p in report.placeholders] == ["latecomers"]
    # a member without a name and a broken URL: reported, not imported
    band = Band.objects.get(key="blzer")
    assert [m.name for m in band.members.all()] == ["KzR"] and band.website == ""
    assert ("member_skipped", "bands[0].members[0]") in by_path and ("invalid_url", "bands[0].website") in by_path
    assert report.lineup_entries == {"imported": 2, "merged": 1, "skipped": 2}
