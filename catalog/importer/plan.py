"""From a validated legacy file to an import plan: one entry per catalog record, keyed as the catalog keys them.

Keys are normalised or derived, duplicates merged, lineups resolved to band keys (or
to placeholder bands), free text mapped through the vocabularies. Every decision that
changes or drops something is reported. Nothing here writes to the database.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from catalog.currencies import CURRENCY_CODES
from catalog.models import Band, EditionStatus, Festival, RoleCategory

from .normalize import (
    Vocabulary,
    clean_text,
    clean_url,
    compact,
    country_name,
    fold,
    guess_role_category,
    junk_reason,
    name_from_key,
    parse_date,
    parse_genre,
    parse_price,
    parse_roles,
    person_forms,
    resolve_country,
    similar_names,
    split_location,
    split_year_suffix,
    term_name,
    to_key,
)
from .report import ImportReport
from .schema import BAND_FIELDS, FESTIVAL_FIELDS, LINEUP_FIELDS, MEMBER_FIELDS


@dataclass
class MemberPlan:
    name: str
    role_keys: list[str]


@dataclass
class BandPlan:
    key: str
    name: str
    paths: list[str]
    country: str = ""
    description: str = ""
    logo_url: str = ""
    headline_image_url: str = ""
    website: str = ""
    spotify: str = ""
    reviewed: bool = False
    genre_keys: list[str] = field(default_factory=list)
    members: list[MemberPlan] = field(default_factory=list)
    placeholder: bool = False

    SCALARS = ("name", "country", "description", "logo_url", "headline_image_url", "website", "spotify")

    def source(self) -> dict:
        """What the import writes, for the import hash."""
        return {
            **{name: getattr(self, name) for name in self.SCALARS},
            "reviewed": self.reviewed,
            "genres": list(self.genre_keys),  # in the file's order: the order is data
            "members": [[m.name, list(m.role_keys)] for m in self.members],
            "placeholder": self.placeholder,
        }


@dataclass
class FestivalPlan:
    key: str
    name: str
    paths: list[str]
    year: int  # of the entry its fields came from: the latest edition's entry wins
    city: str = ""
    country: str = ""
    latitude: Decimal | None = None
    longitude: Decimal | None = None
    website: str = ""
    poster_url: str = ""
    description: str = ""
    aliases: list[str] = field(default_factory=list)

    SCALARS = ("name", "city", "country", "latitude", "longitude", "website", "poster_url", "description")

    def source(self) -> dict:
        return {name: str(value) if isinstance(value, Decimal) else value
                for name, value in ((n, getattr(self, n)) for n in self.SCALARS)}


@dataclass
class LineupPlan:
    band_key: str
    size: int | None
    path: str


@dataclass
class EditionPlan:
    festival_key: str
    year: int
    start_date: date
    end_date: date
    paths: list[str]
    ticket_price: Decimal | None = None
    currency: str = ""
    status: str = EditionStatus.ANNOUNCED
    lineup: list[LineupPlan] = field(default_factory=list)

    def source(self) -> dict:
        return {
            "festival": self.festival_key,
            "year": self.year,
            "start": self.start_date.isoformat(),
            "end": self.end_date.isoformat(),
            "ticket_price": str(self.ticket_price) if self.ticket_price is not None else None,
            "currency": self.currency,
            "status": self.status,
            "lineup": [[entry.band_key, entry.size] for entry in self.lineup],
        }


@dataclass
class NewTerm:
    """A role or genre text that no mapping knows: it becomes a public term of its own (editors may map it later)."""

    key: str
    name: str
    paths: list[str]
    category: str = RoleCategory.OTHER


@dataclass
class ImportPlan:
    bands: dict[str, BandPlan] = field(default_factory=dict)
    festivals: dict[str, FestivalPlan] = field(default_factory=dict)
    editions: dict[tuple[str, int], EditionPlan] = field(default_factory=dict)
    new_roles: dict[str, NewTerm] = field(default_factory=dict)
    new_genres: dict[str, NewTerm] = field(default_factory=dict)


def build_plan(data: dict, *, roles: Vocabulary, genres: Vocabulary, currency: str, today: date,
               report: ImportReport) -> ImportPlan:
    return _Planner(roles=roles, genres=genres, currency=currency, today=today, report=report).build(data)


class _Planner:
    def __init__(self, *, roles, genres, currency, today, report):
        self.roles, self.genres, self.currency, self.today, self.report = roles, genres, currency, today, report
        self.plan = ImportPlan()
        self.legacy_band_keys: dict[str, str] = {}  # key as written in the file → catalog key
        self.band_names: dict[str, set[str]] = {}  # compact name or key → catalog keys of the file's bands
        self.unknown_fields: dict[tuple[str, str], list[str]] = {}
        self.mapped: dict[tuple[str, str], dict] = {}  # (kind, text) → its `{kind}_mapped` warning

    def build(self, data: dict) -> ImportPlan:
        bands, festivals = data.get("bands") or [], data.get("festivals") or []
        self.report.read = {
            "festivals": len(festivals),
            "bands": len(bands),
            "lineup_entries": sum(len(f.get("bands") or []) for f in festivals),
        }
        for index, record in enumerate(bands):
            self._band(record, f"bands[{index}]")
        for band in self.plan.bands.values():
            for text in {compact(band.name), compact(band.key)}:
                self.band_names.setdefault(text, set()).add(band.key)
        for index, record in enumerate(festivals):
            self._festival(record, f"festivals[{index}]")
        for (kind, name), paths in sorted(self.unknown_fields.items()):
            self.report.warn("unknown_field", paths[0], f"{kind} field “{name}” is not imported ({len(paths)} records)",
                             field=name, records=len(paths))
        return self.plan

    # --- shared -----------------------------------------------------------------------------

    def _note_unknown_fields(self, record: dict, known: frozenset, kind: str, path: str) -> None:
        for name in record:
            if name not in known:
                self.unknown_fields.setdefault((kind, name), []).append(path)

    def _record_key(self, record: dict, path: str, kind: str) -> str | None:
        """The catalog key of a record: its own key made valid, or one derived from its name; None to skip."""
        raw_key, name = clean_text(record.get("key")), clean_text(record.get("name"))
        if raw_key:
            key = to_key(raw_key)
            if key and key != raw_key:
                self.report.warn("key_normalised", f"{path}.key", f"{kind} key “{raw_key}” imported as “{key}”",
                                 original=raw_key, key=key)
            if key:
                return key
        if name:
            key = to_key(name)
            if key:
                self.report.warn("key_derived", f"{path}.key",
                                 f"{kind} “{name}” has no usable key; derived “{key}” from its name", key=key)
                return key
        self.report.warn("record_skipped", path, f"{kind} with neither a usable key nor a usable name: skipped",
                         key=raw_key, name=name)
        return None

    def _url(self, value, model, field_name: str, path: str) -> str:
        url, problem = clean_url(value, model._meta.get_field(field_name).max_length)
        if problem:
            self.report.warn("invalid_url", path, f"{_show(value)} {problem}: not imported")
        return url

    def _country(self, text: str, path: str) -> str:
        """A country text → its code; every text not shown as given is reported (unknown, several, renamed)."""
        match = resolve_country(text)
        if match.problem == "unknown":
            self.report.warn("country_unknown", path, f"“{text}” is not a known country: left empty",
                             text=clean_text(text))
        elif match.problem == "multiple":
            self.report.warn("country_multiple", path,
                             f"“{text}” names several countries: kept {match.code} ({country_name(match.code)})",
                             text=clean_text(text), kept=match.code, others=match.others)
        elif match.code and country_name(match.code) != clean_text(text):
            self.report.warn("country_renamed", path,
                             f"“{text}” is shown as “{country_name(match.code)}” ({match.code})",
                             text=clean_text(text), code=match.code, shown=country_name(match.code))
        return match.code

    # --- bands ------------------------------------------------------------------------------

    def _band(self, record: dict, path: str) -> None:
        self._note_unknown_fields(record, BAND_FIELDS, "band", path)
        key = self._record_key(record, path, "band")
        if key is None:
            return
        raw_key = clean_text(record.get("key"))
        if raw_key:
            self.legacy_band_keys.setdefault(raw_key, key)
        name = clean_text(record.get("name"))
        if not name:
            name = name_from_key(key)
            self.report.warn("name_derived", f"{path}.name", f"band “{key}” has no name; named it “{name}”")
        band = BandPlan(
            key=key, name=name, paths=[path],
            country=self._country(record.get("country") or "", f"{path}.country"),
            description=(record.get("description") or "").strip(),
            logo_url=self._url(record.get("logo"), Band, "logo_url", f"{path}.logo"),
            headline_image_url=self._url(record.get("headlineImage"), Band, "headline_image_url",
                                         f"{path}.headlineImage"),
            website=self._url(record.get("website"), Band, "website", f"{path}.website"),
            spotify=self._url(record.get("spotify"), Band, "spotify", f"{path}.spotify"),
            reviewed=bool(record.get("reviewed")),
        )
        for index, text in enumerate(record.get("genres") or []):
            if not clean_text(text):
                self._hold("genre", f"{path}.genres[{index}]", text, "empty")
                continue
            genre_keys = self._terms(parse_genre(text, self.genres), self.genres, self.plan.new_genres,
                                     "genre", f"{path}.genres[{index}]")
            self._note_mapped("genre", f"{path}.genres[{index}]", text, genre_keys, self.genres)
            for genre_key in genre_keys:
                if genre_key not in band.genre_keys:
                    band.genre_keys.append(genre_key)
        for index, member in enumerate(record.get("members") or []):
            member_path = f"{path}.members[{index}]"
            self._note_unknown_fields(member, MEMBER_FIELDS, "member", member_path)
            member_name = clean_text(member.get("name"))
            if not member_name:
                self.report.warn("member_skipped", member_path, f"a member of “{name}” has no name: skipped")
                continue
            texts = [(f"{member_path}.role", member.get("role") or "")]
            texts += [(f"{member_path}.roles[{i}]", text) for i, text in enumerate(member.get("roles") or [])]
            role_keys: list[str] = []
            for text_path, text in texts:
                if not clean_text(text):
                    if text_path.endswith("]"):  # an empty entry in a list of roles (no role text at all is no role)
                        self._hold("role", text_path, text, "empty")
                    continue
                keys = self._terms(parse_roles(text, self.roles), self.roles, self.plan.new_roles, "role", text_path)
                self._note_mapped("role", text_path, text, keys, self.roles)
                for role_key in keys:
                    if role_key not in role_keys:
                        role_keys.append(role_key)
            band.members.append(MemberPlan(member_name, role_keys))
        if key in self.plan.bands:
            self._merge_band(self.plan.bands[key], band)
        else:
            self.plan.bands[key] = band

    def _terms(self, parsed, vocabulary: Vocabulary, new_terms: dict, kind: str, path: str) -> list[str]:
        """Catalog keys for one parsed text. A piece no mapping knows becomes a public term of its own
        (reported as `{kind}_new`); only a piece that is clearly not a genre or role is held (`{kind}_held`)."""
        keys = []
        for item_kind, text in parsed.items:
            if item_kind == "key":
                keys.append(text)
                continue
            reason = junk_reason(text)
            name = term_name(text)
            key = to_key(name)
            if not reason and not key:
                reason = "nothing usable for a key"
            if reason:
                self._hold(kind, path, text, reason)
                continue
            if key in vocabulary.keys and key not in new_terms:  # "N.W.O.T.H.M." once made "NWOTHM" (nwothm)
                keys.append(key)
                continue
            if key not in new_terms:
                category = guess_role_category(name) if kind == "role" else RoleCategory.OTHER
                new_terms[key] = NewTerm(key=key, name=name, paths=[], category=category)
                vocabulary.add(key, name)
                self.report.warn(f"{kind}_new", path,
                                 f"{kind} “{text}” is in no mapping: new public {kind} “{name}” ({key}); "
                                 f"an editor may map it to another with an alias",
                                 key=key, text=text)
            new_terms[key].paths.append(path)
            keys.append(key)
        return keys

    def _note_mapped(self, kind: str, path: str, text: str, keys: list[str], vocabulary: Vocabulary) -> None:
        """Report a text shown as other terms than itself (an alias, a split, another spelling): once per
        distinct text, with how many times the file says it, so the report accounts for every such string."""
        if not keys or keys == [vocabulary.names.get(fold(clean_text(text)))]:
            return
        warning = self.mapped.get((kind, text))
        if warning is None:
            self.report.warn(f"{kind}_mapped", path, f"{kind} “{clean_text(text)}” is shown as {', '.join(keys)}",
                             text=text, keys=list(keys), mentions=0)
            warning = self.mapped[(kind, text)] = self.report.warnings[-1]
        warning["mentions"] += 1

    def _hold(self, kind: str, path: str, text, reason: str) -> None:
        self.report.warn(f"{kind}_held", path, f"{kind} {_show(text)} held back: {reason}", text=text, reason=reason)

    def _merge_band(self, kept: BandPlan, other: BandPlan) -> None:
        conflicts = []
        for name in BandPlan.SCALARS:
            mine, theirs = getattr(kept, name), getattr(other, name)
            if not mine and theirs:
                setattr(kept, name, theirs)
            elif mine and theirs and mine != theirs:
                conflicts.append(name)
        kept.reviewed = kept.reviewed or other.reviewed
        kept.genre_keys += [g for g in other.genre_keys if g not in kept.genre_keys]
        self._merge_members(kept, other)
        kept.paths += other.paths
        detail = f"kept the first of differing {', '.join(conflicts)}" if conflicts else ""
        self.report.merge("band", kept.key, list(kept.paths), detail)

    def _merge_members(self, kept: BandPlan, other: BandPlan) -> None:
        """Members of two records of one band, merged by person: 'Noah "Wuv" Bernardo' and "Wuv Bernardo"
        are one member (the fuller name kept, roles combined); names only alike are reported, not merged."""
        for member in other.members:
            forms = person_forms(member.name)
            same = next((m for m in kept.members if m.name.casefold() == member.name.casefold()), None)
            same = same or next((m for m in kept.members if forms & person_forms(m.name)), None)
            if same is None:
                for existing in kept.members:
                    if similar_names(existing.name, member.name):
                        self.report.warn("member_near_duplicate", other.paths[0],
                                         f"band “{kept.key}”: members “{existing.name}” and “{member.name}” look "
                                         "alike but were not merged; an editor should check",
                                         key=kept.key, names=[existing.name, member.name])
                kept.members.append(member)
                continue
            same.role_keys += [r for r in member.role_keys if r not in same.role_keys]
            if same.name != member.name:
                fuller = max((same.name, member.name), key=lambda n: (len(person_forms(n)), len(n)))
                self.report.warn("member_merged", other.paths[0],
                                 f"band “{kept.key}”: “{same.name}” and “{member.name}” are one person: "
                                 f"kept as “{fuller}”", key=kept.key, names=[same.name, member.name], kept=fuller)
                same.name = fuller

    # --- festivals and editions -------------------------------------------------------------

    def _festival(self, record: dict, path: str) -> None:
        self._note_unknown_fields(record, FESTIVAL_FIELDS, "festival", path)
        key = self._record_key(record, path, "festival")
        if key is None:
            return self._skip_lineup(record, path, "its festival was skipped")
        dates = record.get("dates")
        start = parse_date(dates["start"]) if dates else None
        end = parse_date(dates["end"]) if dates else None
        year = start.year if start else None
        name = clean_text(record.get("name")) or name_from_key(key)
        aliases = []
        base, key_year = split_year_suffix(key)
        if key_year is not None and (year is None or key_year == year):
            aliases.append(key)
            self.report.warn("key_year_removed", f"{path}.key",
                             f"festival key “{key}” carries the year: festival “{base}”, old key kept as an alias",
                             key=base, alias=key)
            key, year = base, year or key_year
        elif key_year is not None:
            self.report.warn("key_year_mismatch", f"{path}.key",
                             f"festival key “{key}” ends in {key_year} but its dates are in {year}: key kept")
        if year and name.endswith(f" {year}"):
            name = name[: -len(f" {year}")].strip() or name
        festival = self._festival_fields(record, key, name, year or 0, path)
        festival.aliases = aliases
        if key in self.plan.festivals:
            self._merge_festival(self.plan.festivals[key], festival)
        else:
            self.plan.festivals[key] = festival
        if start is None:
            self.report.warn("edition_skipped", f"{path}.dates", f"festival “{key}” has no dates: no edition imported")
            return self._skip_lineup(record, path, "its festival has no dates")
        self._edition(record, key, start, end, path)

    def _festival_fields(self, record: dict, key: str, name: str, year: int, path: str) -> FestivalPlan:
        city, country_text = split_location(record.get("location") or "")
        if isinstance(record.get("city"), str) and record["city"].strip():
            city = clean_text(record["city"])
        if isinstance(record.get("country"), str) and record["country"].strip():
            country_text = record["country"]
        field_path = f"{path}.country" if record.get("country") else f"{path}.location"
        coordinates = record.get("coordinates") or {}
        return FestivalPlan(
            key=key, name=name, paths=[path], year=year, city=city,
            country=self._country(country_text, field_path) if country_text else "",
            latitude=_coordinate(coordinates.get("lat")),
            longitude=_coordinate(coordinates.get("lng")),
            website=self._url(record.get("website"), Festival, "website", f"{path}.website"),
            poster_url=self._url(record.get("poster"), Festival, "poster_url", f"{path}.poster"),
            description=(record.get("description") or "").strip(),
        )

    def _merge_festival(self, kept: FestivalPlan, other: FestivalPlan) -> None:
        """Entries of one festival (its editions): the latest edition's non-empty fields win."""
        newer = other.year > kept.year
        for name in FestivalPlan.SCALARS:
            mine, theirs = getattr(kept, name), getattr(other, name)
            if theirs not in ("", None) and (newer or mine in ("", None)):
                setattr(kept, name, theirs)
        kept.year = max(kept.year, other.year)
        kept.aliases += [a for a in other.aliases if a not in kept.aliases]
        kept.paths += other.paths

    def _edition(self, record: dict, festival_key: str, start: date, end: date, path: str) -> None:
        price, price_currency = parse_price(record.get("ticketPrice"), CURRENCY_CODES)
        currency = ""
        if price is not None:
            currency = price_currency or clean_text(record.get("currency")).upper() or self.currency
            if price == 0:
                self.report.warn("price_zero", f"{path}.ticketPrice",
                                 "ticket price is 0: imported as 0, check whether it means unknown")
        edition = EditionPlan(
            festival_key=festival_key, year=start.year, start_date=start, end_date=end, paths=[path],
            ticket_price=price, currency=currency,
            status=EditionStatus.COMPLETED if end < self.today else EditionStatus.ANNOUNCED,
        )
        key = (festival_key, start.year)
        if key in self.plan.editions:
            kept = self.plan.editions[key]
            kept.paths.append(path)
            differing = [n for n in ("start_date", "end_date", "ticket_price", "currency")
                         if getattr(edition, n) not in ("", None) and getattr(kept, n) != getattr(edition, n)]
            if kept.ticket_price is None and edition.ticket_price is not None:
                kept.ticket_price, kept.currency = edition.ticket_price, edition.currency
            detail = f"kept the first of differing {', '.join(differing)}; " if differing else ""
            self.report.merge("edition", f"{festival_key} {start.year}", list(kept.paths),
                              detail + "lineups combined")
            edition = kept
        else:
            self.plan.editions[key] = edition
        self._lineup(record, edition, path)

    def _skip_lineup(self, record: dict, path: str, reason: str) -> None:
        for index, _entry in enumerate(record.get("bands") or []):
            self.report.lineup_entries["skipped"] += 1
            self.report.warn("lineup_entry_skipped", f"{path}.bands[{index}]", f"not imported: {reason}")

    def _lineup(self, record: dict, edition: EditionPlan, path: str) -> None:
        seen = {entry.band_key: entry for entry in edition.lineup}
        for index, entry in enumerate(record.get("bands") or []):
            entry_path = f"{path}.bands[{index}]"
            self._note_unknown_fields(entry, LINEUP_FIELDS, "lineup entry", entry_path)
            band_key = self._lineup_band(entry, entry_path)
            if band_key is None:
                self.report.lineup_entries["skipped"] += 1
                continue
            size = entry.get("size")
            if band_key in seen:
                earlier = seen[band_key]
                strongest = min((s for s in (earlier.size, size) if isinstance(s, int)), default=earlier.size)
                detail = "band listed more than once in one lineup: one entry"
                if strongest != earlier.size:
                    detail += f", with the strongest billing ({strongest}, not {earlier.size})"
                    earlier.size = strongest
                self.report.lineup_entries["merged"] += 1
                self.report.merge("lineup_entry", f"{edition.festival_key} {edition.year} {band_key}",
                                  [earlier.path, entry_path], detail)
                continue
            seen[band_key] = LineupPlan(band_key, size, entry_path)
            edition.lineup.append(seen[band_key])
            self.report.lineup_entries["imported"] += 1

    def _lineup_band(self, entry: dict, path: str) -> str | None:
        """The catalog key of the band a lineup entry names, making a placeholder band if the file lacks it."""
        raw_key, name = clean_text(entry.get("key")), clean_text(entry.get("name"))
        key = self.legacy_band_keys.get(raw_key) or to_key(raw_key) or to_key(name)
        if not key:
            self.report.warn("lineup_entry_skipped", path, "lineup entry with neither a usable key nor a usable name")
            return None
        if not raw_key:
            self.report.warn("key_derived", f"{path}.key", f"lineup entry “{name}” has no key; derived “{key}”")
        elif key != raw_key:
            self.report.warn("key_normalised", f"{path}.key", f"lineup key “{raw_key}” read as “{key}”",
                             original=raw_key, key=key)
        band = self.plan.bands.get(key)
        if band is None:
            matches = self.band_names.get(compact(name)) or self.band_names.get(compact(key)) or set()
            if len(matches) == 1:
                match = next(iter(matches))
                self.report.warn("lineup_matched_by_name", path,
                                 f"lineup band “{raw_key or name}” is not in the file; same name as band “{match}”",
                                 key=match)
                key, band = match, self.plan.bands[match]
        if band is None:
            band = BandPlan(key=key, name=name or name_from_key(key), paths=[], placeholder=True)
            self.plan.bands[key] = band
            self.report.placeholders.append({"key": key, "name": band.name, "paths": band.paths, "created": False})
        if band.placeholder:
            band.paths.append(path)
        if name and name != band.name:
            self.report.warn("lineup_name_differs", f"{path}.name",
                             f"lineup names “{name}”, band “{band.key}” is named “{band.name}”: same band",
                             key=band.key, lineup_name=name, band_name=band.name)
        return key


def _coordinate(value) -> Decimal | None:
    return Decimal(str(value)).quantize(Decimal("0.000001")) if value is not None else None


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"

