"""The public catalog as far as one incremental publish needs it: an edit costs what it touches.

`PublicCatalog` loads every published snapshot; a task needs only the snapshots of the
entities it rebuilds. `ScopedCatalog` answers the same questions (documents, key resolution,
a band's festivals) by loading snapshots by key on demand, and finds the records that
*mention* a key (the editions whose lineup names a band, the bands of a genre or role) with a
text search of the stored snapshots in SQL, each candidate then checked in Python.

Genres and roles reached through a band are rebuilt as *slices* (`Entity.bands`): their own
item, row and count, and only that band's rows in their lists. Their counts, and the band
counts of the collections, are the stored count plus the change in the rows the publish
reads; the writer sends those rows and counts in one transaction (`Plan.first`), so a count
is never left out of step with its rows. Without a stored count (a table being filled, or
emptied) the count is computed in full.
"""

import json
from collections import defaultdict
from functools import reduce
from operator import or_

from django.db.models import CharField, Count, Q, TextField
from django.db.models.fields.json import KT, KeyTextTransform
from django.db.models.functions import Cast

from catalog.models import Band, Edition, Festival, FestivalAlias, Genre, Role
from read_api import items as builders
from read_api import queries, schema

from .projector import BAND, COLLECTIONS, FESTIVAL, GENRE, MODELS, ROLE, Entity, PublicCatalog, appearance

IN_CHUNK = 500  # keys per `IN (...)` (SQLite's limit on parameters)
SEARCH_MAX = 60  # texts searched with LIKE in one query
SEARCH_ALL = 2000  # past this many texts, every published snapshot is read instead


def in_chunks(values, size: int = IN_CHUNK):
    """`values` in lists of at most `size` (one `IN (...)` query each)."""
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _texts(keys) -> set[str]:
    """How a key appears inside a stored JSON snapshot (escaped or not, as the database keeps it)."""
    return {form for key in keys if key for form in (json.dumps(key), json.dumps(key, ensure_ascii=False))}


def _mentioning(queryset, keys):
    """Rows of `queryset` whose published snapshot may name one of `keys` (a superset: check each)."""
    texts = sorted(_texts(keys))
    if not texts:
        return queryset.none()
    if len(texts) > SEARCH_ALL:
        return queryset
    searched = queryset.annotate(snapshot_text=Cast("published_snapshot", TextField()))
    if len(texts) <= SEARCH_MAX:
        return searched.filter(reduce(or_, (Q(snapshot_text__contains=t) for t in texts)))
    found: set[int] = set()
    for chunk in in_chunks(texts, SEARCH_MAX):
        found |= set(searched.filter(reduce(or_, (Q(snapshot_text__contains=t) for t in chunk)))
                     .values_list("pk", flat=True))
    return queryset.filter(pk__in=found)


class ScopedCatalog(PublicCatalog):
    """`PublicCatalog`'s answers from the snapshots a task needs, loaded by key as they are asked for.

    The dictionaries (`bands`, `festivals`, …) hold what has been loaded so far; `load(kind, keys)`
    makes sure each key's public state is known. `stored` (what the table holds for the
    entities being rebuilt) is set by the caller before items are built: counts start from it.
    """

    def __init__(self):
        self.genres, self.roles, self.bands, self.festivals = {}, {}, {}, {}
        self.editions: dict[str, list[dict]] = {}
        self.aliases: dict[str, str] = {}
        self.stored: dict = {}
        # festivals(band keys) → pks of the festivals whose published lineups name them; set by a
        # rebuild, which indexes every lineup once (`rebuild.StoredSpill.index_lineups`) instead of
        # searching every edition's snapshot for each chunk's bands
        self.lineup_index = None
        self._published = {GENRE: self.genres, ROLE: self.roles, BAND: self.bands, FESTIVAL: self.festivals}
        self._pk: dict[str, dict[str, int]] = {kind: {} for kind in MODELS}  # public key → record pk
        self._checked: dict[str, set[str]] = {kind: set() for kind in MODELS}
        self._resolved: dict[str, dict[str, str | None]] = {kind: {} for kind in MODELS}
        self._festival_key_by_pk: dict[int, str] = {}
        self._aliases_checked: set[str] = set()
        self._appearances_of: dict[str, list[dict]] = {}
        self._rows: dict[str, dict] = {}

    # --- loading ------------------------------------------------------------------------------
    def _add(self, kind: str, pk: int, snapshot: dict) -> None:
        if self._pk[kind].get(snapshot["key"]) == pk:
            return  # loaded already (found again under another of its keys)
        self._published[kind][snapshot["key"]] = snapshot
        self._pk[kind][snapshot["key"]] = pk
        self._checked[kind].add(snapshot["key"])
        if kind == FESTIVAL:
            self._festival_key_by_pk[pk] = snapshot["key"]
            self.editions.setdefault(snapshot["key"], [])
            self._pending_editions.add(pk)

    @property
    def _pending_editions(self) -> set[int]:
        return self.__dict__.setdefault("_editions_to_load", set())

    def load(self, kind: str, keys) -> None:
        """Load every published record whose public key is one of `keys` (a record renamed since
        approval still holds its approved key in its history, so history is searched too)."""
        model = MODELS[kind]
        todo = {k for k in keys if k and k not in self._checked[kind]}
        for chunk in in_chunks(todo):
            history = set(model.history.filter(key__in=chunk).values_list("id", flat=True))
            rows = model.objects.filter(Q(key__in=chunk) | Q(pk__in=history), published_snapshot__isnull=False)
            for pk, snapshot in rows.values_list("pk", "published_snapshot"):
                self._add(kind, pk, snapshot)
        self._checked[kind] |= todo
        if kind == FESTIVAL:
            self._load_editions()

    def _load_editions(self) -> None:
        pks = sorted(self._pending_editions)
        self._pending_editions.clear()
        for chunk in in_chunks(pks):
            for festival_pk, snapshot in Edition.objects.filter(festival_id__in=chunk, published_snapshot__isnull=False) \
                    .values_list("festival_id", "published_snapshot"):
                self.editions[self._festival_key_by_pk[festival_pk]].append(snapshot)
        for pk in pks:
            self.editions[self._festival_key_by_pk[pk]].sort(key=lambda e: e["year"])

    def _load_festivals(self, pks) -> None:
        todo = [pk for pk in pks if pk not in self._festival_key_by_pk]
        for chunk in in_chunks(todo):
            for pk, snapshot in Festival.objects.filter(pk__in=chunk, published_snapshot__isnull=False) \
                    .values_list("pk", "published_snapshot"):
                self._add(FESTIVAL, pk, snapshot)
        self._load_editions()

    def _load_aliases(self, keys) -> None:
        todo = {k for k in keys if k and k not in self._aliases_checked}
        self._aliases_checked |= todo
        if not todo:
            return
        self.load(FESTIVAL, todo)
        found = dict(FestivalAlias.objects.filter(key__in=todo).values_list("key", "festival_id"))
        self._load_festivals(found.values())
        for old, festival_pk in found.items():
            if festival_pk in self._festival_key_by_pk and old not in self.festivals:
                self.aliases[old] = self._festival_key_by_pk[festival_pk]

    # --- key resolution -----------------------------------------------------------------------
    def prefetch(self, kind: str, keys) -> None:
        """Resolve many keys at once (a lineup's): the public records and the holders of former keys."""
        keys = {k for k in keys if k}
        self.load(kind, keys)
        published, resolved = self._published[kind], self._resolved[kind]
        rest = {k for k in keys if k not in published and k not in resolved}
        if not rest:
            return
        model = MODELS[kind]
        holder: dict[str, int] = {}
        for chunk in in_chunks(rest):
            history = model.history.filter(key__in=chunk).order_by("history_date", "history_id")
            holder.update(dict(history.values_list("key", "id")))
            holder.update(dict(model.objects.filter(key__in=chunk).values_list("key", "pk")))  # a current holder wins
        current: dict[int, str] = {}
        for chunk in in_chunks(set(holder.values())):
            current.update(dict(model.objects.filter(pk__in=chunk).values_list("pk", "key")))
        self.load(kind, current.values())
        for key in rest:
            now = current.get(holder.get(key))
            resolved[key] = now if now in published else None

    def resolve(self, kind: str, key: str | None) -> str | None:
        if key is None:
            return None
        if key not in self._published[kind] and key not in self._resolved[kind]:
            self.prefetch(kind, [key])
        if key in self._published[kind]:
            return key
        return self._resolved[kind].get(key)

    def keys_ever(self, kind: str, pk: int) -> set[str]:
        model = MODELS[kind]
        return set(model.history.filter(id=pk).values_list("key", flat=True)) | set(
            model.objects.filter(pk=pk).values_list("key", flat=True))

    def _keys_ever_of(self, kind: str, public_keys) -> dict[str, set[str]]:
        """Every key each public record (by its public key) has held."""
        model = MODELS[kind]
        by_pk = {self._pk[kind][k]: k for k in public_keys if k in self._pk[kind]}
        found: dict[str, set[str]] = {k: {k} for k in public_keys}
        for chunk in in_chunks(by_pk):
            for pk, key in [*model.history.filter(id__in=chunk).values_list("id", "key"),
                            *model.objects.filter(pk__in=chunk).values_list("pk", "key")]:
                found[by_pk[pk]].add(key)
        return found

    # --- documents ----------------------------------------------------------------------------
    def edition_document(self, snapshot: dict) -> dict:
        self.prefetch(BAND, [entry.get("key") for entry in snapshot.get("bands") or []])
        return super().edition_document(snapshot)

    def festival_detail(self, key: str) -> dict:
        self.load(FESTIVAL, [key])
        self.prefetch(BAND, [e.get("key") for ed in self.editions.get(key, []) for e in ed.get("bands") or []])
        return super().festival_detail(key)

    def _band_detail(self, key: str) -> dict:
        snapshot = self.bands[key]
        self.prefetch(GENRE, snapshot.get("genreKeys") or [])
        self.prefetch(ROLE, [r for m in snapshot.get("members") or [] for r in m.get("roleKeys") or []])
        return super()._band_detail(key)

    def find_appearances(self, band_keys) -> None:
        """Find the lineups that show these public bands: editions whose snapshot names one of the
        keys each band has held, under a public festival, each entry resolved as the public sees it."""
        todo = [b for b in band_keys if b in self.bands and b not in self._appearances_of]
        if not todo:
            return
        ever = self._keys_ever_of(BAND, todo)
        wanted = {key for keys in ever.values() for key in keys}
        if self.lineup_index is not None:
            self._load_festivals(self.lineup_index(wanted))
        else:
            editions = _mentioning(Edition.objects.filter(published_snapshot__isnull=False), wanted)
            self._load_festivals(set(editions.values_list("festival_id", flat=True)))
        found: dict[str, list[dict]] = defaultdict(list)
        targets = set(todo)
        for festival_key, festival in list(self.festivals.items()):
            for edition in self.editions.get(festival_key, []):
                entries = [e for e in edition.get("bands") or [] if e.get("key") in wanted]
                for entry in entries:
                    band = self.resolve(BAND, entry["key"])
                    if band in targets:
                        found[band].append(appearance(festival_key, festival, edition, entry.get("size")))
        for band in todo:
            self._appearances_of[band] = found.get(band, [])

    @property
    def _appearances(self) -> dict[str, list[dict]]:
        return self._appearances_of

    def band_festivals(self, key: str) -> list[dict]:
        self.find_appearances([key])
        return super().band_festivals(key)

    def band_row(self, key: str) -> dict:
        if key not in self._rows:
            self._rows[key] = builders.band_row(self.band_detail(key), self.band_festivals(key))
        return self._rows[key]

    def _members(self, kind: str, key: str) -> list[str]:
        """The public bands whose snapshot names the genre or role `key` (under any key it has held)."""
        self.load(kind, [key])
        ever = self._keys_ever_of(kind, [key])[key]
        for pk, snapshot in _mentioning(Band.objects.filter(published_snapshot__isnull=False), ever) \
                .values_list("pk", "published_snapshot"):
            self._add(BAND, pk, snapshot)
        if kind == GENRE:
            found = [b for b in sorted(self.bands) if key in self.band_detail(b)["band"]["genreKeys"]]
        else:
            found = [b for b in sorted(self.bands)
                     if any(key in m["roleKeys"] for m in self.band_detail(b)["band"]["members"])]
        return found

    def genre_bands(self, key: str) -> list[dict]:
        bands = self._members(GENRE, key)
        self.find_appearances(bands)
        return [self.band_row(b) for b in bands]

    def role_members(self, key: str) -> list[dict]:
        return [row for b in self._members(ROLE, key) for row in self._member_rows(key, b)]

    def _member_rows(self, role: str, band: str) -> list[dict]:
        detail = self.band_detail(band)
        return [{"bandKey": band, "bandName": detail["band"]["name"], "name": member["name"],
                 "roleKeys": member["roleKeys"], "position": position}
                for position, member in enumerate(detail["band"]["members"]) if role in member["roleKeys"]]

    # --- what a change touches ----------------------------------------------------------------
    def bands_naming(self, kind: str, keys: set[str]) -> set[str]:
        for pk, snapshot in _mentioning(Band.objects.filter(published_snapshot__isnull=False), keys) \
                .values_list("pk", "published_snapshot"):
            self._add(BAND, pk, snapshot)
        return super().bands_naming(kind, keys)

    def festivals_listing(self, band_keys: set[str]) -> set[str]:
        editions = _mentioning(Edition.objects.filter(published_snapshot__isnull=False), band_keys)
        self._load_festivals(set(editions.values_list("festival_id", flat=True)))
        return super().festivals_listing(band_keys)

    def lineup_bands(self, edition_snapshots) -> set[str]:
        self.prefetch(BAND, [e.get("key") for s in edition_snapshots for e in (s or {}).get("bands") or []])
        return super().lineup_bands(edition_snapshots)

    # --- items --------------------------------------------------------------------------------
    def entity_items(self, entity: Entity, *, rev: int) -> list:
        kind, key = entity.kind, entity.key
        if kind == FESTIVAL:
            self.load(FESTIVAL, [key])
            self._load_aliases([key])
        elif kind in (BAND, GENRE, ROLE) and key:
            self.load(kind, [key])
        if entity.bands:
            self.load(BAND, entity.bands)
        if kind == COLLECTIONS:
            return self._collection_items(entity, rev=rev)
        if entity.bands and key in self._published[kind]:
            return self._slice_items(entity, rev=rev)
        return super().entity_items(entity, rev=rev)

    def _stored_rows(self, entity: Entity, rows_pk: str) -> int:
        """The slice's rows stored now (only a slice reads this list's partition: every row read is its own)."""
        keys = self.stored.by_pk.get(rows_pk, []) if hasattr(self.stored, "by_pk") else list(self.stored)
        return sum(1 for k in keys if k[0] == rows_pk and k[1] != schema.SUMMARY and entity.covers(k))

    def _slice_items(self, entity: Entity, *, rev: int) -> list:
        kind, key = entity.kind, entity.key
        bands = [b for b in entity.bands if b in self.bands]
        if kind == GENRE:
            rows_pk = schema.genre_bands_pk(key)
            rows = [self.band_row(b) for b in bands if key in self.band_detail(b)["band"]["genreKeys"]]
        else:
            rows_pk = schema.role_members_pk(key)
            rows = [row for b in bands for row in self._member_rows(key, b)]
        summary = self.stored.get((rows_pk, schema.SUMMARY))
        if summary is None or summary.count is None:  # nothing to count from: the whole list, once
            return [i for i in super().entity_items(Entity(kind, key), rev=rev) if entity.covers((i.PK, i.SK))]
        count = summary.count + len(rows) - self._stored_rows(entity, rows_pk)
        if kind == GENRE:
            return builders.genre_items(self.genres[key], rows, rev=rev, count=count)
        return builders.role_items(self.roles[key], rows, rev=rev, count=count)

    def _collection_items(self, entity: Entity, *, rev: int) -> list:
        published = {model: model.objects.filter(published_snapshot__isnull=False) for model in MODELS.values()}
        counts = {schema.FESTIVALS_PK: published[Festival].count(), schema.GENRES_PK: published[Genre].count(),
                  schema.ROLES_PK: published[Role].count()}
        bands = self.stored.get((schema.BANDS_PK, schema.SUMMARY))
        reviewed = self.stored.get((schema.BANDS_REVIEWED_PK, schema.SUMMARY))
        if bands is None or reviewed is None or bands.count is None or reviewed.count is None:
            total, reviewed_count = published[Band].count(), published[Band].filter(published_snapshot__reviewed=True).count()
        else:
            total, reviewed_count = bands.count, reviewed.count
            for band in entity.bands:  # each band's row before and after this publish
                old = self.stored.get((schema.BANDS_PK, schema.band_row_sk(band)))
                if old is not None:
                    total -= 1
                    reviewed_count -= old.listing == schema.REVIEWED_GSI3PK
                if band in self.bands:
                    total += 1
                    reviewed_count += bool(self.bands[band].get("reviewed"))
        counts |= {schema.BANDS_PK: total, schema.BANDS_REVIEWED_PK: reviewed_count,
                   schema.BANDS_UNREVIEWED_PK: total - reviewed_count}
        # Countries: festivals (a few thousand) counted in full, bands from the stored counts plus the change;
        # the upcoming counts from the editions that end from the first day they count on, grouped in SQL.
        today = queries.today()
        return [*(builders.summary_item(pk, counts[pk], rev=rev) for pk in builders.COLLECTION_PKS),
                *builders.upcoming_count_items(upcoming_ends(today), today, rev=rev),
                *builders.country_count_items(schema.FESTIVAL_COUNTRIES_PK, _country_counts(published[Festival]),
                                              rev=rev),
                *builders.country_count_items(schema.BAND_COUNTRIES_PK, self._band_countries(entity, published[Band]),
                                              rev=rev)]

    def _band_countries(self, entity: Entity, published_bands) -> dict[str, int]:
        """{ISO code: band rows in that country}: the stored counts plus the change of each band rebuilt.

        Without the stored counts' marker (`#SUMMARY`: a table being filled, or one written before
        the counts existed) they are counted in full, once.
        """
        if self.stored.get((schema.BAND_COUNTRIES_PK, schema.SUMMARY)) is None:
            return _country_counts(published_bands)
        keys = self.stored.by_pk.get(schema.BAND_COUNTRIES_PK, []) if hasattr(self.stored, "by_pk") else self.stored
        counts = {sk.removeprefix(schema.COUNTRY_PREFIX): self.stored[(pk, sk)].count or 0 for pk, sk in keys
                  if pk == schema.BAND_COUNTRIES_PK and sk.startswith(schema.COUNTRY_PREFIX)}
        for band in entity.bands:  # each band's row before and after this publish
            old = self.stored.get((schema.BANDS_PK, schema.band_row_sk(band)))
            if old is not None and old.country is not None:
                code = old.country.removeprefix(schema.country_bands_gsi2pk(""))
                counts[code] = counts.get(code, 0) - 1
            if band in self.bands and (code := builders.country_code(self.bands[band])) is not None:
                counts[code] = counts.get(code, 0) + 1
        return counts


def upcoming_ends(today) -> dict[tuple[str | None, str], int]:
    """{(ISO code or None, end date): public editions under a public festival in that country ending that
    day}, from the first day the upcoming counts written `today` hold on: one SQL query, grouped."""
    first = schema.upcoming_count_days(schema.upcoming_read_start(today))[0]
    rows = (Edition.objects.filter(published_snapshot__isnull=False, festival__published_snapshot__isnull=False)
            .annotate(end=Cast(KT("published_snapshot__dates__end"), CharField()),  # compared as text, not JSON
                      code=KeyTextTransform("countryCode", "festival__published_snapshot"))
            .filter(end__gte=first.isoformat()).values("code", "end").annotate(n=Count("pk")).order_by())
    return {(row["code"], row["end"]): row["n"] for row in rows}


def _country_counts(published) -> dict[str, int]:
    """{ISO code: published records in that country}, from one SQL query of their snapshots' `countryCode`."""
    codes = published.values_list("published_snapshot__countryCode", flat=True)
    return builders.country_counts({"countryCode": code} for code in codes)
