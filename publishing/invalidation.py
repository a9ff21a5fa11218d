"""What a publish must invalidate: cache tags first, paths where a tag cannot serve.

The read tier tags every answer (`Cache-Tag`) with the records that own the items it
read and the collection it lists (`read_api.cachetags`), and publishing rewrites every
item that embeds a changed record; so the tags of the written and deleted items clear
every stale answer, whatever its path or query string (pages, filters).

A record that becomes public for the first time needs no path either: the read tier
tags its 404s with the record's tag (`band:<key>`), so `#band:<key>` clears them.

Paths are used where a tag cannot serve: a distribution without a CacheTagConfig
(`CLOUDFRONT_CACHE_TAGS = False`, e.g. while CloudFront's tag support is being rolled
out). Each tag is then translated to the paths of the answers carrying it, with a
trailing `*` where query strings vary (`/api/bands?*` clears every page and filter of the
list, which the exact `/api/bands` does not); past CloudFront's 15 wildcards in flight,
a family collapses to one wildcard.
"""

from read_api import cachetags

from . import conf

_COLLECTION_PATHS = {
    cachetags.FESTIVALS: ["/api/festivals", "/api/festivals?*"],
    cachetags.UPCOMING: ["/api/festivals/upcoming*"],
    cachetags.BANDS: ["/api/bands", "/api/bands?*", "/api/bands/reviewed*", "/api/bands/unreviewed*"],
    cachetags.GENRES: ["/api/genres", "/api/genres?*"],
    cachetags.ROLES: ["/api/roles", "/api/roles?*"],
    cachetags.CHANGES: ["/api/changes", "/api/changes?*"],
}
_FAMILY = {"festival": "festivals", "band": "bands", "genre": "genres", "role": "roles"}
MAX_WILDCARDS = 15


def tag_item(tag: str) -> str:
    return "#" + tag


def paths_for_tag(tag: str) -> list[str]:
    """Every answer that carries `tag`, as CloudFront paths (the fallback without cache tags)."""
    if tag in _COLLECTION_PATHS:
        return list(_COLLECTION_PATHS[tag])
    kind, _, key = tag.partition(":")
    if kind == "search":  # `q` is free text (any case, accents, spacing): every search answer
        return ["/api/search*"]
    base = f"/api/{_FAMILY[kind]}/{key}"
    return [base, base + "?*", base + "/*"]


def _collapse_wildcards(paths: list[str]) -> list[str]:
    wildcards = [p for p in paths if p.endswith("*")]
    if len(wildcards) <= MAX_WILDCARDS:
        return paths
    families = sorted({"/".join(p.rstrip("*").split("/")[:3]) for p in wildcards})  # /api/bands, /api/search
    return sorted({p for p in paths if not p.endswith("*")}) + [f + "*" for f in families]


def answers_for_changes(puts, deletes, stored) -> set[str]:
    """The public paths whose answers a publish changes: what the items written (`puts`, new
    PynamoDB items) and deleted (`deletes`, keys) served before and serve now. `stored` is what
    the table held (keys to `writer.Stored`). For people (admin, admin API, logs): the CDN gets tags.
    """
    paths: set[str] = set()
    for item in puts:
        paths |= cachetags.answer_paths(item.PK, item.SK, item.GSI3PK)
    for key in [*(item.key for item in puts), *deletes]:
        old = stored.get(key)
        paths |= cachetags.answer_paths(*key, old.listing if old is not None else None)
    return paths


def items_for_changes(changed_keys) -> list[str]:
    """Invalidation items for the items written or deleted (`changed_keys`: (PK, SK) pairs)."""
    return items_for_tags(cachetags.for_items(list(changed_keys)))


def items_for_tags(tags) -> list[str]:
    """Invalidation items for these cache tags (paths where the distribution reads no tags)."""
    if conf.get("CLOUDFRONT_CACHE_TAGS"):
        return sorted(tag_item(t) for t in tags)
    paths = {p for tag in tags for p in paths_for_tag(tag)}
    return _collapse_wildcards(sorted(paths))
