"""The writer: puts and deletes items in the single table, only where the content changed.

Every write is fenced: it goes out in a TransactWriteItems whose first action checks a fence
item (`#FENCE`) holding the drain lease's token. A lease holder raises the fence to its token
before its first write (`ensure_fence`), so once a newer holder has raised it, no transaction
of an older one can commit — whatever it had in flight, however late it arrives. Two ways to write:
- `write_conditional` (incremental publishes): each write is also conditioned on
  `attribute_not_exists(PK) OR rev <= :rev`; writes refused by that are dropped as stale
  and the rest retried;
- `write_fenced` (republish and the bulk drain, one call per writer stream): the same
  transactions without per-item conditions, up to 99 writes and 3.5 MB each.
Both skip items whose `content_hash` equals what is stored. An item above DynamoDB's 400 KB
limit is never sent: the caller measures each (`item_size`) and reports its record.
Both append the change feed's entry of each public document written or deleted, in the same
transaction (`publishing.feed`); the feed's partition is not a public item (`scan`, `dump`).
"""

import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache, lru_cache

from django.conf import settings

from read_api.feed import CHANGES_PK
from read_api.schema import parse_refs

from . import conf, feed

BATCH_WRITE_MAX = 25
TRANSACT_MAX = 100
TRANSACT_MAX_BYTES = 3_500_000  # DynamoDB allows 4 MB per transaction; keep a margin for our estimate
ITEM_MAX_BYTES = 400 * 1024
FENCE_PK = "#FENCE"
_NOT_PUBLIC = frozenset({FENCE_PK, CHANGES_PK})  # publishing's own partitions: the fence, the change feed
FENCE_SHARDS = 4  # one per writer stream: parallel transactions never contend for one fence item
BATCH_GET_MAX = 100
READ_CONCURRENCY = 6
_PROJECTION = {"ProjectionExpression": "PK, SK, content_hash, #rev, GSI3PK, GSI2PK, #count, #refs",
               "ExpressionAttributeNames": {"#rev": "rev", "#count": "count", "#refs": "refs"}}
_REV_CONDITION = "attribute_not_exists(PK) OR #rev <= :rev"


class WriteFailed(RuntimeError):
    """DynamoDB kept refusing part of a write (throttled or unprocessed after every retry)."""


class Fenced(RuntimeError):
    """A newer lease holder has taken over the table (or this worker lost its lease): nothing more is written."""


class FenceAhead(Fenced):
    """The table's fence is above this lease's token (a newer holder raised it, or the database was restored)."""

    def __init__(self, token: int, stored: int):
        self.token, self.stored = token, stored
        super().__init__(f"the table's fence token is {stored}, above this lease's token {token}: a newer worker "
                         "holds the publishing lease (after restoring the database, run `manage.py republish`)")


def item_size(attrs: dict) -> int:
    """DynamoDB's size of a serialised item: attribute names plus values (UTF-8 bytes, a little over for numbers)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in attrs.items())


def _value_size(value: dict) -> int:
    (kind, inner), = value.items()
    if kind == "S":
        return len(inner.encode())
    if kind in ("N", "B"):
        return len(inner) + 1
    if kind == "M":
        return 3 + item_size(inner)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in inner)
    if kind in ("SS", "NS", "BS"):
        return sum(len(str(v).encode()) + 1 for v in inner)
    return 1  # BOOL, NULL


def _fence_key(shard: int) -> dict:
    return {"PK": {"S": FENCE_PK}, "SK": {"S": f"SHARD#{shard}"}}


# (endpoint, table, token) whose fence this process has raised: once per lease, not per write.
_raised_fences: set = set()


@lru_cache(maxsize=8)
def _client(endpoint: str | None, region: str):
    import boto3
    from botocore.config import Config

    # Items are built by our own code: botocore's parameter validation would only cost CPU per batch.
    # A connection each for the parallel scan's segments and the write streams (botocore keeps 10).
    pool = max(10, conf.get("PUBLISH_SCAN_SEGMENTS") + conf.get("PUBLISH_WRITE_STREAMS") + 2)
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=10,
                    parameter_validation=False, max_pool_connections=pool)
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name=region, config=config)


def dynamodb_client():
    # The environment wins over settings read at start-up: tests and tools point it at DynamoDB Local.
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or settings.AWS_ENDPOINT_URL_DYNAMODB or None
    region = os.environ.get("AWS_REGION") or settings.AWS_REGION
    return _client(endpoint, region)


def table_name() -> str:
    return os.environ.get("DYNAMODB_TABLE_NAME") or conf.table_name()


Key = tuple[str, str]


class Prefix(str):
    """A sort key prefix: (PK, Prefix(p)) names the items of PK whose SK starts with p."""


@dataclass(frozen=True)
class Stored:
    content_hash: str
    rev: int
    listing: str | None = None  # a band row's GSI3PK: the reviewed or unreviewed list it shows in
    count: int | None = None  # a summary's count: an incremental publish counts from it
    country: str | None = None  # a band row's GSI2PK (BANDS#COUNTRY#<CC>): the country count it is in
    refs: tuple = ()  # a search manifest's rows: keys its record owns outside its own partitions


@dataclass
class Plan:
    puts: list = field(default_factory=list)  # PynamoDB items
    deletes: list[Key] = field(default_factory=list)
    unchanged: int = 0
    stale: list[Key] = field(default_factory=list)  # a newer rev is stored: not ours to change
    first: set[Key] = field(default_factory=set)  # written first, together (counts and the rows counted)
    moves: dict = field(default_factory=dict)  # (type, old key) → new key: renames, for the change feed


@dataclass
class WriteResult:
    written: list[Key] = field(default_factory=list)
    deleted: list[Key] = field(default_factory=list)
    stale: list[Key] = field(default_factory=list)
    entries: int = 0  # change feed entries appended


@cache
def _layout(cls) -> tuple[str, list]:
    from read_api import schema

    attributes = [(name, attr.attr_name, attr.attr_type, attr) for name, attr in cls.get_attributes().items()
                  if name != "kind"]
    return schema.Item.kind.get_discriminator(cls), attributes


def serialise(item) -> dict:
    """`item.serialize()`, read straight from the values it holds (PynamoDB's own walk costs a republish
    a good part of its CPU)."""
    kind, attributes = _layout(type(item))
    values = item.attribute_values
    attrs = {"kind": {"S": kind}}
    for name, attr_name, attr_type, attr in attributes:
        value = values.get(name)
        if value is not None:
            attrs[attr_name] = {"S": value} if attr_type == "S" else {attr_type: attr.serialize(value)}
    return attrs


def _key(attrs: dict) -> Key:
    return attrs["PK"]["S"], attrs["SK"]["S"]


def _stored(attrs: dict) -> Stored:
    count = attrs.get("count", {}).get("N")
    refs = tuple(parse_refs(attrs.get("refs", {}).get("S")))
    return Stored(attrs.get("content_hash", {}).get("S", ""), int(attrs.get("rev", {}).get("N", "0")),
                  attrs.get("GSI3PK", {}).get("S"), int(count) if count is not None else None,
                  attrs.get("GSI2PK", {}).get("S"), refs)


def _key_attrs(key: Key) -> dict:
    return {"PK": {"S": key[0]}, "SK": {"S": key[1]}}


def _pause(attempt: int) -> None:
    time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))


class Writer:
    def __init__(self, *, client=None, table: str | None = None):
        self.client = client or dynamodb_client()
        self.table = table or table_name()
        self.items_read = 0  # by `read` (the benchmarks report it)

    # --- reading what is stored -----------------------------------------------------------------
    def read(self, partitions, *, consistent: bool = False) -> dict[Key, Stored]:
        """Stored hash and rev of every item in these (PK, None) partitions, (PK, Prefix) ranges and
        (PK, SK) keys, and of the items the search manifests found there name (`Stored.refs`).
        `consistent`: strongly consistent reads (an incremental publish counts from them)."""
        found: dict[Key, Stored] = {}
        exact = sorted({(pk, sk) for pk, sk in partitions if sk is not None and not isinstance(sk, Prefix)})
        whole = sorted({pk for pk, sk in partitions if sk is None})
        ranges = sorted({(pk, sk) for pk, sk in partitions if isinstance(sk, Prefix) and pk not in whole})
        queries = [(pk, None) for pk in whole] + ranges
        # One Query per partition or range, a few at a time: a band edit reads some thirty of them.
        with ThreadPoolExecutor(max_workers=READ_CONCURRENCY) as pool:
            for part in pool.map(lambda q: self._query_partition(*q, consistent=consistent), queries):
                found.update(part)
        self.items_read += len(found)
        # A manifest's rows are read with the exact keys (the same BatchGetItem round).
        exact = sorted({*(k for k in exact if k[0] not in whole),
                        *(r for stored in found.values() for r in stored.refs if r not in found)})
        for start in range(0, len(exact), BATCH_GET_MAX):
            request = {self.table: {"Keys": [_key_attrs(k) for k in exact[start:start + BATCH_GET_MAX]], **_PROJECTION,
                                    **({"ConsistentRead": True} if consistent else {})}}
            for attempt in range(conf.get("PUBLISH_UNPROCESSED_RETRIES") + 1):
                answer = self.client.batch_get_item(RequestItems=request)
                got = answer["Responses"].get(self.table, [])
                self.items_read += len(got)
                found.update({_key(a): _stored(a) for a in got})
                request = answer.get("UnprocessedKeys") or {}
                if not request:
                    break
                _pause(attempt)
            else:
                raise WriteFailed("BatchGetItem left keys unprocessed after every retry")
        return found

    def _items(self, operation: str, **kwargs):
        """Every item a Query or Scan returns, page after page (botocore's paginator)."""
        for page in self.client.get_paginator(operation).paginate(TableName=self.table, **kwargs):
            yield from page["Items"]

    def _partition(self, pk: str, **kwargs):
        return self._items("query", KeyConditionExpression="PK = :pk",
                           ExpressionAttributeValues={":pk": {"S": pk}}, **kwargs)

    def _query_partition(self, pk: str, prefix: str | None = None, *, consistent: bool = False) -> dict[Key, Stored]:
        if prefix is None:
            items = self._partition(pk, ConsistentRead=consistent, **_PROJECTION)
        else:
            items = self._items("query", KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                                ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": str(prefix)}},
                                ConsistentRead=consistent, **_PROJECTION)
        return {_key(a): _stored(a) for a in items}

    def read_items(self, partitions) -> dict[Key, dict]:
        """Whole items (attribute values) in these partitions and keys (the admin preview shows their bodies)."""
        found: dict[Key, dict] = {}
        for pk in sorted({pk for pk, sk in partitions if sk is None}):
            found.update({_key(a): a for a in self._partition(pk)})
        for pk, prefix in sorted({(pk, sk) for pk, sk in partitions if isinstance(sk, Prefix)}):
            found.update({_key(a): a for a in self._items(
                "query", KeyConditionExpression="PK = :pk AND begins_with(SK, :prefix)",
                ExpressionAttributeValues={":pk": {"S": pk}, ":prefix": {"S": str(prefix)}})})
        exact = {(pk, sk) for pk, sk in partitions if sk is not None and not isinstance(sk, Prefix)}
        exact |= {r for attrs in found.values() for r in parse_refs(attrs.get("refs", {}).get("S"))}
        for pk, sk in sorted(exact - set(found)):
            answer = self.client.get_item(TableName=self.table, Key=_key_attrs((pk, sk)))
            if "Item" in answer:
                found[(pk, sk)] = answer["Item"]
        return found

    def scan(self) -> dict[Key, Stored]:
        """Hash and rev of every public item (the fence is publishing's own, not a public item)."""
        return {_key(a): _stored(a) for a in self._items("scan", **_PROJECTION) if a["PK"]["S"] not in _NOT_PUBLIC}

    def scan_pages(self, segments: int | None = None):
        """`scan`, a page at a time: lists of (key, Stored) (a full rebuild spills them to disk).

        The table is read as `segments` (`PUBLISH_SCAN_SEGMENTS`) parallel scan segments, a thread
        each, pages handed over as they arrive (in no particular order): a step of a rebuild scans
        the whole table before its first chunk, and one segment at a time reads one page at a time.
        """
        import queue
        import threading

        segments = segments or conf.get("PUBLISH_SCAN_SEGMENTS")

        def pages(segment: int):
            parallel = {"Segment": segment, "TotalSegments": segments} if segments > 1 else {}
            for page in self.client.get_paginator("scan").paginate(TableName=self.table, **_PROJECTION, **parallel):
                yield [(_key(a), _stored(a)) for a in page["Items"] if a["PK"]["S"] not in _NOT_PUBLIC]

        if segments == 1:
            yield from pages(0)
            return
        arrived: queue.Queue = queue.Queue(maxsize=2 * segments)  # pages waiting: memory stays a few pages
        stop, done = threading.Event(), object()

        def read(segment: int) -> None:
            try:
                for page in pages(segment):
                    if stop.is_set():
                        return
                    arrived.put(page)
            except Exception as exc:  # noqa: BLE001 - re-raised by the reader below
                arrived.put(exc)
            finally:
                arrived.put(done)

        threads = [threading.Thread(target=read, args=(n,), name=f"scan-{n}", daemon=True) for n in range(segments)]
        for thread in threads:
            thread.start()
        try:
            finished = 0
            while finished < segments:
                item = arrived.get()
                if item is done:
                    finished += 1
                elif isinstance(item, Exception):
                    raise item
                else:
                    yield item
        finally:  # stopped early (an error, the reader gone): let every thread see it and end
            stop.set()
            while any(thread.is_alive() for thread in threads):
                try:
                    arrived.get(timeout=0.05)
                except queue.Empty:
                    pass

    def dump(self) -> dict[Key, dict]:
        """Every public item, whole (tests compare tables with it)."""
        return {_key(a): a for a in self._items("scan") if a["PK"]["S"] not in _NOT_PUBLIC}

    def changes(self) -> list[dict]:
        """The change feed's entries, in position order (tests and tools)."""
        return list(self._partition(CHANGES_PK, ConsistentRead=True))

    # --- the fence ------------------------------------------------------------------------------
    def _fence_marker(self, token: int) -> tuple:
        return (self.client.meta.endpoint_url, self.table, int(token))

    def ensure_fence(self, token: int) -> None:
        """Raise every fence shard to `token` (never lower it); FenceAhead when a shard is already above."""
        from botocore.exceptions import ClientError

        marker = self._fence_marker(token)
        if marker in _raised_fences:
            return
        update = {"UpdateExpression": "SET #token = :token",
                  "ConditionExpression": "attribute_not_exists(#token) OR #token <= :token",
                  "ExpressionAttributeNames": {"#token": "token"},
                  "ExpressionAttributeValues": {":token": {"N": str(int(token))}}}
        updates = [{"Update": {"TableName": self.table, "Key": _fence_key(n), **update}} for n in range(FENCE_SHARDS)]
        for attempt in range(conf.get("PUBLISH_UNPROCESSED_RETRIES") + 1):
            try:
                self.client.transact_write_items(TransactItems=updates)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                    raise
                stored = self.fence_token()
                if stored is not None and stored > token:
                    raise FenceAhead(token, stored) from exc
                if attempt == conf.get("PUBLISH_UNPROCESSED_RETRIES"):
                    raise
                _pause(attempt)  # a conflicting transaction on a shard: try again
                continue
            _raised_fences.add(marker)
            return

    def fence_token(self) -> int | None:
        """The highest token the fence holds (None: never raised)."""
        tokens = []
        for n in range(FENCE_SHARDS):
            item = self.client.get_item(TableName=self.table, Key=_fence_key(n), ConsistentRead=True).get("Item")
            if item and "token" in item:
                tokens.append(int(item["token"]["N"]))
        return max(tokens) if tokens else None

    def _fence_check(self, token: int, shard: int) -> dict:
        return {"ConditionCheck": {
            "TableName": self.table, "Key": _fence_key(shard % FENCE_SHARDS), "ConditionExpression": "#token = :token",
            "ExpressionAttributeNames": {"#token": "token"}, "ExpressionAttributeValues": {":token": {"N": str(int(token))}},
        }}

    # --- deciding -------------------------------------------------------------------------------
    @staticmethod
    def plan(desired, stored: dict[Key, Stored], *, rev: int | None = None) -> Plan:
        """Put what is missing or different, delete what is stored but no longer desired."""
        plan = Plan()
        desired_keys = set()
        for item in desired:
            key = (item.PK, item.SK)
            if key in desired_keys:
                raise ValueError(f"two items built for the key {key}")
            desired_keys.add(key)
            current = stored.get(key)
            if current is not None and current.content_hash == item.content_hash:
                plan.unchanged += 1
            elif current is not None and rev is not None and current.rev > rev:
                plan.stale.append(key)
            else:
                plan.puts.append(item)
        for key, current in sorted(stored.items()):
            if key in desired_keys:
                continue
            if rev is not None and current.rev > rev:
                plan.stale.append(key)
            else:
                plan.deletes.append(key)
        return plan

    # --- writing --------------------------------------------------------------------------------
    def write_conditional(self, plan: Plan, *, rev: int, alive=None) -> WriteResult:
        """Incremental publish: fenced transactions whose writes are each conditioned on `rev`."""
        result = WriteResult(stale=list(plan.stale))
        condition = {
            "ConditionExpression": _REV_CONDITION, "ExpressionAttributeNames": {"#rev": "rev"},
            "ExpressionAttributeValues": {":rev": {"N": str(int(rev))}},
        }
        operations = [put_operation(self.table, i.serialize(), condition) for i in plan.puts]
        operations += [delete_operation(self.table, k, condition) for k in plan.deletes]
        operations.sort(key=lambda operation: operation[1] not in plan.first)
        written, refused = self.write_fenced(operations, token=rev, alive=alive, moves=plan.moves)
        result.stale += refused
        for action, key in written:
            if action == feed.CHANGE:
                result.entries += 1
            else:
                (result.written if action == "put" else result.deleted).append(key)
        return result

    def write_fenced(self, operations: list, *, token: int, shard: int = 0, alive=None, moves: dict | None = None,
                     entries: bool = True):
        """Apply (action, key, operation, size) writes in transactions, each opened by the fence check.

        Each public document's write takes its change feed entry along (same transaction; dropped
        with the write when that is refused; positioned as the transaction is sent); `entries`
        False: `operations` already carry them (`feed.with_entries`), cut by a `TransactionCutter`.
        Returns the (action, key) pairs written and the keys whose own condition refused them.
        Raises Fenced as soon as the fence shows a newer holder, or `alive()` says the lease is lost.
        """
        from botocore.exceptions import ClientError

        self.ensure_fence(token)
        fence = self._fence_check(token, shard)
        written, refused, rechecked = [], [], False
        for chunk in transaction_chunks(feed.with_entries(operations, moves=moves) if entries else operations):
            attempt = 0
            while chunk:
                if alive is not None and not alive():
                    raise Fenced("the publishing lease was lost: stopped before the next write")
                try:
                    self.client.transact_write_items(TransactItems=[
                        fence, *(feed.stamp(op, self.table, token=token, shard=shard) for op in chunk)])
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                        raise
                    reasons = exc.response.get("CancellationReasons") or []
                    if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                        if not rechecked:
                            # This process remembered raising the fence; the table may have lost it since
                            # (emptied, recreated). Raise it again, which refuses (FenceAhead) only when a
                            # newer holder stands there, and try once more.
                            rechecked = True
                            _raised_fences.discard(self._fence_marker(token))
                            self.ensure_fence(token)
                            continue
                        raise Fenced(f"a newer holder of the publishing lease has fenced token {token} off; "
                                     "nothing more is written") from exc
                    stale = {i - 1 for i, r in enumerate(reasons) if i and r.get("Code") == "ConditionalCheckFailed"}
                    refused += [chunk[i][1] for i in sorted(stale)]
                    stale_keys = {chunk[i][1] for i in stale}  # a refused document's entry goes with it
                    chunk = [op for i, op in enumerate(chunk)
                             if i not in stale and not (op[0] == feed.CHANGE and op[1] in stale_keys)]
                    if not stale:  # a conflict or throttling: try the same chunk again
                        attempt += 1
                        if attempt > conf.get("PUBLISH_UNPROCESSED_RETRIES"):
                            raise WriteFailed(f"TransactWriteItems kept failing: {reasons}") from exc
                        _pause(attempt)
                    continue
                written += [(action, key) for action, key, _, _ in chunk]
                break
        return written, refused


def put_operation(table: str, attrs: dict, condition: dict | None = None, size: int | None = None):
    """A put of `attrs`, stamped with when it is published (`published`, UTC: a calendar's DTSTAMP).

    Only changed items are put (equal content hashes are skipped), so the stamp is when the item's
    content last changed; it is in no content hash.
    """
    attrs = {**attrs, "published": {"S": published_now()}}
    key = _key(attrs)
    return ("put", key, {"Put": {"TableName": table, "Item": attrs, **(condition or {})}},
            size if size is not None else item_size(attrs))


def published_now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def delete_operation(table: str, key: Key, condition: dict | None = None):
    return ("delete", key, {"Delete": {"TableName": table, "Key": _key_attrs(key), **(condition or {})}},
            len(key[0]) + len(key[1]) + 8)


class TransactionCutter:
    """Cuts a stream of operations into runs that fit one transaction beside the fence check (count
    and bytes); a change feed entry stays with the document write before it."""

    def __init__(self):
        self.run, self.size = [], 0

    def add(self, operation) -> list | None:
        """Take `operation`; return the run it closed, if it closed one."""
        closed = None
        if self.run and (len(self.run) >= TRANSACT_MAX - 1 or self.size + operation[3] > TRANSACT_MAX_BYTES):
            carried = [self.run.pop()] if operation[0] == feed.CHANGE else []
            closed, self.run, self.size = self.run, carried, sum(op[3] for op in carried)
        self.run.append(operation)
        self.size += operation[3]
        return closed

    def take(self) -> list:
        """The open run (empty when there is none); the next operation starts a new one."""
        run, self.run, self.size = self.run, [], 0
        return run


def transaction_chunks(operations: list):
    """`operations` cut into runs that each fit one transaction (`TransactionCutter`)."""
    cutter = TransactionCutter()
    for operation in operations:
        if (closed := cutter.add(operation)) is not None:
            yield closed
    if last := cutter.take():
        yield last
