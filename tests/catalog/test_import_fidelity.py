"""The import keeps what the legacy site showed: terms public (only junk held, with reasons), order,
countries as people read them (home nations kept), duplicates merged by person with the strongest billing."""

import json
from datetime import date
from pathlib import Path

import pytest

from catalog.importer.normalize import junk_reason, person_forms, similar_names, term_name
from catalog.importer.schema import load_legacy_file
from catalog.importer.service import legacy_import
from catalog.models import Band, Genre, LineupEntry, ReviewStatus, Role
from catalog.ordering import ordered
from catalog.services import record_save

DATA = Path(__file__).parent / "data"


def run(name: str = "fidelity.json", **options):
    return legacy_import(data=load_legacy_file(DATA / name), today=date(2026, 1, 1), **options)


def by_kind(report, kind: str) -> dict[str, dict]:
    return {w["path"]: w for w in report.warnings if w["kind"] == kind}


# --- rules, no database ---------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "reason"), [
    ("", "empty"), ("  ", "empty"), ("?", "placeholder"), ("N/A", "placeholder"), ("TBA", "placeholder"),
    ("123", "no letters"), ("--", "placeholder"), ("www.example.org", "link"), ("x" * 61, "longer than 60"),
])
def test_junk_is_recognised_with_its_reason(text, reason):
    assert reason in junk_reason(text)


@pytest.mark.parametrize("text", ["Death Polka", "Discomfort", "Zeuhl", "Tumur Khuur", "Children's Music", "Oi!"])
def test_real_but_unusual_terms_are_not_junk(text):
    assert junk_reason(text) == ""


def test_person_forms_match_a_nickname_with_the_family_name():
    assert person_forms('Noah "Wuv" Bernardo') & person_forms("Wuv Bernardo")
    assert person_forms("Noah “Wuv” Bernardo") & person_forms("Wuv Bernardo")
    assert not person_forms('Michael "Bodenski" Simon') & person_forms('Michael "Simon" Simon')
    assert not person_forms("Sonny Sandoval") & person_forms("Traa Daniels")
    assert similar_names("Marcos Curiel", "Marcus Curiel") and not similar_names("Sonny Sandoval", "Traa Daniels")


def test_dotted_acronyms_become_one_word():
    assert term_name("N.w.o.t.h.m.") == "NWOTHM" and term_name("death polka") == "Death Polka"


# --- genres and roles stay public ------------------------------------------------------------------


@pytest.mark.django_db
def test_unknown_terms_are_public_and_only_junk_is_held_with_its_reason():
    report = run()
    rammstein = Band.objects.get(key="rammstein")
    assert rammstein.published_snapshot["genreKeys"] == [
        "neue-deutsche-harte", "industrial-metal", "death-polka", "tanz-metal"]
    for key in ("death-polka", "tanz-metal", "ragga-metal"):
        assert Genre.objects.get(key=key).review_status == ReviewStatus.APPROVED
    assert Role.objects.get(key="pyro-tamer").review_status == ReviewStatus.APPROVED
    members = {m["name"]: m["roleKeys"] for m in rammstein.published_snapshot["members"]}
    assert members == {"Till Lindemann": ["vocals", "pyro-tamer"], "Flake": ["keyboards"]}
    held = {path: (w["text"], w["reason"]) for path, w in {**by_kind(report, "genre_held"),
                                                            **by_kind(report, "role_held")}.items()}
    assert held == {
        "bands[3].genres[2]": ("?", "a placeholder, not a value"),
        "bands[3].genres[3]": ("", "empty"),
        "bands[3].genres[4]": ("https://example.org/genres", "a link or an address, not a value"),
        "bands[3].members[0].role": ("N/A", "a placeholder, not a value"),
        "bands[3].members[1].roles[1]": ("", "empty"),
        "bands[3].members[1].roles[2]": ("???", "a placeholder, not a value"),
    }
    assert {w["key"] for w in by_kind(report, "genre_new").values()} == {"death-polka", "tanz-metal", "ragga-metal"}
    assert not Genre.objects.filter(name__in=["?", "N", "A", "Genres", "Example.Org"]).exists()
    assert not Role.objects.filter(key__in=["n", "a"]).exists()


@pytest.mark.django_db
def test_an_earlier_imports_draft_term_is_made_public_but_an_editors_is_left_alone():
    run()
    # as an import before this change left them: drafts
    Genre.objects.filter(key__in=["death-polka", "tanz-metal"]).update(review_status=ReviewStatus.DRAFT)
    tanz = Genre.objects.get(key="tanz-metal")
    tanz.description = "An editor is working on this one."
    record_save(record=tanz, user=None)
    run()
    assert Genre.objects.get(key="death-polka").review_status == ReviewStatus.APPROVED
    assert Genre.objects.get(key="tanz-metal").review_status == ReviewStatus.DRAFT


# --- order --------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_genres_and_roles_keep_the_files_order_through_a_second_import():
    run()
    saor = Band.objects.get(key="saor")
    assert [g.key for g in ordered(saor.genres)] == ["atmospheric-black-metal", "celtic-metal"]
    marshall = saor.members.get()
    assert [r.key for r in ordered(marshall.roles)] == ["whistles", "vocals", "guitar", "bass"]
    assert saor.published_snapshot["members"][0]["roleKeys"] == ["whistles", "vocals", "guitar", "bass"]
    again = run()
    assert again.totals("created") == again.totals("updated") == 0


# --- countries ----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_countries_read_as_people_read_them_home_nations_kept_and_every_change_reported():
    report = run()
    shown = {b.key: (b.published_snapshot["country"], b.published_snapshot["countryCode"])
             for b in Band.objects.approved()}
    assert shown["pod"] == ("United States", "US")  # CLDR, not "United States of America"
    assert shown["gutalax"] == ("Czechia", "CZ")
    assert shown["rammstein"] == ("Germany", "DE")  # "Deutschland"
    assert shown["tyr"] == ("Faroe Islands", "FO")  # "Føroyar"
    assert shown["saor"] == ("Scotland", "GB-SCT") and shown["skindred"] == ("Wales", "GB-WLS")
    assert shown["sylosis"] == ("England", "GB-ENG") and shown["the-answer"] == ("Northern Ireland", "GB-NIR")
    assert shown["angus-mcsix"] == (None, None) and shown["iotunn"] == ("Denmark", "DK")
    assert Band.objects.get(key="saor").lineup_entries.get().edition.festival.published_snapshot["location"] == (
        "Glasgow, Scotland")
    # every country text not shown as the file wrote it is in the report
    data = json.loads((DATA / "fidelity.json").read_text())
    reported = {w["path"] for w in report.warnings if w["kind"].startswith("country_")}
    for index, band in enumerate(data["bands"]):
        if shown[band["key"]][0] != band["country"]:
            assert f"bands[{index}].country" in reported, band["country"]
    assert by_kind(report, "country_unknown")["bands[6].country"]["text"] == "International"
    assert by_kind(report, "country_renamed")["bands[0].country"]["shown"] == "United States"


# --- merging duplicates ---------------------------------------------------------------------------


@pytest.mark.django_db
def test_duplicate_band_records_merge_members_by_person_and_report_look_alikes():
    report = run()
    pod = Band.objects.get(key="pod")
    members = [(m["name"], m["roleKeys"]) for m in pod.published_snapshot["members"]]
    assert members == [
        ("Sonny Sandoval", ["vocals"]),
        ('Noah "Wuv" Bernardo', ["drums", "backing-vocals"]),  # "Wuv Bernardo" of the first record: one person
        ("Marcos Curiel", ["guitar"]),
        ("Marcus Curiel", ["guitar"]),  # alike, not merged: for an editor
        ("Traa Daniels", ["bass"]),
    ]
    assert pod.published_snapshot["genreKeys"] == ["nu-metal", "rap-rock", "christian-metal", "alternative-metal"]
    merged = [w for w in report.warnings if w["kind"] == "member_merged"]
    assert [w["names"] for w in merged] == [["Wuv Bernardo", 'Noah "Wuv" Bernardo']]
    near = [w for w in report.warnings if w["kind"] == "member_near_duplicate"]
    assert [w["names"] for w in near] == [["Marcos Curiel", "Marcus Curiel"]]


@pytest.mark.django_db
def test_a_repeated_lineup_entry_keeps_the_strongest_billing():
    report = run()
    assert LineupEntry.objects.get(band__key="pod").billing_size == 0  # listed as 2, then 0, then 1
    details = [m["detail"] for m in report.merged if m["kind"] == "lineup_entry"]
    assert any("strongest billing (0, not 2)" in d for d in details)


@pytest.mark.django_db
def test_the_report_accounts_for_every_genre_and_role_text_not_kept_as_given():
    """Each genre or role text is either a term of that very name, held (with its reason) or reported as
    mapped (once per distinct text, with how often the file says it)."""
    from catalog.importer.normalize import clean_text, fold

    report = run()
    data = json.loads((DATA / "fidelity.json").read_text())
    names = {fold(name): key for model in (Genre, Role) for key, name in model.objects.values_list("key", "name")}
    held = {w["path"] for w in report.warnings if w["kind"] in ("genre_held", "role_held")}
    mapped = {(w["kind"], w["text"]): w for w in report.warnings if w["kind"] in ("genre_mapped", "role_mapped")}
    mentions = {}
    for b, band in enumerate(data["bands"]):
        texts = [("genre", f"bands[{b}].genres[{i}]", t) for i, t in enumerate(band.get("genres") or [])]
        for m, member in enumerate(band.get("members") or []):
            if member.get("role"):
                texts.append(("role", f"bands[{b}].members[{m}].role", member["role"]))
            texts += [("role", f"bands[{b}].members[{m}].roles[{i}]", t) for i, t in enumerate(member.get("roles") or [])]
        for kind, path, text in texts:
            if path in held or (band.get("key") and fold(clean_text(text)) in names and (kind, text) not in mapped):
                continue
            assert (f"{kind}_mapped", text) in mapped, f"{path}: {text!r} is neither kept, held nor reported"
            mentions[(f"{kind}_mapped", text)] = mentions.get((f"{kind}_mapped", text), 0) + 1
    assert mentions and all(mapped[key]["mentions"] == count for key, count in mentions.items())
