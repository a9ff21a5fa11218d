"""The change feed's item family: where change entries live, how they sort, what they say (pure, no I/O).

Publishing appends one entry per public *document* that a publish changed: the detail
answers a fan's offline copy holds (`/api/festivals/{key}`, `/api/bands/{key}`,
`/api/genres/{key}`, `/api/roles/{key}`). Entries live in one partition, `CHANGES`, sorted
by their position:

  SK = <ms>#<token>#<shard>#<n>    ms: 13 digits, epoch milliseconds when the transaction was sent
                                   token: 12 digits, the publishing lease's fence token
                                   shard: 2 digits, the writer stream; n: 9 digits, a per-process counter

An entry is written in the same fenced transaction as the document it reports, so it exists
exactly when the document changed (a retried task that finds nothing to write appends nothing,
and a write refused as stale takes its entry with it). Its position is stamped when that
transaction is sent, and stamped again at every retry.

Why the feed lags a settle window instead of trusting the order of positions: a republish
writes through parallel streams, a transaction may be retried, and a Query may see part of a
transaction; so an entry with an earlier position can commit after one with a later position.
No publishing transaction stays in flight longer than the writer's timeouts (under a minute), so
a read that serves only positions older than `now − settle` (`CHANGES_SETTLE_SECONDS`, default 60) sees
every entry it will ever see there: a client's cursor never moves past an entry still to commit.

A cursor's position is the last entry served, or (when a page reached the settle horizon) the
horizon itself, `<ms>`: it keeps moving forward on an idle feed, so a client polling daily never
holds a position older than its last poll. Entries expire (DynamoDB TTL on `expires`)
`TTL_DAYS` after their position, later than the `RETENTION_DAYS` a cursor is promised to stay
valid; an older cursor is answered 410 (re-crawl).
"""

import datetime as dt
import json
import re
import time

from . import schema

CHANGES_PK = "CHANGES"
KIND = "change"
TTL_ATTRIBUTE = "expires"
RETENTION_DAYS = 30  # a cursor stays valid this long
TTL_DAYS = 35  # entries are kept this long (DynamoDB deletes expired items within days, never earlier)
DAY_MS = 86_400_000

UPSERT, DELETE, MOVE = "upsert", "delete", "move"
# A position: a horizon (<ms>) or an entry's sort key.
POSITION_RE = re.compile(r"[0-9]{13}(?:#[0-9]{12}#[0-9]{2}#[0-9]{9})?")
_DOCUMENTS = {"FESTIVAL": "festival", "BAND": "band", "GENRE": "genre", "ROLE": "role"}
_PATHS = {"festival": "festivals", "band": "bands", "genre": "genres", "role": "roles"}


def now_ms() -> int:
    """The clock positions are stamped and horizons taken with (tests may replace it)."""
    return int(time.time() * 1000)


def position_sk(ms: int, token: int, shard: int, n: int) -> str:
    return f"{int(ms):013d}#{int(token):012d}#{int(shard):02d}#{int(n):09d}"


def horizon(ms: int) -> str:
    """The position just before every entry stamped at `ms` or later."""
    return f"{int(ms):013d}"


def position_ms(position: str) -> int:
    return int(position[:13])


def document_of(pk: str, sk: str) -> tuple[str, str] | None:
    """(type, key) when the item (pk, sk) is a public document the feed reports, else None."""
    if sk != schema.METADATA:
        return None
    prefix, _, key = pk.partition("#")
    if prefix not in _DOCUMENTS or not key or "#" in key:
        return None
    return _DOCUMENTS[prefix], key


def path_of(kind: str, key: str) -> str:
    return f"/api/{_PATHS[kind]}/{key}"


def entry_tail(kind: str, key: str, *, item_kind: str | None, body: str | None, moved_to: str | None = None) -> str:
    """The entry's JSON after its time, as text: the document item's new state (`item_kind`/`body`, None
    when deleted). A festival alias is a move; a deletion with `moved_to` (a renamed key) is one too."""
    head = f'"type":{json.dumps(kind)},"key":{json.dumps(key)},"path":{json.dumps(path_of(kind, key))}'
    if item_kind == schema.Kind.FESTIVAL_ALIAS:
        moved_to = json.loads(body)["festivalKey"]
    elif item_kind is not None:
        return f'"action":"{UPSERT}",{head},"document":{body}}}'
    if moved_to:
        return f'"action":"{MOVE}",{head},"to":{json.dumps(moved_to)},"location":{json.dumps(path_of(kind, moved_to))}}}'
    return f'"action":"{DELETE}",{head}}}'


def entry_body(ms: int, tail: str) -> str:
    at = dt.datetime.fromtimestamp(ms / 1000, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    return f'{{"at":"{at}",{tail}'


def entry_attributes(*, ms: int, token: int, shard: int, n: int, tail: str) -> dict:
    """The DynamoDB attribute map of one entry (low-level format, as the writer sends it)."""
    body = entry_body(ms, tail)
    return {
        "PK": {"S": CHANGES_PK},
        "SK": {"S": position_sk(ms, token, shard, n)},
        "kind": {"S": KIND},
        "body": {"S": body},
        "rev": {"N": str(int(token))},
        "content_hash": {"S": ""},
        TTL_ATTRIBUTE: {"N": str(ms // 1000 + TTL_DAYS * 86_400)},
    }
