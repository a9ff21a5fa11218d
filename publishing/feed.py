"""The change feed's writing side: an entry beside every document write, stamped as its transaction is sent.

`with_entries` follows each put or delete of a public document (see `read_api.feed`) with a
pending entry operation; the writer keeps the two in one transaction (`transaction_chunks`),
drops the entry when the document's write is refused as stale, and `stamp`s its position just
before each attempt to send. Renames are moves: a festival's old key becomes an alias item (a
move by itself); for the other kinds the publish names them (`moves_for_task`), since the
deletion of an old key alone cannot tell a rename from an unpublish.
"""

import itertools
import threading
from dataclasses import dataclass

from read_api import feed

CHANGE = "change"  # the action of an entry operation (beside "put" and "delete")
_counter = itertools.count(1)
_lock = threading.Lock()
_last_ms = [0]


@dataclass(frozen=True)
class PendingEntry:
    """An entry whose position is given when its transaction is sent."""

    tail: str

    def operation(self, table: str, *, token: int, shard: int) -> dict:
        with _lock:  # positions never go back in one process, whatever the clock does
            ms = _last_ms[0] = max(_last_ms[0], feed.now_ms())
            n = next(_counter) % 1_000_000_000
        return {"Put": {"TableName": table,
                        "Item": feed.entry_attributes(ms=ms, token=token, shard=shard, n=n, tail=self.tail)}}


def with_entries(operations: list, *, moves: dict | None = None) -> list:
    """`operations` with an entry operation right after each document's put or delete.

    `moves` maps (type, old key) to the new key of a record renamed by this publish: its old
    key's deletion is reported as a move."""
    result = []
    for operation in operations:
        result.append(operation)
        action, key = operation[0], operation[1]
        document = feed.document_of(*key)
        if document is None or action not in ("put", "delete"):
            continue
        kind, record_key = document
        item = operation[2]["Put"]["Item"] if action == "put" else None
        tail = feed.entry_tail(kind, record_key, item_kind=item["kind"]["S"] if item else None,
                               body=item["body"]["S"] if item else None,
                               moved_to=(moves or {}).get((kind, record_key)))
        result.append((CHANGE, key, PendingEntry(tail), len(tail.encode()) + 200))  # + keys, time, expiry
    return result


def stamp(operation, table: str, *, token: int, shard: int) -> dict:
    """The TransactItems element of `operation`, an entry's with its position given now."""
    action, _, request, _ = operation
    return request.operation(table, token=token, shard=shard) if action == CHANGE else request


def moves_for_task(task) -> dict:
    """{(type, old key): new key} when `task` renamed a band, genre or role's key (festivals leave an alias)."""
    kind, old, new = getattr(task, "kind", ""), getattr(task, "previous_key", ""), getattr(task, "record_key", "")
    if kind in ("band", "genre", "role") and old and new and old != new:
        return {(kind, old): new}
    return {}
