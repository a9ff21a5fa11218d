"""Pure item builders: public-API-shaped dicts in, PynamoDB items out (no I/O).

Publishing computes the public content from the catalog (approved snapshots,
denormalised names, counts) in the public API's own shapes and calls these builders;
it then writes the returned items (conditioned on `rev`, skipping equal `content_hash`)
and deletes whatever an entity owned before but the builders no longer return
(`owned_partitions` says where to look). The read tier's tests fill the table with the
same builders. Keys and discriminators: see `read_api.schema`.

Builders (all keyword `rev`: the catalog's `published_revision`, stored on every item):

  festival_items(detail, *, rev) -> list[Item]
      detail = body of GET /api/festivals/{key}:
        {"festival": {key, name, location, coordinates{lat,lng}|null, website, poster, description},
         "editions": [{year, dates{start,end}, bands[{key,name,size}], ticketPrice, currency, status}]}
      -> festival item, festival_row (latestEdition = highest year), editions summary,
         one edition item per edition, one upcoming row per edition (GSI1).
      The festival's `countryCode` (ISO, as the catalog stores it) puts its row in GSI2
      `FESTIVALS#COUNTRY#<CC>` and its upcoming rows in `EDITIONS#COUNTRY#<CC>`; its coordinates
      put the row in GSI4 (by latitude) and `lat`/`lng` on the row and the upcoming rows.
  band_items(detail, festivals, *, rev) -> list[Item]
      detail = body of GET /api/bands/{key}: {"band": {..., genreKeys, members[{name, roleKeys}], reviewed},
                                             "genres": [{key,name,description}], "roles": [{key,name,category}]}
      festivals = the band's appearances, band-festival rows:
        {festivalKey, festivalName, location, year, dates{start,end}, size, status}
      -> band item, band_row (GSI3 by reviewed; GSI2 `BANDS#COUNTRY#<CC>` by `countryCode`),
         band's-festivals summary and rows.
  genre_items(genre, bands, *, rev, count=None) -> list[Item]
      genre = {key, name, description}; bands = band rows (see band_row()) of the genre's bands
      -> genre item ({"genre": {..., bandCount}}), genre_row, genre's-bands summary and rows.
      With `count` (the genre's whole band count), `bands` may be some of its rows only: an
      incremental publish rewrites one band's row and the counts, not the whole list.
  role_items(role, members, *, rev, count=None) -> list[Item]   (`count` as for genre_items)
      role = {key, name, category, description}; members = role-member rows
        {bandKey, bandName, name, roleKeys} (+ optional "position": index in the band's member list)
      -> role item ({"role": {..., bandMemberCount}}), role_row, role's-members summary and rows.
  genre_band_item(genre_key, row, *, rev), role_member_item(role_key, member, *, rev) -> Item
      one row of a genre's or role's list (a full rebuild writes each band's rows with the band).
  search_items(owner_pk, result, count, *, rev) -> list[Item]   (festival_items and band_items add them)
      one search row per normalised prefix of result["name"] (read_api.search), its body `result`
      ({type, key, name, …}), ranked by `count`; and the manifest in owner_pk naming the rows.
  festival_alias_items(old_key, new_key, *, rev) -> list[Item]   the 301 from a renamed key
  summary_item(pk, count, *, rev) -> SummaryItem                  a top-level collection's count
      pk in COLLECTION_PKS: schema.FESTIVALS_PK, BANDS_PK, BANDS_REVIEWED_PK,
      BANDS_UNREVIEWED_PK, GENRES_PK, ROLES_PK. Publishing writes these whenever the number
      of published festivals / bands / reviewed / unreviewed / genres / roles changes.

  upcoming_count_items(ends, today, *, rev) -> list[SummaryItem]
      ends = {(ISO code or None, end date YYYY-MM-DD): upcoming rows of editions of festivals in that
      country ending that day}; -> for every month from the one today's /upcoming read starts in
      (today − 31 days) to that of the last end, the count of every day whose read starts in it,
      in all (GSI1) and per country (GSI2); see read_api.schema, "Upcoming counts".
  country_count_items(pk, counts, *, rev) -> list[SummaryItem]
      pk: schema.FESTIVAL_COUNTRIES_PK or BAND_COUNTRIES_PK; counts = {ISO code: rows in that country}
      -> one count per country with rows (GSI2 `<list>#COUNTRY#<CC>` / `#SUMMARY`, first in the
      country's Query) and the partition's own `#SUMMARY` (their sum: the counts are complete).

Row builders (pure dicts, for publishing to reuse): festival_row(detail), band_row(detail, festivals).
Key helpers: keys_of(items), owned_partitions(kind, key).
Empty optional text: every body goes through blank_to_null(), so "" is never served (null is).
Count design: each collection has a `#SUMMARY` item first in its partition; a change in
count rewrites that one item. Sub-collection summaries come from the builders above.
"""

import bisect
import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable
from decimal import Decimal

from . import schema, search
from .schema import Item, Kind

MAX_BODY_BYTES = 350_000  # items stay far below DynamoDB's 400 KB limit
# An ISO 3166-1 alpha-2 code, or a subdivision the catalog lists as a country (the UK's home nations: GB-SCT).
COUNTRY_CODE_RE = re.compile(r"[A-Z]{2}(?:-[A-Z0-9]{1,3})?")
COLLECTION_PKS = (
    schema.FESTIVALS_PK,
    schema.BANDS_PK,
    schema.BANDS_REVIEWED_PK,
    schema.BANDS_UNREVIEWED_PK,
    schema.GENRES_PK,
    schema.ROLES_PK,
)


def _default(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def dumps(value) -> str:
    """The one JSON encoding of every stored body: compact, UTF-8, no NaN."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False, default=_default)


def _hash(item: Item) -> str:
    values = item.attribute_values  # what the attributes hold (read past PynamoDB's descriptors: cheaper)
    parts = [
        schema.Item.kind.get_discriminator(type(item)),
        *(values.get(name) for name in ("body", "count", "ends", "GSI1PK", "GSI1SK", "GSI2PK", "GSI2SK", "GSI3PK",
                                        "GSI3SK")),
    ]
    filters = [values.get(name) for name in ("GSI4PK", "GSI4SK", "lat", "lng")]  # issue 15's filter attributes
    if any(value is not None for value in filters):  # only then: the hash of every other item is unchanged
        parts.append([None if v is None else str(v) for v in filters])
    if item.term is not None or item.refs is not None:  # issue 15's search rows and manifests, likewise
        parts.append([item.term, item.refs])
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()


def blank_to_null(value):
    """One rule for every answer: an optional text field that is empty (or only blanks) is null, never "".

    Applies to the values of objects at any depth (a band's description, a genre's description in a
    band detail, a festival's website); strings inside arrays (keys, names) are left as they are.
    """
    if isinstance(value, dict):
        return {k: None if isinstance(v, str) and not v.strip() else blank_to_null(v) for k, v in value.items()}
    if isinstance(value, list):
        return [blank_to_null(v) for v in value]
    return value


def _make(cls: type[Item], pk: str, sk: str, body, *, rev: int, **attrs) -> Item:
    text = body if isinstance(body, str) else dumps(blank_to_null(body))
    if len(text.encode()) > MAX_BODY_BYTES:
        raise ValueError(f"item {pk} / {sk} body is {len(text.encode())} bytes (max {MAX_BODY_BYTES})")
    item = cls(pk, sk, body=text, rev=int(rev), content_hash="", **attrs)
    item.content_hash = _hash(item)
    return item


def _require(mapping: dict, *names: str, where: str) -> None:
    missing = [n for n in names if n not in mapping]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")


def summary_item(pk: str, count: int, *, rev: int = 0, gsi3pk: str | None = None) -> Item:
    """The `#SUMMARY` item of the collection partition `pk` (count first in the list's Query)."""
    if gsi3pk is None:
        gsi3pk = {schema.BANDS_REVIEWED_PK: schema.REVIEWED_GSI3PK,
                  schema.BANDS_UNREVIEWED_PK: schema.UNREVIEWED_GSI3PK}.get(pk)
    attrs = {"GSI3PK": gsi3pk, "GSI3SK": schema.SUMMARY} if gsi3pk else {}
    return _make(schema.SummaryItem, pk, schema.SUMMARY, {"count": int(count)}, rev=rev, count=int(count), **attrs)


COUNTRY_COUNT_GSI2PK = {schema.FESTIVAL_COUNTRIES_PK: schema.country_festivals_gsi2pk,
                        schema.BAND_COUNTRIES_PK: schema.country_bands_gsi2pk}


def country_count_items(pk: str, counts: dict[str, int], *, rev: int = 0) -> list[Item]:
    """The count of each country partition of a list (festival or band rows), and their complete-marker."""
    gsi2pk = COUNTRY_COUNT_GSI2PK[pk]
    built = [summary_item(pk, sum(counts.values()), rev=rev)]
    for code, count in sorted(counts.items()):
        if count > 0 and COUNTRY_CODE_RE.fullmatch(code):
            built.append(_make(schema.SummaryItem, pk, schema.country_sk(code), {"count": int(count)}, rev=rev,
                               count=int(count), GSI2PK=gsi2pk(code), GSI2SK=schema.SUMMARY))
    return built


def upcoming_count_items(ends: dict[tuple[str | None, str], int], today: dt.date, *, rev: int = 0) -> list[Item]:
    """The upcoming counts of every month from the one today's read starts in to the last edition's end.

    `ends` maps (ISO code or None, end date) to the number of upcoming rows ending that day. The
    item of month M counts, for each day d from M-01 + 31 days (`since`) on, one per day of M, the
    rows that end on or after d: exact for d whatever the day it is read. By country, a country
    whose every count would be 0 (no edition ends from the first day counted on) has none.
    """
    by_scope: dict[str | None, dict[dt.date, int]] = {None: {}}
    for (code, end), n in ends.items():
        day = dt.date.fromisoformat(end)
        for scope in {None, code if code is not None and COUNTRY_CODE_RE.fullmatch(code) else None}:
            counts = by_scope.setdefault(scope, {})
            counts[day] = counts.get(day, 0) + n
    first_month = schema.upcoming_read_start(today)
    built = []
    for code, counts in sorted(by_scope.items(), key=lambda entry: entry[0] or ""):
        days = sorted(counts)
        after = [0] * (len(days) + 1)  # after[i]: rows ending on days[i] or later
        for i in range(len(days) - 1, -1, -1):
            after[i] = after[i + 1] + counts[days[i]]
        last = days[-1] if days else today
        if code is not None and last < schema.upcoming_count_days(first_month)[0]:
            continue
        month = first_month
        while month <= schema.month_start(max(last, today)):
            since, length = schema.upcoming_count_days(month)
            numbers = [after[bisect.bisect_left(days, since + dt.timedelta(days=n))] for n in range(length)]
            label = schema.month_key(month)
            index = {"GSI1PK": schema.UPCOMING_GSI1PK, "GSI1SK": label} if code is None else \
                {"GSI2PK": schema.country_editions_gsi2pk(code), "GSI2SK": label}
            built.append(_make(schema.SummaryItem, schema.UPCOMING_COUNTRIES_PK if code else schema.UPCOMING_COUNTS_PK,
                               schema.upcoming_count_sk(label, code), {"since": since.isoformat(), "counts": numbers},
                               rev=rev, since=since.isoformat(), **index))
            month = schema.next_month(month)
    return built


def country_counts(records: Iterable[dict]) -> dict[str, int]:
    """{ISO code: how many of `records` (festival or band snapshots) are in that country}."""
    counts: dict[str, int] = {}
    for record in records:
        if (code := country_code(record)) is not None:
            counts[code] = counts.get(code, 0) + 1
    return counts


# --- festivals -------------------------------------------------------------------------------
def _edition_brief(edition: dict) -> dict:
    return {
        "year": int(edition["year"]),
        "dates": edition["dates"],
        "bandCount": len(edition.get("bands") or []),
        "ticketPrice": edition.get("ticketPrice"),
        "currency": edition.get("currency"),
    }


def _festival_row_for(festival: dict, editions: list[dict], shown: dict | None) -> dict:
    years = sorted(int(e["year"]) for e in editions)
    return {
        "festivalKey": festival["key"],
        "festivalName": festival["name"],
        "location": festival.get("location"),
        "coordinates": festival.get("coordinates"),
        "website": festival.get("website"),
        "poster": festival.get("poster"),
        "latestEdition": _edition_brief(shown) if shown else None,
        "editions": years,
        "totalEditions": len(years),
    }


def festival_row(detail: dict) -> dict:
    """A row of GET /api/festivals from a festival detail body."""
    editions = detail.get("editions") or []
    latest = max(editions, key=lambda e: int(e["year"])) if editions else None
    return _festival_row_for(detail["festival"], editions, latest)


def country_code(record: dict) -> str | None:
    """The record's ISO country code (`countryCode`, as the catalog stores it), or None when it has none."""
    code = record.get("countryCode")
    return code if isinstance(code, str) and COUNTRY_CODE_RE.fullmatch(code) else None


def _geo(festival: dict) -> dict:
    """`lat`/`lng` attributes of a festival's items when it has coordinates (the map filter reads them)."""
    coordinates = festival.get("coordinates") or {}
    lat, lng = coordinates.get("lat"), coordinates.get("lng")
    if lat is None or lng is None:
        return {}
    return {"lat": float(lat), "lng": float(lng)}


def _upcoming_sort_date(start: str, end: str) -> str:
    floor = dt.date.fromisoformat(end) - dt.timedelta(days=schema.MAX_EDITION_DAYS)
    return max(dt.date.fromisoformat(start), floor).isoformat()


def festival_items(detail: dict, *, rev: int = 0) -> list[Item]:
    _require(detail, "festival", "editions", where="festival detail")
    festival = detail["festival"]
    _require(festival, "key", "name", where="festival")
    key = festival["key"]
    editions = detail["editions"]
    for edition in editions:
        _require(edition, "year", "dates", where=f"festival {key} edition")
        _require(edition["dates"], "start", "end", where=f"festival {key} edition dates")
    items: list[Item] = [_make(schema.FestivalItem, schema.festival_pk(key), schema.METADATA, detail, rev=rev)]
    country = country_code(festival)
    geo = _geo(festival)
    row_index = {"GSI2PK": schema.country_festivals_gsi2pk(country), "GSI2SK": schema.festival_row_sk(key)} \
        if country else {}
    if geo:
        row_index.update(GSI4PK=schema.GEO_GSI4PK, GSI4SK=schema.geo_gsi4sk(geo["lat"], key))
    items.append(_make(schema.FestivalRowItem, schema.FESTIVALS_PK, schema.festival_row_sk(key),
                       festival_row(detail), rev=rev, **row_index, **geo))
    items.append(summary_item(schema.festival_editions_pk(key), len(editions), rev=rev))
    for edition in editions:
        year = int(edition["year"])
        items.append(_make(schema.EditionItem, schema.festival_editions_pk(key), schema.edition_sk(year),
                           {"festivalKey": key, **edition, "year": year}, rev=rev))
        start, end = edition["dates"]["start"], edition["dates"]["end"]
        sort_key = f"{_upcoming_sort_date(start, end)}#{key}#{year:04d}"
        by_country = {"GSI2PK": schema.country_editions_gsi2pk(country), "GSI2SK": sort_key} if country else {}
        items.append(_make(
            schema.UpcomingItem, schema.festival_pk(key), schema.upcoming_sk(year),
            _festival_row_for(festival, editions, edition), rev=rev, ends=end,
            GSI1PK=schema.UPCOMING_GSI1PK, GSI1SK=sort_key, **by_country, **geo,
        ))
    result = {"type": search.FESTIVAL, "key": key, "name": festival["name"], "location": festival.get("location"),
              "country": festival.get("country"), "editionCount": len(editions)}
    return items + search_items(schema.festival_pk(key), result, len(editions), rev=rev)


def festival_alias_items(old_key: str, new_key: str, *, rev: int = 0) -> list[Item]:
    """Items that make /api/festivals/{old_key}[/editions[/{year}]] answer 301 to new_key."""
    body = {"festivalKey": new_key}
    return [
        _make(schema.FestivalAliasItem, schema.festival_pk(old_key), schema.METADATA, body, rev=rev),
        _make(schema.FestivalAliasItem, schema.festival_editions_pk(old_key), schema.ALIAS, body, rev=rev),
    ]


# --- bands -----------------------------------------------------------------------------------
def band_row(detail: dict, festivals: list[dict]) -> dict:
    """A row of GET /api/bands (and of a genre's bands) from a band detail body and its appearances."""
    band = detail["band"]
    names = {g["key"]: g.get("name") for g in detail.get("genres") or []}
    genre_keys = list(band.get("genreKeys") or [])
    return {
        "key": band["key"],
        "name": band["name"],
        "country": band.get("country"),
        "genreKeys": genre_keys,
        "genreNames": [names.get(k) or k for k in genre_keys],
        "logo": band.get("logo"),
        "reviewed": bool(band.get("reviewed")),
        "festivalCount": len({f["festivalKey"] for f in festivals}),
    }


def band_items(detail: dict, festivals: list[dict], *, rev: int = 0) -> list[Item]:
    _require(detail, "band", where="band detail")
    band = detail["band"]
    _require(band, "key", "name", where="band")
    key = band["key"]
    for row in festivals:
        _require(row, "festivalKey", "festivalName", "year", "dates", where=f"band {key} festival row")
    row = band_row(detail, festivals)
    country = country_code(band)
    by_country = {"GSI2PK": schema.country_bands_gsi2pk(country), "GSI2SK": schema.band_row_sk(key)} if country else {}
    items: list[Item] = [
        _make(schema.BandItem, schema.band_pk(key), schema.METADATA, detail, rev=rev),
        _make(schema.BandRowItem, schema.BANDS_PK, schema.band_row_sk(key), row, rev=rev,
              GSI3PK=schema.reviewed_gsi3pk(row["reviewed"]), GSI3SK=schema.band_row_sk(key), **by_country),
        summary_item(schema.band_festivals_pk(key), len(festivals), rev=rev),
    ]
    for appearance in festivals:
        items.append(_make(
            schema.BandFestivalItem, schema.band_festivals_pk(key),
            schema.band_festival_sk(appearance["festivalKey"], appearance["year"]),
            {**appearance, "year": int(appearance["year"])}, rev=rev,
        ))
    result = {"type": search.BAND, "key": key, "name": band["name"], "country": band.get("country"),
              "festivalCount": row["festivalCount"]}
    return items + search_items(schema.band_pk(key), result, row["festivalCount"], rev=rev)


# --- search ----------------------------------------------------------------------------------
def search_items(owner_pk: str, result: dict, count: int, *, rev: int = 0) -> list[Item]:
    """A record's search rows (one per prefix of its name, `result` their body) and the manifest
    in its own partition `owner_pk` naming them; none for a name without a letter or digit."""
    rows = [
        _make(schema.SearchRowItem, schema.search_pk(prefix),
              search.rank_sk(prefix, result["name"], count, result["type"], result["key"]), result, rev=rev,
              term=term)
        for prefix, term in search.prefixes(result["name"]).items()
    ]
    if not rows:
        return []
    refs = schema.refs_text((row.PK, row.SK) for row in rows)
    manifest = _make(schema.SearchManifestItem, owner_pk, schema.SEARCH_MANIFEST, {"rows": len(rows)}, rev=rev,
                     refs=refs)
    return [*rows, manifest]


# --- genres and roles ------------------------------------------------------------------------
def genre_items(genre: dict, bands: list[dict], *, rev: int = 0, count: int | None = None) -> list[Item]:
    _require(genre, "key", "name", where="genre")
    key = genre["key"]
    count = len(bands) if count is None else count
    detail = {"genre": {"key": key, "name": genre["name"], "description": genre.get("description"), "bandCount": count}}
    items: list[Item] = [
        _make(schema.GenreItem, schema.genre_pk(key), schema.METADATA, detail, rev=rev),
        _make(schema.GenreRowItem, schema.GENRES_PK, schema.genre_row_sk(key),
              {"key": key, "name": genre["name"], "bandCount": count}, rev=rev),
        summary_item(schema.genre_bands_pk(key), count, rev=rev),
    ]
    items += [genre_band_item(key, row, rev=rev) for row in bands]
    return items


def genre_band_item(genre_key: str, row: dict, *, rev: int = 0) -> Item:
    """One band's row in a genre's list (`row` as band_row() makes it)."""
    _require(row, "key", "name", where=f"genre {genre_key} band row")
    return _make(schema.GenreBandItem, schema.genre_bands_pk(genre_key), schema.band_row_sk(row["key"]), row, rev=rev)


def role_items(role: dict, members: list[dict], *, rev: int = 0, count: int | None = None) -> list[Item]:
    _require(role, "key", "name", where="role")
    key = role["key"]
    count = len(members) if count is None else count
    detail = {"role": {"key": key, "name": role["name"], "description": role.get("description"),
                       "category": role.get("category"), "bandMemberCount": count}}
    items: list[Item] = [
        _make(schema.RoleItem, schema.role_pk(key), schema.METADATA, detail, rev=rev),
        _make(schema.RoleRowItem, schema.ROLES_PK, schema.role_row_sk(key),
              {"key": key, "name": role["name"], "category": role.get("category"), "bandMemberCount": count}, rev=rev),
        summary_item(schema.role_members_pk(key), count, rev=rev),
    ]
    seen: dict[str, int] = {}
    for member in members:
        position = member.get("position")
        if position is None:
            position = seen.get(member.get("bandKey"), 0)
        seen[member.get("bandKey")] = int(position) + 1
        items.append(role_member_item(key, {**member, "position": position}, rev=rev))
    return items


def role_member_item(role_key: str, member: dict, *, rev: int = 0) -> Item:
    """One member's row in a role's list (`member` with its "position" in the band's member list)."""
    _require(member, "bandKey", "bandName", "name", "position", where=f"role {role_key} member row")
    body = {k: v for k, v in member.items() if k != "position"}
    return _make(schema.RoleMemberItem, schema.role_members_pk(role_key),
                 schema.role_member_sk(member["bandKey"], member["position"]), body, rev=rev)


# --- keys ------------------------------------------------------------------------------------
def keys_of(items: Iterable[Item]) -> set[tuple[str, str]]:
    return {Item.key_of(item) for item in items}


def owned_partitions(kind: str, key: str) -> list[tuple[str, str | None]]:
    """Where an entity's items live: (PK, exact SK) or (PK, None) for a whole partition it owns.

    Publishing queries these (write path) to delete items the builders no longer return.
    kind is one of "festival", "festival_alias", "band", "genre", "role".
    """
    if kind == Kind.FESTIVAL:
        return [(schema.festival_pk(key), None), (schema.festival_editions_pk(key), None),
                (schema.FESTIVALS_PK, schema.festival_row_sk(key))]
    if kind == Kind.FESTIVAL_ALIAS:
        return [(schema.festival_pk(key), schema.METADATA), (schema.festival_editions_pk(key), schema.ALIAS)]
    if kind == Kind.BAND:
        return [(schema.band_pk(key), None), (schema.band_festivals_pk(key), None),
                (schema.BANDS_PK, schema.band_row_sk(key))]
    if kind == Kind.GENRE:
        return [(schema.genre_pk(key), None), (schema.genre_bands_pk(key), None),
                (schema.GENRES_PK, schema.genre_row_sk(key))]
    if kind == Kind.ROLE:
        return [(schema.role_pk(key), None), (schema.role_members_pk(key), None),
                (schema.ROLES_PK, schema.role_row_sk(key))]
    raise ValueError(f"unknown entity kind {kind!r}")
