"""How faithfully the public catalog tells what a legacy file told: figures measured against the source file.

`measure(data, bands)` compares each band record of the file with the public band document
(`bands`: key → the body of GET /api/bands/{key}, from the projector or from the read API).
A genre or role *mention* is one string of the file (`bands[i].genres[j]`, one member's role
text); it is kept when every catalog key the importer reads it as is public on that band.
Used by the tests and to print the before/after figures (`python -m tests.catalog.fidelity`).
"""

from dataclasses import dataclass, field


@dataclass
class Fidelity:
    genre_mentions: int = 0
    genre_kept: int = 0
    role_mentions: int = 0
    role_kept: int = 0
    bands_without_genre: int = 0  # public bands whose file entry had genres, shown with none
    members_without_role: int = 0  # public members whose file entry had a role text, shown with none
    countries_changed: list = field(default_factory=list)  # (band key, file text, public text)
    lost_genres: list = field(default_factory=list)  # (path, text)
    lost_roles: list = field(default_factory=list)
    genre_order_kept: int = 0
    genre_order_checked: int = 0
    role_order_kept: int = 0
    role_order_checked: int = 0

    def share(self, kind: str) -> float:
        mentions, kept = getattr(self, f"{kind}_mentions"), getattr(self, f"{kind}_kept")
        return kept / mentions if mentions else 1.0

    def lines(self) -> list[str]:
        return [
            f"genre mentions kept public: {self.genre_kept}/{self.genre_mentions} ({self.share('genre'):.1%})",
            f"role mentions kept public: {self.role_kept}/{self.role_mentions} ({self.share('role'):.1%})",
            f"public bands without a genre (the file gives some): {self.bands_without_genre}",
            f"public members without a role (the file gives one): {self.members_without_role}",
            f"bands whose country text changed: {len(self.countries_changed)}",
            f"bands whose genres keep the file's order: {self.genre_order_kept}/{self.genre_order_checked}",
            f"members whose roles keep the file's order: {self.role_order_kept}/{self.role_order_checked}",
        ]


def measure(data: dict, bands: dict[str, dict], *, roles, genres) -> Fidelity:
    """`roles`/`genres`: the importer's vocabularies as the tables hold them after the import."""
    from catalog.importer.normalize import clean_text, parse_genre, parse_roles, person_forms, to_key

    result = Fidelity()
    for index, record in enumerate(data["bands"]):
        key = to_key(clean_text(record.get("key"))) or to_key(clean_text(record.get("name")))
        public = bands.get(key)
        if public is None:
            continue
        band = public["band"]
        public_genres = band.get("genreKeys") or []
        wanted_order = []
        for j, text in enumerate(record.get("genres") or []):
            if not clean_text(text):
                continue
            result.genre_mentions += 1
            keys = parse_genre(text, genres).keys
            if keys and all(k in public_genres for k in keys):
                result.genre_kept += 1
                wanted_order += [k for k in keys if k not in wanted_order]
            else:
                result.lost_genres.append((f"bands[{index}].genres[{j}]", text))
        if record.get("genres") and any(clean_text(t) for t in record["genres"]) and not public_genres:
            result.bands_without_genre += 1
        if len(wanted_order) > 1:
            result.genre_order_checked += 1
            shown = [k for k in public_genres if k in wanted_order]
            result.genre_order_kept += shown == wanted_order
        members = band.get("members") or []
        for j, member in enumerate(record.get("members") or []):
            texts = [t for t in [member.get("role") or "", *(member.get("roles") or [])] if clean_text(t)]
            forms = person_forms(clean_text(member.get("name")))  # merged duplicates: one person, one member
            public_member = next((m for m in members if m["name"] == clean_text(member.get("name"))), None)
            public_member = public_member or next((m for m in members if person_forms(m["name"]) & forms), None)
            wanted_roles = []
            for text in texts:
                result.role_mentions += 1
                keys = parse_roles(text, roles).keys
                if public_member is not None and keys and all(k in public_member["roleKeys"] for k in keys):
                    result.role_kept += 1
                    wanted_roles += [k for k in keys if k not in wanted_roles]
                else:
                    result.lost_roles.append((f"bands[{index}].members[{j}].role", text))
            if public_member is not None and len(wanted_roles) > 1:
                result.role_order_checked += 1
                result.role_order_kept += [k for k in public_member["roleKeys"] if k in wanted_roles] == wanted_roles
            if texts and public_member is not None and not public_member["roleKeys"]:
                result.members_without_role += 1
        file_country = clean_text(record.get("country"))
        shown = band.get("country") or ""
        if file_country != shown:
            result.countries_changed.append((key, file_country, shown))
    return result


def measure_catalog(data: dict) -> Fidelity:
    """The figures for the database as it is now, through the projector (what publishing writes)."""
    from catalog.importer.report import ImportReport
    from catalog.importer.service import _Writer
    from publishing.projector import PublicCatalog

    catalog = PublicCatalog()
    roles, genres = _Writer(ImportReport(), overwrite=False, progress=print).vocabularies()
    return measure(data, {key: catalog.band_detail(key) for key in catalog.bands}, roles=roles, genres=genres)


if __name__ == "__main__":  # pragma: no cover - a measuring aid: import into a scratch database, print figures
    import json
    import os
    import sys
    import tempfile
    from pathlib import Path

    scratch = tempfile.mkdtemp()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "metalfests.settings.test")
    os.environ["DATABASE_URL"] = f"sqlite:///{scratch}/catalog.sqlite3"
    os.environ["METALFESTS_VAR_DIR"] = scratch
    import django

    django.setup()
    from django.core.management import call_command

    from catalog.importer.service import legacy_import

    path = Path(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).resolve().parents[2] / "data" / "legacy-db.json")
    call_command("migrate", verbosity=0)
    source = json.loads(path.read_text())
    legacy_import(data=source)
    figures = measure_catalog(source)
    print("\n".join(figures.lines()))
    for key, before, after in figures.countries_changed:
        print(f"  country {key}: {before!r} → {after!r}")
