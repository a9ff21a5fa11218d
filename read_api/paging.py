"""Paging of list answers: `limit`/`offset`, and an opaque, signed `cursor` whose cost does not grow with position.

A cursor names the last row served (its sort key), how many rows still to skip (only
when a 1 MB Query page ended before the requested offset) and the collection's count
read on the first page. It is signed: an HMAC-SHA256 (truncated to 128 bits) over the
list's partition and the cursor's contents, with the first of `CURSOR_SIGNING_KEYS`;
any listed key verifies, so a rotation that keeps the previous key listed for one cache
TTL breaks no live cursor. A cursor that was edited, forged, unsigned or made for another
list is a 400 before anything is read. Page N through a cursor is one Query that starts
right after that row: the same capacity as page 1.

`offset` reads every row it skips, so it stops at `MAX_OFFSET` (one largest page deep);
deeper pages come through the cursor. Every answer is one Query page, and DynamoDB ends a
page at 1 MB of items: a page that ends before `limit` rows answers the rows it has with a
`nextCursor` right after the last of them, and an `offset` whose rows lie past that 1 MB is a
400 that points at the cursor, never an empty page. Lists whose specification returns them
whole (genres, roles) take `default=None`: no `limit`, every row of one Query page (a list
past 1 MB, thousands of rows, continues through its `nextCursor`).

/api/festivals/upcoming walks GSI1 the same way: its cursor names the last row's GSI1SK. The
filtered lists (country, dates, map box) walk their index alike; their cursors are signed for
the list and its filters together, so a cursor never carries over to other filters. A walk
answers `count` only when it is exact (see `walk`): a country's list from its count item,
read on page 1 and carried by the cursor like every list's; /upcoming and the editions from a
day on (`from` without `to` or a box, with or without a country) likewise from the count item
of the month their page 1 starts reading in (read_api.schema, "Upcoming counts"); a window
with an end or a map box from the page whose Query reached the end of the list on, and never
a number it does not know.
"""

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from . import config, queries
from .http import Request, int_param, invalid
from .schema import SUMMARY

MAX_OFFSET = 500  # offsets read every skipped row: at most one largest page (limit 500) deep; beyond, the cursor
MAX_CURSOR_LENGTH = 2048
MAC_BYTES = 16
MAX_WHOLE_PAGES = 1  # a whole list (genres, roles) is one 1 MB Query page: one DynamoDB request per GET
# Every row sort key is ASCII: PREFIX#<slug>[#<digits>]; anything else never came from us.
SORT_KEY_RE = re.compile(r"[A-Z]+#[a-z0-9-]{1,100}(?:#[0-9]{1,4})?")
# An upcoming row's GSI1SK (and GSI2SK in a country's editions): <sortdate>#<key>#<yyyy>; or an
# upcoming count item's, <yyyy-mm> (a filtered page may end on one).
UPCOMING_KEY_RE = re.compile(r"[0-9]{4}-[0-9]{2}(?:-[0-9]{2}#[a-z0-9-]{1,100}#[0-9]{4})?")
# A festival row's GSI4SK (the map filter): <lat + 90, 000.00000>#<key>.
GEO_KEY_RE = re.compile(r"[0-9]{3}\.[0-9]{5}#[a-z0-9-]{1,100}")
_B64_RE = re.compile(r"[A-Za-z0-9_-]+")


@dataclass(frozen=True)
class Cursor:
    after: str | None
    skip: int
    count: int | None
    position: int | None = None  # walks only: rows served before `after`
    total: int | None = None  # walks only: the exact count read on page 1 (None: not known)


@dataclass(frozen=True)
class Paging:
    limit: int | None  # None: the whole list (from the offset or cursor on)
    offset: int
    cursor: Cursor | None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not _B64_RE.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, partition: str, payload: bytes) -> bytes:
    return hmac.new(key, partition.encode() + b"\0" + payload, hashlib.sha256).digest()[:MAC_BYTES]


def encode(cursor: Cursor, partition: str, *, keys: tuple[bytes, ...] | None = None) -> str:
    """`<payload>.<mac>`, both base64url: the payload is compact JSON, the MAC binds it to `partition`."""
    key = (keys or config.settings.cursor_keys)[0]
    fields = {"a": cursor.after, "k": cursor.skip, "c": cursor.count}
    if cursor.position is not None:
        fields["p"] = cursor.position
    if cursor.total is not None:
        fields["t"] = cursor.total
    payload = json.dumps(fields, separators=(",", ":"), ensure_ascii=True).encode()
    return f"{_b64(payload)}.{_b64(_mac(key, partition, payload))}"


def decode(text: str, partition: str, row_prefix: str, *, keys: tuple[bytes, ...] | None = None,
           key_re: re.Pattern = SORT_KEY_RE) -> Cursor:
    """The cursor in `text` if one of `keys` signed it for `partition`; else a 400 (nothing is parsed before the MAC)."""
    bad = invalid("cursor", "'cursor' is not a cursor of this list; use the nextCursor of a previous page")
    if len(text) > MAX_CURSOR_LENGTH:
        raise bad
    payload_text, dot, mac_text = text.partition(".")
    try:
        payload, mac = _unb64(payload_text), _unb64(mac_text)
    except (ValueError, binascii.Error):
        raise bad from None
    if not dot or len(mac) != MAC_BYTES:
        raise bad
    if not any(hmac.compare_digest(mac, _mac(key, partition, payload)) for key in keys or config.settings.cursor_keys):
        raise bad
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError):
        raise bad from None
    if not isinstance(data, dict):
        raise bad
    after, skip, count, position, total = data.get("a"), data.get("k"), data.get("c"), data.get("p"), data.get("t")
    if after is not None and not (isinstance(after, str) and after.startswith(row_prefix)
                                  and key_re.fullmatch(after)):
        raise bad
    if type(skip) is not int or skip < 0:
        raise bad
    if count is not None and (type(count) is not int or count < 0):
        raise bad
    if position is not None and (type(position) is not int or position < 0):
        raise bad
    if total is not None and (type(total) is not int or total < 0):
        raise bad
    return Cursor(after, skip, count, position, total)


def parse(request: Request, *, default: int | None, maximum: int, partition: str, row_prefix: str,
          key_re: re.Pattern = SORT_KEY_RE) -> Paging:
    """`limit` (`default` when absent; None: the whole list), `offset` (0..MAX_OFFSET) or a signed `cursor`."""
    limit = int_param(request, "limit", default, 1, maximum)
    if "offset" in request.query and (raw := request.query["offset"].strip()).isascii() and raw.isdigit() \
            and len(raw) <= 9 and int(raw) > MAX_OFFSET:
        raise invalid("offset", f"'offset' must be an integer from 0 to {MAX_OFFSET}; for deeper pages follow "
                                "the nextCursor of the previous page (the same cost at any depth)",
                      minimum=0, maximum=MAX_OFFSET, use="cursor")
    offset = int_param(request, "offset", 0, 0, MAX_OFFSET)
    raw = request.query.get("cursor")
    if raw is None:
        return Paging(limit, offset, None)
    if "offset" in request.query:
        raise invalid("cursor", "give either 'cursor' or 'offset', not both")
    return Paging(limit, 0, decode(raw, partition, row_prefix, key_re=key_re))


@dataclass
class Listing:
    rows: list[str]
    count: int | None  # None (walks only): not known exactly on this page, left out of the answer
    next_cursor: str | None
    head: dict | None  # the first item when it is not a row (a summary, or an alias)


def read(partition: str, paging: Paging, *, row_prefix: str, index: str | None = None,
         start_key: Callable[[str], dict] | None = None) -> Listing:
    """One Query page of a collection partition whose `#SUMMARY` item sorts before its rows."""
    cursor = paging.cursor
    if cursor is not None:
        skip, count, first_page = cursor.skip, cursor.count, False
        start = (start_key or _table_start_key(partition))(cursor.after) if cursor.after else None
    else:
        skip, count, first_page, start = paging.offset, None, True, None
    if paging.limit is None:
        return _read_whole(partition, skip, count, first_page, start, row_prefix=row_prefix, index=index)
    want = (1 if first_page else 0) + skip + paging.limit + 1  # +1: tells whether more rows remain
    page = queries.query(partition, limit=want, start_after=start, index=index)
    head = None
    rows: list[dict] = []
    for item in page.items:
        sk = item["SK"]["S"]
        if sk.startswith(row_prefix):
            rows.append(item)
        elif first_page and head is None and not rows:
            head = item
    if head is not None and head["SK"]["S"] == SUMMARY:
        count = queries.number(head, "count")
    served = rows[skip:skip + paging.limit]
    following = None
    if len(rows) > skip + paging.limit:
        following = Cursor(served[-1]["SK"]["S"], 0, count)
    elif page.last_key is not None and len(page.items) < want:  # the 1 MB page ended first
        if not served:
            raise _beyond_page(skip, cursor is not None)
        following = Cursor(served[-1]["SK"]["S"], 0, count)
    if count is None:  # no summary item (yet): the rows seen are all we know
        count = skip + len(served) if following is None else skip + len(rows)
    return Listing(
        rows=[item["body"]["S"] for item in served],
        count=count,
        next_cursor=encode(following, partition) if following else None,
        head=head,
    )


def _beyond_page(skip: int, from_cursor: bool) -> Exception:
    """The rows an offset asks for lie past the 1 MB one Query page reads: a 400 that points at the cursor."""
    if from_cursor:  # only a cursor signed before cursors stopped carrying a skip
        return invalid("cursor", "this cursor is no longer served; start again from the first page")
    return invalid("offset", f"the rows before 'offset' {skip} fill more than one DynamoDB read (1 MB) in this "
                             "list; page with the nextCursor of each previous page instead (the same cost at any "
                             "depth)", use="cursor")


def _read_whole(partition: str, skip: int, count: int | None, first_page: bool, start: dict | None, *,
                row_prefix: str, index: str | None) -> Listing:
    """Every row from `start` on: one Query page for any list of ordinary size (under 1 MB).

    A list larger than `MAX_WHOLE_PAGES` Query pages is cut there with a `nextCursor`, so one
    request stays bounded whatever the table holds.
    """
    head = None
    rows: list[dict] = []
    following = None
    for _ in range(MAX_WHOLE_PAGES):
        page = queries.query(partition, start_after=start, index=index)
        for item in page.items:
            if item["SK"]["S"].startswith(row_prefix):
                rows.append(item)
            elif first_page and head is None and not rows:
                head = item
        if page.last_key is None:
            break
        start = page.last_key
    else:
        if len(rows) <= skip:
            raise _beyond_page(skip, not first_page)
        following = Cursor(rows[-1]["SK"]["S"], 0, None)
    if head is not None and head["SK"]["S"] == SUMMARY:
        count = queries.number(head, "count")
    served = rows[skip:]
    if count is None:  # no summary item (yet): the rows seen are all we know
        count = len(rows) if first_page else skip + len(served)
    if following is not None:
        following = Cursor(following.after, following.skip, count)
    return Listing(rows=[item["body"]["S"] for item in served], count=count,
                   next_cursor=encode(following, partition) if following else None, head=head)


def _table_start_key(partition: str) -> Callable[[str], dict]:
    return lambda after: {"PK": {"S": partition}, "SK": {"S": after}}


def gsi3_start_key(index_partition: str, table_partition: str) -> Callable[[str], dict]:
    return lambda after: {"PK": {"S": table_partition}, "SK": {"S": after},
                          "GSI3PK": {"S": index_partition}, "GSI3SK": {"S": after}}


def upcoming(paging: Paging, partition: str) -> Listing:
    """One page of /api/festivals/upcoming: one Query of GSI1 from the cursor's row (or the window's start),
    page 1 headed by today's count item."""
    today = queries.today()
    return walk(paging, partition, lambda rows, after: queries.upcoming_page(rows, after, count=True), "GSI1SK",
                counter=lambda item: queries.upcoming_count(item, today))


def walk(paging: Paging, partition: str, fetch: Callable[[int, str | None], queries.Page], position: str, *,
         summary: bool = False, counter: Callable[[dict], int | None] | None = None) -> Listing:
    """One page of an index walk (upcoming, date, country and map filters): one Query from the cursor's row on.

    `fetch(rows, after)` sends that one Query; `position` names the index sort key attribute
    each row returns, which a cursor resumes after. With `summary`, the partition's first item
    may be its count (index sort key `#SUMMARY`, as a country's festival or band rows have):
    page 1 reads it and the cursor carries it (`total`), so every page of the walk answers the
    exact count. With `counter` (the edition lists from a day on), page 1 may be headed by an
    upcoming count item instead (sort key a month, YYYY-MM, which `fetch` asks for on page 1:
    `after` None), whose number for the list's first day `counter(item)` reads; carried alike.
    Otherwise the count is known only from the page whose Query reached the end of
    the list (the last page of a walk always does; page 1 of a short list too): the rows
    served before the cursor (`position`) plus every row it returned, carried on from there;
    on a page before it `count` is None (left out), never a lower bound dressed as a count.
    A filtered read can evaluate a whole Limit of rows and keep none: its cursor then resumes
    after the last row evaluated (a short or empty page with `nextCursor`, as DynamoDB pages a
    filter). With `counter`, a page that has served the count and seen no row past it is the
    last: the month count items after the last row, not rows, ended its Query (no `nextCursor`
    to an empty page).
    """
    cursor = paging.cursor
    skip = paging.offset if cursor is None else cursor.skip
    before = 0 if cursor is None else (cursor.position or 0)
    count = None if cursor is None else cursor.total
    limit = paging.limit if paging.limit is not None else 0
    head = (summary or counter is not None) and cursor is None
    page = fetch(skip + limit + 1 + head, cursor.after if cursor else None)
    rows = page.items
    if counter is not None:
        if head and rows and queries.is_upcoming_count(rows[0], position):
            count = counter(rows[0])
        rows = [item for item in rows if not queries.is_upcoming_count(item, position)]
    elif head and rows and rows[0][position]["S"] == SUMMARY:
        count, rows = queries.number(rows[0], "count"), rows[1:]
    if count is None and page.last_key is None:  # this Query reached the end of the list
        count = before + len(rows)
    total = count  # carried by the cursor: exact on every later page too
    served = rows[skip:skip + limit]
    following = None
    if len(rows) > skip + limit or (page.last_key is not None and served):
        following = Cursor(served[-1][position]["S"], 0, None, before + skip + len(served), total)
    elif page.last_key is not None:
        if skip and rows:
            raise _beyond_page(skip, cursor is not None)
        # every row this page evaluated was filtered out: resume after them
        following = Cursor(page.last_key[position]["S"], 0, None, before + skip, total)
    if counter is not None and following is not None and len(rows) <= skip + limit and total is not None \
            and before + skip + len(served) >= total:
        following = None  # the count items after the last row ended the page: the count says no row is left
    return Listing(rows=[item["body"]["S"] for item in served], count=count,
                   next_cursor=encode(following, partition) if following else None, head=None)
