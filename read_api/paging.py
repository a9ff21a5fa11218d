"""Paging of list answers: `limit`/`offset`, and an opaque `cursor` whose cost does not grow with position.

A cursor names the last row served (its sort key), how many rows still to skip (only
when a 1 MB Query page ended before the requested offset) and the collection's count
read on the first page; it is bound to its list (a hash of the partition), so it cannot
be replayed against another one. Page N through a cursor is one Query that starts right
after that row: the same capacity as page 1.
"""

import base64
import binascii
import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass

from . import queries
from .http import Request, int_param, invalid
from .schema import SUMMARY

MAX_OFFSET = 10_000  # offsets read every skipped row; beyond this, page with the cursor
MAX_CURSOR_LENGTH = 2048
# Every row sort key is ASCII: PREFIX#<slug>[#<digits>]; anything else never came from us.
SORT_KEY_RE = re.compile(r"[A-Z]+#[a-z0-9-]{1,100}(?:#[0-9]{1,4})?")


@dataclass(frozen=True)
class Cursor:
    after: str | None
    skip: int
    count: int | None


@dataclass(frozen=True)
class Paging:
    limit: int
    offset: int
    cursor: Cursor | None


def _scope(partition: str) -> str:
    return hashlib.blake2b(partition.encode(), digest_size=4).hexdigest()


def encode(cursor: Cursor, partition: str) -> str:
    data = {"s": _scope(partition), "a": cursor.after, "k": cursor.skip, "c": cursor.count}
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(text: str, partition: str, row_prefix: str) -> Cursor:
    bad = invalid("cursor", "'cursor' is not a cursor of this list; use the nextCursor of a previous page")
    if len(text) > MAX_CURSOR_LENGTH:
        raise bad
    try:
        data = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise bad from None
    if not isinstance(data, dict) or data.get("s") != _scope(partition):
        raise bad
    after, skip, count = data.get("a"), data.get("k"), data.get("c")
    if after is not None and not (isinstance(after, str) and after.startswith(row_prefix)
                                  and SORT_KEY_RE.fullmatch(after)):
        raise bad
    if type(skip) is not int or not 0 <= skip <= MAX_OFFSET:
        raise bad
    if count is not None and (type(count) is not int or count < 0):
        raise bad
    return Cursor(after, skip, count)


def parse(request: Request, *, default: int, maximum: int, partition: str, row_prefix: str) -> Paging:
    limit = int_param(request, "limit", default, 1, maximum)
    offset = int_param(request, "offset", 0, 0, MAX_OFFSET)
    raw = request.query.get("cursor")
    if raw is None:
        return Paging(limit, offset, None)
    if "offset" in request.query:
        raise invalid("cursor", "give either 'cursor' or 'offset', not both")
    return Paging(limit, 0, decode(raw, partition, row_prefix))


@dataclass
class Listing:
    rows: list[str]
    count: int
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
        if served:
            following = Cursor(served[-1]["SK"]["S"], 0, count)
        elif rows:
            following = Cursor(rows[-1]["SK"]["S"], skip - len(rows), count)
    if count is None:  # no summary item (yet): the rows seen are all we know
        count = skip + len(served) if following is None else skip + len(rows)
    return Listing(
        rows=[item["body"]["S"] for item in served],
        count=count,
        next_cursor=encode(following, partition) if following else None,
        head=head,
    )


def _table_start_key(partition: str) -> Callable[[str], dict]:
    return lambda after: {"PK": {"S": partition}, "SK": {"S": after}}


def gsi3_start_key(index_partition: str, table_partition: str) -> Callable[[str], dict]:
    return lambda after: {"PK": {"S": table_partition}, "SK": {"S": after},
                          "GSI3PK": {"S": index_partition}, "GSI3SK": {"S": after}}


def window(rows: list[str], paging: Paging, partition: str) -> tuple[list[str], str | None]:
    """Slice an in-memory list (upcoming): the cursor carries the next offset."""
    start = paging.cursor.skip if paging.cursor else paging.offset
    served = rows[start:start + paging.limit]
    end = start + len(served)
    following = encode(Cursor(None, end, len(rows)), partition) if end < len(rows) else None
    return served, following
