"""The read path's DynamoDB access: one GetItem or one Query page per call, never a Scan.

Reads go through the PynamoDB table connection (schema-derived, so no DescribeTable)
and return raw attribute maps: handlers only need `kind`, `SK`, `body` and `count`, so
skipping model instantiation keeps the per-request overhead near a bare botocore call.
Transient DynamoDB failures (unreachable, timed out, throttled) surface as `Unavailable`.
"""

import datetime as dt
from dataclasses import dataclass, field

from botocore.exceptions import BotoCoreError, ClientError
from pynamodb.exceptions import PynamoDBException

from . import schema
from .schema import Item

TRANSIENT_CODES = frozenset({
    "ProvisionedThroughputExceededException",
    "ThrottlingException",
    "RequestLimitExceeded",
    "InternalServerError",
    "ServiceUnavailable",
    "TransactionInProgressException",
})


class Unavailable(Exception):
    """DynamoDB could not answer in time (unreachable, timeouts, throttling): a 503."""


class BadStartKey(Exception):
    """DynamoDB refused the start key rebuilt from a cursor: a 400."""


@dataclass
class Stats:
    """What the current request cost: DynamoDB calls and consumed read capacity (for the log line)."""

    requests: int = 0
    capacity: float = 0.0
    operations: list = field(default_factory=list)


stats = Stats()


def reset_stats() -> None:
    global stats
    stats = Stats()


def _call(operation: str, function, *args, **kwargs) -> dict:
    stats.requests += 1
    stats.operations.append(operation)
    try:
        data = function(*args, **kwargs)
    except PynamoDBException as exc:
        cause = exc.cause
        if isinstance(cause, ClientError):
            error = cause.response.get("Error", {})
            code = error.get("Code", "")
            if code in TRANSIENT_CODES:
                raise Unavailable(code) from exc
            if code == "ValidationException" and "start" in error.get("Message", "").lower():
                raise BadStartKey(error.get("Message", "")) from exc
        elif isinstance(cause, BotoCoreError):
            raise Unavailable(type(cause).__name__) from exc
        raise
    capacity = data.get("ConsumedCapacity")
    if capacity:
        stats.capacity += float(capacity.get("CapacityUnits", 0))
    return data


def get(pk: str, sk: str) -> dict | None:
    """One GetItem; the raw attribute map or None."""
    return _call("GetItem", Item._get_connection().get_item, pk, range_key=sk).get("Item")


@dataclass
class Page:
    items: list[dict]
    last_key: dict | None


def query(pk: str, *, limit: int | None = None, start_after: dict | None = None, index: str | None = None,
          range_condition=None, filter_condition=None) -> Page:
    """One Query page of partition `pk` (of the table or of a GSI), ascending."""
    data = _call(
        "Query", Item._get_connection().query, pk,
        range_key_condition=range_condition, filter_condition=filter_condition,
        exclusive_start_key=start_after, index_name=index, limit=limit, scan_index_forward=True,
    )
    return Page(data.get("Items", []), data.get("LastEvaluatedKey"))


def text(item: dict, name: str) -> str | None:
    value = item.get(name)
    return None if value is None else value.get("S")


def number(item: dict, name: str) -> int | None:
    value = item.get(name)
    return None if value is None else int(value["N"])


def today() -> dt.date:
    """Today in UTC ("upcoming" is relative to it). Tests may replace it."""
    return dt.datetime.now(dt.UTC).date()


def upcoming_page() -> Page:
    """Every edition not ended today, sorted by start date: one Query page of GSI1."""
    day = today()
    lower = (day - dt.timedelta(days=schema.MAX_EDITION_DAYS)).isoformat()
    return query(
        schema.UPCOMING_GSI1PK, index="GSI1",
        range_condition=Item.GSI1SK >= lower,
        filter_condition=Item.ends >= day.isoformat(),
    )
