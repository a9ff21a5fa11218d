"""What a publish must invalidate: cache tags first, paths where a tag cannot serve.

The read tier tags every answer (`Cache-Tag`) with the records that own the items it
read and the collection it lists (`read_api.cachetags`), and publishing rewrites every
item that embeds a changed record; so the tags of the written and deleted items clear
every stale answer, whatever its path or query string (pages, filters).

Paths are used where a tag cannot serve:
- a record that becomes public for the first time: a cached 404 for its URL names no
  record's tags, so its detail URLs are invalidated as exact paths (no wildcard);
- a distribution without a CacheTagConfig (`CLOUDFRONT_CACHE_TAGS = False`): each tag is
  translated to the paths of the answers carrying it, with a trailing `*` where query
  strings vary; past CloudFront's 15 wildcards in flight, a family collapses to one.
"""

from read_api import cachetags, schema

from . import conf

_COLLECTION_PATHS = {
    cachetags.FESTIVALS: ["/api/festivals", "/api/festivals?*"],
    cachetags.UPCOMING: ["/api/festivals/upcoming*"],
    cachetags.BANDS: ["/api/bands", "/api/bands?*", "/api/bands/reviewed*", "/api/bands/unreviewed*"],
    cachetags.GENRES: ["/api/genres", "/api/genres?*"],
    cachetags.ROLES: ["/api/roles", "/api/roles?*"],
}
_FAMILY = {"festival": "festivals", "band": "bands", "genre": "genres", "role": "roles"}
_SUBRESOURCE = {"festival": "editions", "band": "festivals", "genre": "bands", "role": "members"}
MAX_WILDCARDS = 15


def tag_item(tag: str) -> str:
    return "#" + tag


def paths_for_tag(tag: str) -> list[str]:
    """Every answer that carries `tag`, as CloudFront paths (the fallback without cache tags)."""
    if tag in _COLLECTION_PATHS:
        return list(_COLLECTION_PATHS[tag])
    kind, _, key = tag.partition(":")
    base = f"/api/{_FAMILY[kind]}/{key}"
    return [base, base + "?*", base + "/*"]


def new_record_paths(created_keys) -> list[str]:
    """Exact detail URLs of records (and editions) that were not public before: cached 404s carry no tags."""
    paths = []
    for pk, sk in created_keys:
        prefix, _, rest = pk.partition("#")
        kind = prefix.lower()
        if sk == schema.METADATA and kind in _FAMILY and "#" not in rest:
            base = f"/api/{_FAMILY[kind]}/{rest}"
            paths += [base, f"{base}/{_SUBRESOURCE[kind]}"]
        elif sk.startswith(schema.EDITION_PREFIX) and pk.endswith("#EDITIONS"):
            paths.append(f"/api/festivals/{rest.removesuffix('#EDITIONS')}/editions/{int(sk.split('#')[1])}")
    return paths


def _collapse_wildcards(paths: list[str]) -> list[str]:
    wildcards = [p for p in paths if p.endswith("*")]
    if len(wildcards) <= MAX_WILDCARDS:
        return paths
    families = sorted({"/".join(p.split("/")[:3]) for p in wildcards})  # /api/bands
    return sorted({p for p in paths if not p.endswith("*")}) + [f + "*" for f in families]


def items_for_changes(changed_keys, created_keys=()) -> list[str]:
    """Invalidation items for items written or deleted (`changed_keys`), some of them new (`created_keys`)."""
    tags = cachetags.for_items(list(changed_keys))
    if conf.get("CLOUDFRONT_CACHE_TAGS"):
        return sorted(tag_item(t) for t in tags) + sorted(set(new_record_paths(created_keys)))
    paths = {p for tag in tags for p in paths_for_tag(tag)} | set(new_record_paths(created_keys))
    return _collapse_wildcards(sorted(paths))
