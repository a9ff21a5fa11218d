"""The projector: approved snapshots → the public documents and the DynamoDB items the read tier reads.

It reads only `published_snapshot`s (never a working copy) and joins them as the
public sees them: lineup band names from each band's snapshot, genre and role
details into bands, each band's festivals, each genre's bands, each role's members,
and every count. References in snapshots are keys as they were at approval, so keys
are resolved through the records' history (a band renamed since an edition was
approved still shows, under its new key and name, in that lineup).

Items are grouped by *entity* (one festival, band, genre or role, with everything it
owns, plus the top-level collection counts): a task rebuilds the entities it affects
(`entities_for_task`) and the writer writes only the items whose content changed.
"""

from collections import defaultdict
from dataclasses import dataclass
from functools import cached_property

from catalog.models import Band, Edition, Festival, FestivalAlias, Genre, Role
from read_api import items as builders
from read_api import queries, schema

from .writer import Prefix

FESTIVAL, BAND, GENRE, ROLE, COLLECTIONS = "festival", "band", "genre", "role", "collections"
MODELS = {"genre": Genre, "role": Role, "band": Band, "festival": Festival}


@dataclass(frozen=True, order=True)
class Entity:
    """What one publish rebuilds: a festival (its items or, for a former key, its redirect), a band,
    a genre, a role or the collection counts. A genre or role with `bands` is a *slice*: its own
    item, row and count, and only these bands' rows in its list (a band edit touches no other row).
    The collection counts with `bands` also read those bands' rows in the band list (to count the change)."""

    kind: str
    key: str = ""
    bands: tuple[str, ...] = ()

    def partitions(self) -> list[tuple[str, str | None]]:
        """Where this entity's items live in the table: whole partitions (None), exact keys or `Prefix`es."""
        if self.kind == COLLECTIONS:  # and every country's count of festival and band rows, the upcoming counts
            return [*((pk, schema.SUMMARY) for pk in builders.COLLECTION_PKS),
                    (schema.FESTIVAL_COUNTRIES_PK, None), (schema.BAND_COUNTRIES_PK, None),
                    (schema.UPCOMING_COUNTS_PK, None), (schema.UPCOMING_COUNTRIES_PK, None)]
        if self.bands and self.kind == GENRE:
            rows = schema.genre_bands_pk(self.key)
            return [(schema.genre_pk(self.key), schema.METADATA), (schema.GENRES_PK, schema.genre_row_sk(self.key)),
                    (rows, schema.SUMMARY), *((rows, schema.band_row_sk(b)) for b in self.bands)]
        if self.bands and self.kind == ROLE:
            rows = schema.role_members_pk(self.key)
            return [(schema.role_pk(self.key), schema.METADATA), (schema.ROLES_PK, schema.role_row_sk(self.key)),
                    (rows, schema.SUMMARY), *((rows, Prefix(f"{schema.MEMBER_PREFIX}{b}#")) for b in self.bands)]
        return builders.owned_partitions(self.kind, self.key)

    def reads(self) -> list[tuple[str, str | None]]:
        """What a publish of this entity reads: its own items, and for the counts the rows they count."""
        if self.kind == COLLECTIONS:
            return [*self.partitions(), *((schema.BANDS_PK, schema.band_row_sk(b)) for b in self.bands)]
        return self.partitions()

    def covers(self, key: tuple[str, str]) -> bool:
        return key in self._owned_keys

    @cached_property
    def _owned_keys(self) -> "KeySet":
        return KeySet(self.partitions())


class KeySet:
    """Membership of (PK, SK) keys in a list of partitions: whole (None), exact keys and `Prefix`es."""

    def __init__(self, partitions):
        self.whole, self.exact, self.prefixes = set(), set(), defaultdict(list)
        for pk, sk in partitions:
            if sk is None:
                self.whole.add(pk)
            elif isinstance(sk, Prefix):
                self.prefixes[pk].append(sk)
            else:
                self.exact.add((pk, sk))

    def __contains__(self, key) -> bool:
        pk, sk = key
        return pk in self.whole or key in self.exact or any(sk.startswith(p) for p in self.prefixes.get(pk, ()))


def appearance(festival_key: str, festival: dict, edition: dict, size) -> dict:
    """A band's festival row: one edition it plays (coordinates and website: its calendar's GEO and URL)."""
    return {
        "festivalKey": festival_key,
        "festivalName": festival["name"],
        "location": festival.get("location"),
        "coordinates": festival.get("coordinates"),
        "website": festival.get("website"),
        "year": edition["year"],
        "dates": edition["dates"],
        "size": size,
        "status": edition.get("status"),
    }


def _published(model):
    return model.objects.filter(published_snapshot__isnull=False)


class PublicCatalog:
    """Everything the public may see, loaded in a handful of queries and joined in memory."""

    def __init__(self):
        self.genres = {s["key"]: s for s in _published(Genre).values_list("published_snapshot", flat=True)}
        self.roles = {s["key"]: s for s in _published(Role).values_list("published_snapshot", flat=True)}
        self.bands = {s["key"]: s for s in _published(Band).values_list("published_snapshot", flat=True)}
        festival_rows = list(_published(Festival).values_list("pk", "published_snapshot"))
        self.festivals = {s["key"]: s for _, s in festival_rows}
        festival_key_by_pk = {pk: s["key"] for pk, s in festival_rows}
        self.editions: dict[str, list[dict]] = defaultdict(list)
        for festival_pk, snapshot in _published(Edition).values_list("festival_id", "published_snapshot"):
            if festival_pk in festival_key_by_pk:  # an edition is public only under a public festival
                self.editions[festival_key_by_pk[festival_pk]].append(snapshot)
        for editions in self.editions.values():
            editions.sort(key=lambda e: e["year"])
        self.aliases = {
            old: festival_key_by_pk[festival_pk]
            for old, festival_pk in FestivalAlias.objects.values_list("key", "festival_id")
            if festival_pk in festival_key_by_pk and old not in self.festivals
        }
        self._resolvers = {name: _KeyResolver(model) for name, model in MODELS.items()}

    # --- key resolution -----------------------------------------------------------------------
    def load(self, kind: str, keys) -> None:
        """Everything is loaded already (`ScopedCatalog` loads what is asked for)."""

    def resolve(self, kind: str, key: str | None) -> str | None:
        """The current public key of whatever record held `key` (now or before a rename), if public."""
        if key is None:
            return None
        published = {"genre": self.genres, "role": self.roles, "band": self.bands, "festival": self.festivals}[kind]
        if key in published:
            return key
        current = self._resolvers[kind].current_key(key)
        return current if current in published else None

    def keys_ever(self, kind: str, pk: int) -> set[str]:
        return self._resolvers[kind].keys_of(pk)

    # --- public documents ---------------------------------------------------------------------
    def _resolved_list(self, kind: str, keys) -> list[str]:
        out = []
        for key in keys or []:
            current = self.resolve(kind, key)
            if current is not None and current not in out:
                out.append(current)
        return out

    def edition_document(self, snapshot: dict) -> dict:
        bands = []
        for entry in snapshot.get("bands") or []:
            key = self.resolve("band", entry.get("key"))
            if key is not None:
                name = self.bands[key]["name"]
            else:  # no public page (a placeholder, an unpublished band): the key as approved, never null
                key, name = entry.get("key"), entry.get("name")
            bands.append({"key": key, "name": name, "size": entry.get("size")})
        return {
            "year": snapshot["year"],
            "dates": snapshot["dates"],
            "bands": bands,
            "ticketPrice": snapshot.get("ticketPrice"),
            "currency": snapshot.get("currency"),
            "status": snapshot.get("status"),
        }

    def festival_detail(self, key: str) -> dict:
        """Body of GET /api/festivals/{key}."""
        return {
            "festival": dict(self.festivals[key]),
            "editions": [self.edition_document(e) for e in self.editions.get(key, [])],
        }

    @cached_property
    def _appearances(self) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = defaultdict(list)
        for festival_key, festival in self.festivals.items():
            for edition in self.editions.get(festival_key, []):
                for entry in self.edition_document(edition)["bands"]:
                    if entry["key"] not in self.bands:  # no public page: no festival list of its own
                        continue
                    found[entry["key"]].append(appearance(festival_key, festival, edition, entry["size"]))
        return found

    def band_festivals(self, key: str) -> list[dict]:
        """Rows of GET /api/bands/{key}/festivals, newest first (deduplicated per festival and year)."""
        unique = {(a["festivalKey"], a["year"]): a for a in self._appearances.get(key, [])}
        return sorted(unique.values(), key=lambda a: (-a["year"], a["festivalKey"]))

    def band_detail(self, key: str) -> dict:
        """Body of GET /api/bands/{key}: the snapshot with genre and role details joined in."""
        cache = self.__dict__.setdefault("_band_details", {})
        if key not in cache:
            cache[key] = self._band_detail(key)
        return cache[key]

    def _band_detail(self, key: str) -> dict:
        snapshot = self.bands[key]
        genre_keys = self._resolved_list("genre", snapshot.get("genreKeys"))
        members = [
            {"name": m["name"], "roleKeys": self._resolved_list("role", m.get("roleKeys"))}
            for m in snapshot.get("members") or []
        ]
        role_keys: list[str] = []
        for member in members:
            role_keys += [k for k in member["roleKeys"] if k not in role_keys]
        return {
            "band": {**snapshot, "genreKeys": genre_keys, "members": members},
            "genres": [
                {"key": k, "name": self.genres[k]["name"], "description": self.genres[k].get("description")}
                for k in genre_keys
            ],
            "roles": [
                {"key": k, "name": self.roles[k]["name"], "category": self.roles[k].get("category")}
                for k in role_keys
            ],
        }

    @cached_property
    def _band_rows(self) -> dict[str, dict]:
        return {key: builders.band_row(self.band_detail(key), self.band_festivals(key)) for key in self.bands}

    def band_row(self, key: str) -> dict:
        return self._band_rows[key]

    @cached_property
    def _genre_bands(self) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = defaultdict(list)
        for key in sorted(self.bands):
            for genre_key in self.band_detail(key)["band"]["genreKeys"]:
                found[genre_key].append(self.band_row(key))
        return found

    @cached_property
    def _role_members(self) -> dict[str, list[dict]]:
        found: dict[str, list[dict]] = defaultdict(list)
        for key in sorted(self.bands):
            detail = self.band_detail(key)
            for position, member in enumerate(detail["band"]["members"]):
                for role_key in member["roleKeys"]:
                    found[role_key].append({
                        "bandKey": key, "bandName": detail["band"]["name"], "name": member["name"],
                        "roleKeys": member["roleKeys"], "position": position,
                    })
        return found

    def genre_bands(self, key: str) -> list[dict]:
        return self._genre_bands.get(key, [])

    def role_members(self, key: str) -> list[dict]:
        return self._role_members.get(key, [])

    # --- items --------------------------------------------------------------------------------
    def entity_items(self, entity: Entity, *, rev: int) -> list:
        kind, key = entity.kind, entity.key
        if entity.bands and kind in (GENRE, ROLE):  # a slice: the whole entity's items that it covers
            return [i for i in self.entity_items(Entity(kind, key), rev=rev) if entity.covers((i.PK, i.SK))]
        if kind == FESTIVAL:
            if key in self.festivals:
                return builders.festival_items(self.festival_detail(key), rev=rev)
            if key in self.aliases:
                return builders.festival_alias_items(key, self.aliases[key], rev=rev)
            return []
        if kind == BAND:
            return builders.band_items(self.band_detail(key), self.band_festivals(key), rev=rev) if key in self.bands else []
        if kind == GENRE:
            return builders.genre_items(self.genres[key], self.genre_bands(key), rev=rev) if key in self.genres else []
        if kind == ROLE:
            return builders.role_items(self.roles[key], self.role_members(key), rev=rev) if key in self.roles else []
        if kind == COLLECTIONS:
            reviewed = sum(1 for b in self.bands.values() if b.get("reviewed"))
            counts = {
                schema.FESTIVALS_PK: len(self.festivals),
                schema.BANDS_PK: len(self.bands),
                schema.BANDS_REVIEWED_PK: reviewed,
                schema.BANDS_UNREVIEWED_PK: len(self.bands) - reviewed,
                schema.GENRES_PK: len(self.genres),
                schema.ROLES_PK: len(self.roles),
            }
            return [*(builders.summary_item(pk, count, rev=rev) for pk, count in counts.items()),
                    *builders.country_count_items(schema.FESTIVAL_COUNTRIES_PK,
                                                  builders.country_counts(self.festivals.values()), rev=rev),
                    *builders.country_count_items(schema.BAND_COUNTRIES_PK,
                                                  builders.country_counts(self.bands.values()), rev=rev),
                    *builders.upcoming_count_items(self.upcoming_ends(), queries.today(), rev=rev)]
        raise ValueError(f"unknown entity {entity}")

    def upcoming_ends(self) -> dict[tuple[str | None, str], int]:
        """{(ISO code or None, end date): the upcoming rows (public editions) of festivals in that country
        ending that day}: what the upcoming counts count."""
        ends: dict[tuple[str | None, str], int] = defaultdict(int)
        for key, festival in self.festivals.items():
            for edition in self.editions.get(key, []):
                ends[(festival.get("countryCode"), edition["dates"]["end"])] += 1
        return ends

    def all_entities(self) -> set[Entity]:
        entities = {Entity(COLLECTIONS)}
        entities |= {Entity(FESTIVAL, k) for k in [*self.festivals, *self.aliases]}
        entities |= {Entity(BAND, k) for k in self.bands}
        entities |= {Entity(GENRE, k) for k in self.genres}
        entities |= {Entity(ROLE, k) for k in self.roles}
        return entities

    def items_for(self, entities, *, rev: int) -> list:
        built = []
        for entity in sorted(entities):
            built += self.entity_items(entity, rev=rev)
        return built

    # --- what a change touches ----------------------------------------------------------------
    def bands_naming(self, kind: str, keys: set[str]) -> set[str]:
        """Public bands whose snapshot names one of the genre or role `keys` (as approved)."""
        if kind == GENRE:
            return {b for b, s in self.bands.items() if keys & set(s.get("genreKeys") or [])}
        return {b for b, s in self.bands.items()
                if any(keys & set(m.get("roleKeys") or []) for m in s.get("members") or [])}

    def festivals_listing(self, band_keys: set[str]) -> set[str]:
        """Public festivals with an edition whose lineup names one of `band_keys` (any former key)."""
        found = set()
        for festival_key in self.festivals:
            for edition in self.editions.get(festival_key, []):
                if any((entry.get("key") in band_keys) for entry in edition.get("bands") or []):
                    found.add(festival_key)
        return found

    def lineup_bands(self, edition_snapshots) -> set[str]:
        keys = set()
        for snapshot in edition_snapshots:
            for entry in (snapshot or {}).get("bands") or []:
                current = self.resolve("band", entry.get("key"))
                if current:
                    keys.add(current)
        return keys


class _KeyResolver:
    """Every key a record of one model has held (its history), and who holds or last held a key."""

    def __init__(self, model):
        self.model = model

    @cached_property
    def _holders(self) -> tuple[dict[str, int], dict[int, set[str]]]:
        holder: dict[str, int] = {}
        keys: dict[int, set[str]] = defaultdict(set)
        for pk, key in self.model.history.order_by("history_date", "history_id").values_list("id", "key"):
            holder[key] = pk
            keys[pk].add(key)
        for pk, key in self.model.objects.values_list("pk", "key"):  # a current holder wins
            holder[key] = pk
            keys[pk].add(key)
        self._current = dict(self.model.objects.values_list("pk", "key"))
        return holder, keys

    def current_key(self, key: str) -> str | None:
        holder, _ = self._holders
        pk = holder.get(key)
        return self._current.get(pk) if pk is not None else None

    def keys_of(self, pk: int) -> set[str]:
        return set(self._holders[1].get(pk, set()))


def entities_for_task(task, catalog: PublicCatalog) -> set[Entity]:
    """Every entity whose items may change because of this task: the record's, and all that embed it.

    Genres and roles that change only because of a band's row in their lists come back as slices
    of those bands (`Entity.bands`); the collection counts carry every band rebuilt.
    """
    before, after = task.before or {}, task.after or {}
    kind, pk = task.kind, task.record_pk
    entities = set()
    touched: dict[tuple[str, str], set[str]] = defaultdict(set)  # (genre|role, key) → bands whose rows change

    if kind == "edition":
        current = Edition.objects.filter(pk=pk).select_related("festival").first()
        festival_keys = {before.get("festivalKey"), after.get("festivalKey")}
        if current is not None:
            festival_keys.add(current.festival.key)
        snapshots = [before, after, current.published_snapshot if current else None]
        entities |= {Entity(FESTIVAL, k) for k in festival_keys if k}
        entities |= {Entity(FESTIVAL, c) for k in festival_keys if (c := catalog.resolve("festival", k))}
        entities |= {Entity(BAND, k) for k in catalog.lineup_bands(snapshots)}
        return _scoped(entities, touched, catalog)

    keys = {k for k in (before.get("key"), after.get("key"), task.previous_key, task.record_key) if k}
    keys |= catalog.keys_ever(kind, pk)
    current = MODELS[kind].objects.filter(pk=pk).first()
    current_snapshot = current.published_snapshot if current is not None else None
    if current is not None:
        keys.add(current.key)
    entities |= {Entity(kind, k) for k in keys}

    if kind in ("genre", "role"):
        entities |= {Entity(BAND, b) for b in catalog.bands_naming(kind, keys)}
    elif kind == "band":
        catalog.load(BAND, keys)
        for snapshot in (before, after, current_snapshot or {}):
            for g in catalog._resolved_list("genre", snapshot.get("genreKeys")):
                touched[(GENRE, g)] |= keys
            for member in snapshot.get("members") or []:
                for r in catalog._resolved_list("role", member.get("roleKeys")):
                    touched[(ROLE, r)] |= keys
        entities |= {Entity(FESTIVAL, f) for f in catalog.festivals_listing(keys)}
    elif kind == "festival":
        editions = list(Edition.objects.filter(festival_id=pk).values_list("published_snapshot", flat=True))
        entities |= {Entity(BAND, b) for b in catalog.lineup_bands([*editions, *(task.related_before or [])])}
        entities |= {Entity(FESTIVAL, a) for a in FestivalAlias.objects.filter(festival_id=pk).values_list("key", flat=True)}
    return _scoped(entities, touched, catalog)


def _scoped(entities: set[Entity], touched: dict, catalog: PublicCatalog) -> set[Entity]:
    """A band's row is embedded in its genres' lists (festival count, genre names) and its members
    in its roles' lists (band name, role keys): a rebuilt band rebuilds its rows there (a slice of
    each), unless the whole genre or role is rebuilt anyway. The counts see every rebuilt band."""
    band_keys = sorted(e.key for e in entities if e.kind == BAND)
    catalog.load(BAND, band_keys)
    for key in band_keys:
        if key in catalog.bands:
            detail = catalog.band_detail(key)
            for g in detail["band"]["genreKeys"]:
                touched[(GENRE, g)].add(key)
            for r in {r for m in detail["band"]["members"] for r in m["roleKeys"]}:
                touched[(ROLE, r)].add(key)
    whole = {(e.kind, e.key) for e in entities}
    entities |= {Entity(kind, key, tuple(sorted(bands))) for (kind, key), bands in touched.items()
                 if (kind, key) not in whole}
    return entities | {Entity(COLLECTIONS, bands=tuple(band_keys))}
