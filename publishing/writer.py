"""The writer: puts and deletes items in the single table, only where the content changed.

Two ways to write, both in full batches:
- `write_conditional` (incremental publishes): TransactWriteItems of up to 100 writes,
  each conditioned on `attribute_not_exists(PK) OR rev <= :rev`, so a stale worker
  never replaces (or deletes) an item a newer one wrote; writes refused by the
  condition are dropped and the rest retried;
- `write_batch` (republish, which holds the drain lease): BatchWriteItem of 25,
  UnprocessedItems retried with backoff.
Both skip items whose `content_hash` equals what is stored.
"""

import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import lru_cache

from django.conf import settings

from . import conf

BATCH_WRITE_MAX = 25
TRANSACT_MAX = 100
BATCH_GET_MAX = 100
READ_CONCURRENCY = 6
_PROJECTION = {"ProjectionExpression": "PK, SK, content_hash, #rev, GSI3PK", "ExpressionAttributeNames": {"#rev": "rev"}}
_REV_CONDITION = "attribute_not_exists(PK) OR #rev <= :rev"


class WriteFailed(RuntimeError):
    """DynamoDB kept refusing part of a write (throttled or unprocessed after every retry)."""


@lru_cache(maxsize=8)
def _client(endpoint: str | None, region: str):
    import boto3
    from botocore.config import Config

    # Items are built by our own code: botocore's parameter validation would only cost CPU per batch.
    config = Config(retries={"max_attempts": 3, "mode": "standard"}, connect_timeout=2, read_timeout=10,
                    parameter_validation=False)
    return boto3.client("dynamodb", endpoint_url=endpoint, region_name=region, config=config)


def dynamodb_client():
    # The environment wins over settings read at start-up: tests and tools point it at DynamoDB Local.
    endpoint = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or settings.AWS_ENDPOINT_URL_DYNAMODB or None
    region = os.environ.get("AWS_REGION") or settings.AWS_REGION
    return _client(endpoint, region)


def table_name() -> str:
    return os.environ.get("DYNAMODB_TABLE_NAME") or conf.table_name()


Key = tuple[str, str]


@dataclass(frozen=True)
class Stored:
    content_hash: str
    rev: int
    listing: str | None = None  # a band row's GSI3PK: the reviewed or unreviewed list it shows in


@dataclass
class Plan:
    puts: list = field(default_factory=list)  # PynamoDB items
    deletes: list[Key] = field(default_factory=list)
    unchanged: int = 0
    stale: list[Key] = field(default_factory=list)  # a newer rev is stored: not ours to change


@dataclass
class WriteResult:
    written: list[Key] = field(default_factory=list)
    deleted: list[Key] = field(default_factory=list)
    stale: list[Key] = field(default_factory=list)


def _key(attrs: dict) -> Key:
    return attrs["PK"]["S"], attrs["SK"]["S"]


def _stored(attrs: dict) -> Stored:
    return Stored(attrs.get("content_hash", {}).get("S", ""), int(attrs.get("rev", {}).get("N", "0")),
                  attrs.get("GSI3PK", {}).get("S"))


def _key_attrs(key: Key) -> dict:
    return {"PK": {"S": key[0]}, "SK": {"S": key[1]}}


def _pause(attempt: int) -> None:
    time.sleep(min(2.0, 0.05 * 2**attempt) * random.uniform(0.5, 1.0))


class Writer:
    def __init__(self, *, client=None, table: str | None = None):
        self.client = client or dynamodb_client()
        self.table = table or table_name()

    # --- reading what is stored -----------------------------------------------------------------
    def read(self, partitions) -> dict[Key, Stored]:
        """Stored hash and rev of every item in these (PK, None) partitions and (PK, SK) keys."""
        found: dict[Key, Stored] = {}
        exact = sorted({(pk, sk) for pk, sk in partitions if sk is not None})
        whole = sorted({pk for pk, sk in partitions if sk is None})
        # One Query per partition, a few at a time: a band edit reads some thirty partitions.
        with ThreadPoolExecutor(max_workers=READ_CONCURRENCY) as pool:
            for part in pool.map(self._query_partition, whole):
                found.update(part)
        for start in range(0, len(exact), BATCH_GET_MAX):
            request = {self.table: {"Keys": [_key_attrs(k) for k in exact[start:start + BATCH_GET_MAX]], **_PROJECTION}}
            for attempt in range(conf.get("PUBLISH_UNPROCESSED_RETRIES") + 1):
                answer = self.client.batch_get_item(RequestItems=request)
                found.update({_key(a): _stored(a) for a in answer["Responses"].get(self.table, [])})
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

    def _query_partition(self, pk: str) -> dict[Key, Stored]:
        return {_key(a): _stored(a) for a in self._partition(pk, **_PROJECTION)}

    def read_items(self, partitions) -> dict[Key, dict]:
        """Whole items (attribute values) in these partitions and keys (the admin preview shows their bodies)."""
        found: dict[Key, dict] = {}
        for pk in sorted({pk for pk, sk in partitions if sk is None}):
            found.update({_key(a): a for a in self._partition(pk)})
        for pk, sk in sorted({(pk, sk) for pk, sk in partitions if sk is not None}):
            answer = self.client.get_item(TableName=self.table, Key=_key_attrs((pk, sk)))
            if "Item" in answer:
                found[(pk, sk)] = answer["Item"]
        return found

    def scan(self) -> dict[Key, Stored]:
        return {_key(a): _stored(a) for a in self._items("scan", **_PROJECTION)}

    def dump(self) -> dict[Key, dict]:
        """Every item, whole (tests compare tables with it)."""
        return {_key(a): a for a in self._items("scan")}

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
    def write_conditional(self, plan: Plan, *, rev: int) -> WriteResult:
        from botocore.exceptions import ClientError

        result = WriteResult(stale=list(plan.stale))
        condition = {
            "ConditionExpression": _REV_CONDITION, "ExpressionAttributeNames": {"#rev": "rev"},
            "ExpressionAttributeValues": {":rev": {"N": str(int(rev))}},
        }
        operations = [("put", (i.PK, i.SK), {"Put": {"TableName": self.table, "Item": i.serialize(), **condition}})
                      for i in plan.puts]
        operations += [("delete", k, {"Delete": {"TableName": self.table, "Key": _key_attrs(k), **condition}})
                       for k in plan.deletes]
        for start in range(0, len(operations), TRANSACT_MAX):
            chunk = operations[start:start + TRANSACT_MAX]
            attempt = 0
            while chunk:
                try:
                    self.client.transact_write_items(TransactItems=[op for _, _, op in chunk])
                except ClientError as exc:
                    if exc.response.get("Error", {}).get("Code") != "TransactionCanceledException":
                        raise
                    reasons = exc.response.get("CancellationReasons") or []
                    refused = {i for i, r in enumerate(reasons) if r.get("Code") == "ConditionalCheckFailed"}
                    result.stale += [chunk[i][1] for i in sorted(refused)]
                    chunk = [op for i, op in enumerate(chunk) if i not in refused]
                    if not refused:  # a conflict or throttling: try the same chunk again
                        attempt += 1
                        if attempt > conf.get("PUBLISH_UNPROCESSED_RETRIES"):
                            raise WriteFailed(f"TransactWriteItems kept failing: {reasons}") from exc
                        _pause(attempt)
                    continue
                for action, key, _ in chunk:
                    (result.written if action == "put" else result.deleted).append(key)
                break
        return result

    def write_batch(self, plan: Plan, *, progress=None) -> WriteResult:
        """Unconditional BatchWriteItem in full batches of 25 (the caller holds the drain lease)."""
        result = WriteResult(stale=list(plan.stale))
        requests = [({"PutRequest": {"Item": i.serialize()}}, "put", (i.PK, i.SK)) for i in plan.puts]
        requests += [({"DeleteRequest": {"Key": _key_attrs(k)}}, "delete", k) for k in plan.deletes]
        for start in range(0, len(requests), BATCH_WRITE_MAX):
            chunk = requests[start:start + BATCH_WRITE_MAX]
            self.batch_write([r for r, _, _ in chunk])
            for _, action, key in chunk:
                (result.written if action == "put" else result.deleted).append(key)
            if progress is not None:
                progress(len(chunk))
        return result

    def batch_write(self, requests: list[dict]) -> None:
        """One BatchWriteItem of at most 25 requests, its UnprocessedItems retried with backoff."""
        pending = {self.table: requests}
        for attempt in range(conf.get("PUBLISH_UNPROCESSED_RETRIES") + 1):
            answer = self.client.batch_write_item(RequestItems=pending)
            pending = answer.get("UnprocessedItems") or {}
            if not pending:
                return
            _pause(attempt)
        raise WriteFailed(f"BatchWriteItem left {len(pending.get(self.table, []))} items unprocessed")
