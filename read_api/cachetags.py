"""The cache-tag vocabulary: which tags an answer carries (`Cache-Tag` header) and which tags a write invalidates.

Rule: an answer names the records that own the items it was read from and the collection
it lists; a write invalidates the tags of the items it wrote (`for_items`). Because
publishing rewrites every item that embeds a changed record (a band rename rewrites the
festival items whose lineups show its name), invalidating the written items' tags clears
every stale answer, query-string variants included.

Tags (frozen, lowercase keys are URL slugs):
  festival:<key>  band:<key>  genre:<key>  role:<key>        one record and its sub-resources
  festivals  upcoming  bands  genres  roles                 the top-level lists (every page and filter)
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
COLLECTIONS = (FESTIVALS, UPCOMING, BANDS, GENRES, ROLES)


def festival(key: str) -> str:
    return f"festival:{key}"


def band(key: str) -> str:
    return f"band:{key}"


def genre(key: str) -> str:
    return f"genre:{key}"


def role(key: str) -> str:
    return f"role:{key}"


_COLLECTION_BY_PK = {
    schema.FESTIVALS_PK: FESTIVALS,
    schema.BANDS_PK: BANDS,
    schema.BANDS_REVIEWED_PK: BANDS,
    schema.BANDS_UNREVIEWED_PK: BANDS,
    schema.GENRES_PK: GENRES,
    schema.ROLES_PK: ROLES,
}
_RECORD_BY_PREFIX = {"FESTIVAL": festival, "BAND": band, "GENRE": genre, "ROLE": role}


def for_key(pk: str, sk: str) -> set[str]:
    """The tags to invalidate when the item (pk, sk) is written or deleted."""
    if pk in _COLLECTION_BY_PK:
        return {_COLLECTION_BY_PK[pk]}
    if sk.startswith(schema.UPCOMING_PREFIX):
        return {UPCOMING}
    prefix, _, rest = pk.partition("#")
    record_key = rest.split("#", 1)[0]
    if prefix in _RECORD_BY_PREFIX and record_key:
        return {_RECORD_BY_PREFIX[prefix](record_key)}
    raise ValueError(f"no cache tag for item key {pk!r} / {sk!r}")


def for_items(items: Iterable) -> set[str]:
    """The tags to invalidate after writing or deleting these items (models or (pk, sk) pairs)."""
    tags: set[str] = set()
    for item in items:
        pk, sk = item if isinstance(item, tuple) else (item.PK, item.SK)
        tags |= for_key(pk, sk)
    return tags


def header_value(tags: Iterable[str]) -> str:
    unique = list(dict.fromkeys(tags))
    return ",".join(unique[:MAX_TAGS])
