"""A full rebuild that streams: memory set by the chunk size, not by the catalog.

`PublicCatalog` holds every snapshot and builds every list whole; a republish at ×100 cannot
afford that. The rebuild walks the published records instead, in the order of their entities
(kind, then key in code-point order), `PUBLISH_REBUILD_CHUNK` at a time, each chunk projected
by a `ScopedCatalog` of its own that loads only the snapshots the chunk needs and is dropped
after it:

- a band's chunk also builds the band's rows in its genres' and roles' lists (the whole list of
  a genre or role is never built at once);
- a genre or role then builds its own item, row and count, the count being the rows of its list
  that the rebuild keeps (counted in the spill below: exact, whatever the catalog's size);
- the collection counts are counted in SQL.

What the table holds is read once, keys and hashes only, into a `StoredSpill`: a SQLite file in
the temporary directory, so at any size the rebuild holds one chunk's stored rows in memory. Each
stored row is *claimed* by the entity that owns it (state kept or deleted); what no public entity
claims is deleted once the rebuild completes. A band owns its rows in every genre's and role's
list: it deletes its stale rows there itself. The cache tags and public answers the rebuild
changes are noted in the same file, so the report holds their counts and a bounded sample, not
one entry per record.
"""

import os
import sqlite3
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass

from django.db import connection
from django.db.models.functions import Collate

from catalog.models import Band, Festival, FestivalAlias, Genre, Role
from read_api import items as builders
from read_api import schema

from .projector import BAND, FESTIVAL, GENRE, ROLE, Entity
from .scoped import in_chunks
from .writer import Key, Prefix, Stored

UNCLAIMED, KEPT, DELETED = 0, 1, 2


def _after(prefix: str) -> str:
    """The least string above every string that starts with `prefix`."""
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


class StoredSpill:
    """What the table holds (key, hash, rev, listing, count) in a SQLite file, what the rebuild
    has claimed of it (KEPT: built again, or left as it is; DELETED), and the cache tags and
    public answers its writes change (`note`)."""

    def __init__(self, directory: str | None = None):
        handle, self.path = tempfile.mkstemp(prefix="rebuild-", suffix=".sqlite3", dir=directory)
        os.close(handle)
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        self.db.executescript("""
            PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -4000;
            CREATE TABLE stored (pk TEXT, sk TEXT, hash TEXT, rev INTEGER, listing TEXT, count INTEGER,
                                 country TEXT, refs TEXT,
                                 state INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (pk, sk)) WITHOUT ROWID;
            CREATE INDEX stored_sk ON stored (sk);
            CREATE TABLE held (seq INTEGER PRIMARY KEY, action TEXT, data TEXT);
            CREATE TABLE lineups (band TEXT, festival INTEGER, PRIMARY KEY (band, festival)) WITHOUT ROWID;
            CREATE TABLE tags (tag TEXT PRIMARY KEY) WITHOUT ROWID;
            CREATE TABLE answers (path TEXT PRIMARY KEY) WITHOUT ROWID;
        """)
        self.rows = 0

    def close(self) -> None:
        self.db.close()
        os.unlink(self.path)

    def fill(self, pages, tick=None) -> None:
        """Store every (key, Stored) of `pages` (lists of them, as the table's scan answers)."""
        for page in pages:
            self.db.executemany("INSERT OR REPLACE INTO stored VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                                [(pk, sk, s.content_hash, s.rev, s.listing, s.count, s.country,
                                  schema.refs_text(s.refs) or None) for (pk, sk), s in page])
            self.rows += len(page)
            if tick is not None:
                tick()

    @staticmethod
    def _stored(row) -> tuple[Key, Stored]:
        return (row[0], row[1]), Stored(row[2] or "", row[3] or 0, row[4], row[5], row[6],
                                        tuple(schema.parse_refs(row[7])))

    _COLUMNS = "SELECT pk, sk, hash, rev, listing, count, country, refs FROM stored"

    def read(self, partitions) -> dict[Key, Stored]:
        """The stored rows of these (PK, None) partitions, (PK, Prefix) ranges and (PK, SK) keys."""
        found: dict[Key, Stored] = {}
        for pk, sk in partitions:
            if sk is None:
                rows = self.db.execute(f"{self._COLUMNS} WHERE pk = ?", (pk,))
            elif isinstance(sk, Prefix):
                rows = self.db.execute(f"{self._COLUMNS} WHERE pk = ? AND sk >= ? AND sk < ?", (pk, sk, _after(sk)))
            else:
                rows = self.db.execute(f"{self._COLUMNS} WHERE pk = ? AND sk = ?", (pk, sk))
            found.update(self._stored(row) for row in rows)
        return found

    def read_sorted(self, sk: str, pks: set[str], *, prefix: bool = False) -> dict[Key, Stored]:
        """The stored rows whose SK is `sk` (or starts with it) in any of the partitions `pks`."""
        if prefix:
            rows = self.db.execute(f"{self._COLUMNS} WHERE sk >= ? AND sk < ?", (sk, _after(sk)))
        else:
            rows = self.db.execute(f"{self._COLUMNS} WHERE sk = ?", (sk,))
        return dict(self._stored(row) for row in rows if row[0] in pks)

    def claim(self, keys, state: int) -> None:
        self.db.executemany("INSERT INTO stored (pk, sk, state) VALUES (?, ?, ?) "
                            "ON CONFLICT (pk, sk) DO UPDATE SET state = excluded.state",
                            [(pk, sk, state) for pk, sk in keys])

    def kept_rows(self, pk: str) -> int:
        """The rows of the list partition `pk` the rebuild keeps (its summary is not a row)."""
        return self.db.execute("SELECT COUNT(*) FROM stored WHERE pk = ? AND sk != ? AND state = ?",
                               (pk, schema.SUMMARY, KEPT)).fetchone()[0]

    def unclaimed(self, size: int = 500) -> Iterator[list[tuple[Key, Stored]]]:
        """What no public entity claimed, in pages (the rows are read before any is changed)."""
        cursor = self.db.execute(f"{self._COLUMNS} WHERE state = ? AND hash IS NOT NULL", (UNCLAIMED,))
        while page := cursor.fetchmany(size):
            yield [self._stored(row) for row in page]

    def index_lineups(self, tick=None, size: int = 500) -> None:
        """Which festival's published lineups name which band key: every edition read once, so a
        chunk finds its bands' festivals by key here, not by searching every snapshot again (a
        search per chunk made the rebuild's cost grow with the square of the catalog)."""
        from catalog.models import Edition

        editions = Edition.objects.filter(published_snapshot__isnull=False).values_list(
            "festival_id", "published_snapshot")
        pairs: set[tuple[str, int]] = set()
        for festival, snapshot in editions.iterator(chunk_size=size):
            pairs.update((entry["key"], festival) for entry in (snapshot or {}).get("bands") or [] if entry.get("key"))
            if len(pairs) >= 20 * size:
                self.db.executemany("INSERT OR IGNORE INTO lineups VALUES (?, ?)", pairs)
                pairs.clear()
                if tick is not None:
                    tick()
        self.db.executemany("INSERT OR IGNORE INTO lineups VALUES (?, ?)", pairs)

    def festivals_naming(self, band_keys) -> set[int]:
        """The festivals (pks) whose published lineups name any of these band keys (`index_lineups`)."""
        found: set[int] = set()
        for part in in_chunks(sorted(band_keys)):
            found.update(row[0] for row in self.db.execute(
                f"SELECT DISTINCT festival FROM lineups WHERE band IN ({', '.join('?' * len(part))})", part))  # noqa: S608
        return found

    def note(self, tags, answers) -> None:
        """Remember cache tags and public answers (paths) the rebuild changes, each once."""
        self.db.executemany("INSERT OR IGNORE INTO tags VALUES (?)", [(t,) for t in tags])
        self.db.executemany("INSERT OR IGNORE INTO answers VALUES (?)", [(a,) for a in answers])

    def noted(self, *, tags_up_to: int, answers_up_to: int) -> tuple[int, set[str], int, list[str]]:
        """How many tags were noted and all of them when at most `tags_up_to` (none past it: the
        invalidation is then the wildcard); how many answers and the first `answers_up_to`, sorted."""
        tag_count = self.db.execute("SELECT COUNT(*) FROM tags").fetchone()[0]
        tags = {row[0] for row in self.db.execute("SELECT tag FROM tags")} if tag_count <= tags_up_to else set()
        answer_count = self.db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
        answers = [row[0] for row in self.db.execute("SELECT path FROM answers ORDER BY path LIMIT ?",
                                                     (answers_up_to,))]
        return tag_count, tags, answer_count, answers

    def hold(self, action: str, data: list[str]) -> None:
        self.db.executemany("INSERT INTO held (action, data) VALUES (?, ?)", [(action, d) for d in data])

    def held(self, size: int = 200) -> Iterator[list[tuple[str, str]]]:
        cursor = self.db.execute("SELECT action, data FROM held ORDER BY seq")
        while page := cursor.fetchmany(size):
            yield page


# --- the records, in entity order -------------------------------------------------------------------


@dataclass(frozen=True)
class Record:
    """One entity of the rebuild and the snapshot it is built from (None: the collection counts, an alias)."""

    entity: Entity
    pk: int | None = None
    snapshot: dict | None = None


def _code_point_order(queryset, field: str = "key"):
    """`queryset` ordered by `field` as Python orders strings (the checkpoint compares them so)."""
    collation = "C" if connection.vendor == "postgresql" else "BINARY"
    return queryset.alias(ordered=Collate(field, collation)).order_by("ordered")


def _keyset(queryset, fields, size: int, after: str = "") -> Iterator[tuple]:
    """Rows of `queryset` (`fields`, the key first) in key order, `size` per query, after key `after`."""
    ordered = _code_point_order(queryset)
    while True:
        rows = list(ordered.filter(ordered__gt=after).values_list(*fields)[:size])
        yield from rows
        if len(rows) < size:
            return
        after = rows[-1][0]


def _published(model):
    return model.objects.filter(published_snapshot__isnull=False)


def _festivals(size: int, after: str, *, snapshots: bool) -> Iterator[Record]:
    """Public festivals and the former keys that redirect to one, merged in key order."""
    import heapq

    fields = ("key", "pk", "published_snapshot") if snapshots else ("key", "pk")
    festivals = ((key, pk, rest[0] if rest else None) for key, pk, *rest in _keyset(_published(Festival), fields, size,
                                                                                    after))
    aliases = FestivalAlias.objects.filter(festival__published_snapshot__isnull=False).exclude(
        key__in=_published(Festival).values("key"))
    redirects = ((key, None, None) for key, in _keyset(aliases, ("key",), size, after))
    for key, pk, snapshot in heapq.merge(festivals, redirects, key=lambda row: row[0]):
        yield Record(Entity(FESTIVAL, key), pk, snapshot)


def records(size: int, after_mark: str = "", *, snapshots: bool = True) -> Iterator[Record]:
    """Every entity of the public catalog in `sorted(Entity)` order but the collection counts (the
    rebuild does them last, once every row they count is written), after the mark `after_mark`
    ("kind\\tkey"), loaded `size` rows per query; without `snapshots`, keys only."""
    after_kind, _, after_key = after_mark.partition("\t")

    def start(kind: str) -> str | None:  # None: every entity of this kind is past
        return None if after_kind > kind else after_key if after_kind == kind else ""

    for kind, model in ((BAND, Band), (FESTIVAL, Festival), (GENRE, Genre), (ROLE, Role)):
        after = start(kind)
        if after is None:
            continue
        if kind == FESTIVAL:
            yield from _festivals(size, after, snapshots=snapshots)
        else:
            fields = ("key", "pk", "published_snapshot") if snapshots else ("key", "pk")
            for key, pk, *rest in _keyset(_published(model), fields, size, after):
                yield Record(Entity(kind, key), pk, rest[0] if rest else None)


def record_count() -> int:
    aliases = FestivalAlias.objects.filter(festival__published_snapshot__isnull=False).exclude(
        key__in=_published(Festival).values("key")).count()
    return 1 + aliases + sum(_published(m).count() for m in (Band, Festival, Genre, Role))


def chunks(iterator, size: int):
    chunk = []
    for record in iterator:
        chunk.append(record)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


# --- what each entity owns ---------------------------------------------------------------------------


@dataclass
class ListPartitions:
    """The list partitions of the public genres and roles: a band owns its rows in each."""

    genres: set[str]
    roles: set[str]

    @classmethod
    def load(cls) -> "ListPartitions":
        return cls({schema.genre_bands_pk(k) for k in _published(Genre).values_list("key", flat=True)},
                   {schema.role_members_pk(k) for k in _published(Role).values_list("key", flat=True)})


def own_partitions(entity: Entity) -> list:
    """Where an entity's own items live (a genre's or role's list rows are its bands')."""
    if entity.kind == GENRE:
        return [(schema.genre_pk(entity.key), None), (schema.GENRES_PK, schema.genre_row_sk(entity.key)),
                (schema.genre_bands_pk(entity.key), schema.SUMMARY)]
    if entity.kind == ROLE:
        return [(schema.role_pk(entity.key), None), (schema.ROLES_PK, schema.role_row_sk(entity.key)),
                (schema.role_members_pk(entity.key), schema.SUMMARY)]
    return entity.partitions()


def stored_of(spill: StoredSpill, entity: Entity, lists: ListPartitions) -> dict[Key, Stored]:
    """What the table holds of `entity`'s own items (a band: with its rows in every list)."""
    found = spill.read(own_partitions(entity))
    found.update(spill.read([r for stored in list(found.values()) for r in stored.refs]))  # its search rows
    if entity.kind == BAND:
        found.update(spill.read_sorted(schema.band_row_sk(entity.key), lists.genres))
        found.update(spill.read_sorted(f"{schema.MEMBER_PREFIX}{entity.key}#", lists.roles, prefix=True))
    return found


def festival_group(chunk: list[Record], first: str, size: int, *, lineup_index=None) -> dict:
    """A catalog for the festivals of `chunk` from `first` on, `size // 10` of them (at least one), their
    editions and lineup bands loaded together: {festival key: that catalog}. A chunk's festivals are
    loaded a group at a time, so the lineup bands held stay few whatever the chunk's size. The catalog
    finds lineups through `lineup_index` as the chunk's does (`ScopedCatalog.find_appearances`)."""
    from .scoped import ScopedCatalog

    festivals = [r for r in chunk if r.entity.kind == FESTIVAL]
    start = next(i for i, r in enumerate(festivals) if r.entity.key == first)
    group = festivals[start:start + max(size // 10, 1)]
    catalog = ScopedCatalog()
    catalog.stored = {}
    catalog.lineup_index = lineup_index
    for record in group:
        if record.snapshot is not None:
            catalog._add(FESTIVAL, record.pk, record.snapshot)
    catalog._load_editions()
    catalog.prefetch(BAND, [e.get("key") for key in catalog.editions for ed in catalog.editions[key]
                            for e in ed.get("bands") or []])
    return dict.fromkeys((r.entity.key for r in group), catalog)


def band_list_rows(catalog, key: str, *, rev: int) -> list:
    """A band's rows in its genres' and roles' lists (the lists' own items are their genre's and role's)."""
    detail = catalog.band_detail(key)
    row = catalog.band_row(key)
    built = [builders.genre_band_item(genre, row, rev=rev) for genre in detail["band"]["genreKeys"]]
    for role in dict.fromkeys(r for m in detail["band"]["members"] for r in m["roleKeys"]):
        built += [builders.role_member_item(role, member, rev=rev) for member in catalog._member_rows(role, key)]
    return built


def list_owner_items(catalog, entity: Entity, spill: StoredSpill, *, rev: int) -> list:
    """A genre's or role's own items, its count the rows of its list the rebuild keeps."""
    if entity.kind == GENRE:
        count = spill.kept_rows(schema.genre_bands_pk(entity.key))
        return builders.genre_items(catalog.genres[entity.key], [], rev=rev, count=count)
    count = spill.kept_rows(schema.role_members_pk(entity.key))
    return builders.role_items(catalog.roles[entity.key], [], rev=rev, count=count)
