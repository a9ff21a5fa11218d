"""The cache-tag vocabulary: which tags an answer carries (`Cache-Tag` header) and which tags a write invalidates.

Rule: an answer names the records that own the items it was read from and the collection
it lists; a write invalidates the tags of the items it wrote (`for_items`). Because
publishing rewrites every item that embeds a changed record (a band rename rewrites the
festival items whose lineups show its name), invalidating the written items' tags clears
every stale answer, query-string variants included.

Tags (frozen, lowercase keys are URL slugs):
  festival:<key>  band:<key>  genre:<key>  role:<key>        one record and its sub-resources
  festivals  upcoming  bands  genres  roles                 the top-level lists (every page and filter)
  changes                                                   the change feed's latest page (a document's write
                                                            appends an entry: read_api.feed)
  search:<first two characters of the prefix>              the search answers read from SEARCH#<prefix…>
                                                           (a space written as a hyphen: `search:ir`, `search:a-`)
Answers carry at most MAX_TAGS tags, comma-separated.
"""

from collections.abc import Iterable

from . import schema

MAX_TAGS = 50
HEADER = "Cache-Tag"

FESTIVALS = "festivals"
UPCOMING = "upcoming"
BANDS = "bands"
GENRES = "genres"
ROLES = "roles"
CHANGES = "changes"
COLLECTIONS = (FESTIVALS, UPCOMING, BANDS, GENRES, ROLES)


def festival(key: str) -> str:
    return f"festival:{key}"


def band(key: str) -> str:
    return f"band:{key}"


def genre(key: str) -> str:
    return f"genre:{key}"


def role(key: str) -> str:
    return f"role:{key}"


SEARCH_TAG_CHARS = 2


def search(prefix: str) -> str:
    """The tag of the search answers read from SEARCH#<prefix>: its first two characters name it.

    Per-prefix tags would be exact but a record has ~16 prefixes, and a lineup edit that changes
    twenty bands' festival counts would invalidate hundreds of tags (past publishing's threshold,
    one wildcard over the whole API). Two characters give a record two or so tags per word and
    clear only the answers to queries starting like its words (each refilled by one Query)."""
    return "search:" + prefix[:SEARCH_TAG_CHARS].replace(" ", "-")


_COLLECTION_BY_PK = {
    schema.FESTIVALS_PK: FESTIVALS,
    schema.BANDS_PK: BANDS,
    schema.BANDS_REVIEWED_PK: BANDS,
    schema.BANDS_UNREVIEWED_PK: BANDS,
    schema.GENRES_PK: GENRES,
    schema.ROLES_PK: ROLES,
    schema.FESTIVAL_COUNTRIES_PK: FESTIVALS,  # a country's count: /api/festivals?country=
    schema.BAND_COUNTRIES_PK: BANDS,  # /api/bands?country=
    schema.UPCOMING_COUNTS_PK: UPCOMING,  # /upcoming's count (and that of the date lists from a day on)
    schema.UPCOMING_COUNTRIES_PK: UPCOMING,  # /upcoming?country='s
}
_RECORD_BY_PREFIX = {"FESTIVAL": festival, "BAND": band, "GENRE": genre, "ROLE": role}


def for_key(pk: str, sk: str) -> set[str]:
    """The tags to invalidate when the item (pk, sk) is written or deleted."""
    if pk.startswith(schema.SEARCH_PREFIX):
        return {search(pk.removeprefix(schema.SEARCH_PREFIX))}
    if sk == schema.SEARCH_MANIFEST:  # publishing's own record of a record's search rows: serves no answer
        return set()
    if pk in _COLLECTION_BY_PK:
        return {_COLLECTION_BY_PK[pk]}
    if sk.startswith(schema.UPCOMING_PREFIX):
        return {UPCOMING}
    prefix, _, rest = pk.partition("#")
    record_key = rest.split("#", 1)[0]
    if prefix in _RECORD_BY_PREFIX and record_key:
        if sk == schema.METADATA and "#" not in rest:  # a public document: the change feed gains an entry
            return {_RECORD_BY_PREFIX[prefix](record_key), CHANGES}
        return {_RECORD_BY_PREFIX[prefix](record_key)}
    raise ValueError(f"no cache tag for item key {pk!r} / {sk!r}")


def for_items(items: Iterable) -> set[str]:
    """The tags to invalidate after writing or deleting these items (models or (pk, sk) pairs)."""
    tags: set[str] = set()
    for item in items:
        pk, sk = item if isinstance(item, tuple) else (item.PK, item.SK)
        tags |= for_key(pk, sk)
    return tags


# --- the public answers an item serves (the schema's "serves" column), for people reading a publish --
_LIST_PATHS = {
    schema.FESTIVALS_PK: "/api/festivals",
    schema.BANDS_PK: "/api/bands",
    schema.BANDS_REVIEWED_PK: "/api/bands/reviewed",
    schema.BANDS_UNREVIEWED_PK: "/api/bands/unreviewed",
    schema.GENRES_PK: "/api/genres",
    schema.ROLES_PK: "/api/roles",
    schema.FESTIVAL_COUNTRIES_PK: "/api/festivals",
    schema.BAND_COUNTRIES_PK: "/api/bands",
}
_LISTING_PATHS = {schema.REVIEWED_GSI3PK: "/api/bands/reviewed", schema.UNREVIEWED_GSI3PK: "/api/bands/unreviewed"}
_SUB_RESOURCE = {("FESTIVAL", "EDITIONS"): "editions", ("BAND", "FESTIVALS"): "festivals",
                 ("GENRE", "BANDS"): "bands", ("ROLE", "MEMBERS"): "members"}
_FAMILY = {"FESTIVAL": "festivals", "BAND": "bands", "GENRE": "genres", "ROLE": "roles"}


def answer_paths(pk: str, sk: str, listing: str | None = None) -> set[str]:
    """The public paths whose answers read the item (pk, sk): what changes when it is written or deleted.

    A list's path stands for all of its pages and filters (`/api/bands` also means
    `?offset=100` and `?reviewed=true`). `listing` is a band row's GSI3PK: the row shows in
    `/api/bands/reviewed` or `/api/bands/unreviewed` too. A festival's old key (`~ALIAS`)
    answers every `/editions/{year}` under it, written `/editions/*`. Issue 15: an upcoming row
    also serves `/api/festivals` (its date filters) and `/upcoming.ics`, an upcoming count item
    `/upcoming` and `/api/festivals` (`from`); a festival's detail its
    `/calendar.ics`; a band's festival rows its `/calendar.ics`; a genre's band rows
    `/api/bands` (`?genre=`). A search row serves `/api/search` (every `q` whose prefix it is).
    """
    if pk.startswith(schema.SEARCH_PREFIX):
        return {"/api/search"}
    if sk == schema.SEARCH_MANIFEST:
        return set()
    if pk in (schema.UPCOMING_COUNTS_PK, schema.UPCOMING_COUNTRIES_PK):  # the counts of the editions from a day on
        return {"/api/festivals/upcoming", "/api/festivals"}
    if pk in _LIST_PATHS:
        paths = {_LIST_PATHS[pk]}
        if pk == schema.BANDS_PK and listing in _LISTING_PATHS:
            paths.add(_LISTING_PATHS[listing])
        return paths
    if sk.startswith(schema.UPCOMING_PREFIX):
        return {"/api/festivals/upcoming", "/api/festivals/upcoming.ics", "/api/festivals"}
    prefix, _, rest = pk.partition("#")
    key, _, sub = rest.partition("#")
    if prefix not in _FAMILY or not key:
        raise ValueError(f"no public answer for item key {pk!r} / {sk!r}")
    base = f"/api/{_FAMILY[prefix]}/{key}"
    if not sub:  # a document: the change feed reports it too
        return {base, f"{base}/calendar.ics", "/api/changes"} if prefix == "FESTIVAL" else {base, "/api/changes"}
    if (prefix, sub) not in _SUB_RESOURCE:
        raise ValueError(f"no public answer for item key {pk!r} / {sk!r}")
    collection = f"{base}/{_SUB_RESOURCE[prefix, sub]}"
    if sk.startswith(schema.EDITION_PREFIX):
        return {collection, f"{collection}/{int(sk.removeprefix(schema.EDITION_PREFIX))}"}
    if sk == schema.ALIAS:
        return {collection, f"{collection}/*"}
    if (prefix, sub) == ("BAND", "FESTIVALS"):
        return {collection, f"{base}/calendar.ics"}
    if (prefix, sub) == ("GENRE", "BANDS"):
        return {collection, _LIST_PATHS[schema.BANDS_PK]}
    return {collection}


def header_value(tags: Iterable[str]) -> str:
    unique = list(dict.fromkeys(tags))
    return ",".join(unique[:MAX_TAGS])
