"""ChangesFunction: /api/changes, the change feed that keeps a fan's offline copy in step with the API.

A client takes a cursor (`GET /api/changes`: nothing to read, a cursor for now), crawls the
documents (festival, band, genre and role details), then asks `?since=<cursor>` from then on
and applies each entry in order: `upsert` stores `document` at `path`, `delete` removes
`path`, `move` removes `path` (the new key comes as its own `upsert`). Entries carry the
document itself, so a page is the whole sync (no second fetch, which a CDN copy not yet
invalidated could answer with the old version). Each page is one strongly consistent Query
of the `CHANGES` partition (see read_api.feed for positions, the settle window and retention).

Caching: a full page (`more: true`) never changes (it lies wholly before the settle horizon) and
is cached for a day without tags; the last page, which new entries extend, is cached for
`LATEST_TTL` seconds and tagged `changes`, which every publish that appends invalidates.
"""

from .. import cachetags, config, feed, paging, queries
from ..http import Answer, ApiError, Router, dumps, int_param, invalid

router = Router("changes")
LIMIT_DEFAULT, LIMIT_MAX = 100, 500
LATEST_TTL = 30
FULL_PAGE_TTL = 86_400
MAC_PARTITION = "changes"


def _cursor(position: str) -> str:
    return paging.encode(paging.Cursor(position, 0, None), MAC_PARTITION)


def _since(raw: str) -> str:
    try:
        cursor = paging.decode(raw.strip(), MAC_PARTITION, "", key_re=feed.POSITION_RE)
    except ApiError:
        raise invalid("since", "'since' is not a cursor of the change feed; use the nextCursor of a previous "
                               "answer, or GET /api/changes for a new one") from None
    if cursor.after is None:
        raise invalid("since", "'since' is not a cursor of the change feed")
    return cursor.after


def _page(changes: list[str], next_cursor: str, more: bool) -> str:
    return f'{{"changes":[{",".join(changes)}],"nextCursor":{dumps(next_cursor)},"more":{dumps(more)}}}'


@router.route("/api/changes", ttl=LATEST_TTL, params=("since", "limit"))
def changes(request):
    limit = int_param(request, "limit", LIMIT_DEFAULT, 1, LIMIT_MAX)
    now = feed.now_ms()
    horizon = feed.horizon(now - config.settings.changes_settle_seconds * 1000)
    if "since" not in request.query:  # where the feed is now: take it before a crawl, then follow it
        return Answer(_page([], _cursor(horizon), False), tags=[cachetags.CHANGES], items=0)
    after = _since(request.query["since"])
    if feed.position_ms(after) < now - feed.RETENTION_DAYS * feed.DAY_MS:
        raise ApiError(410, "CURSOR_EXPIRED", f"This cursor is older than the change feed's {feed.RETENTION_DAYS} "
                       "days: crawl the API again, taking a new cursor from GET /api/changes first",
                       {"retentionDays": feed.RETENTION_DAYS, "restart": "/api/changes"})
    if after >= horizon:  # nothing can be served yet: the same position, read nothing
        return Answer(_page([], _cursor(after), False), tags=[cachetags.CHANGES], items=0)
    page = queries.change_page(limit, after, horizon)
    rows = [item["body"]["S"] for item in page.items]
    if page.last_key is not None:  # a full page (limit or 1 MB): the next one starts after its last entry
        return Answer(_page(rows, _cursor(page.items[-1]["SK"]["S"]), True), items=len(rows), ttl=FULL_PAGE_TTL)
    # The Query reached the horizon: everything before it is served, so the cursor moves up to it.
    return Answer(_page(rows, _cursor(horizon), False), tags=[cachetags.CHANGES], items=len(rows))


lambda_handler = router.handle
