"""The read path's DynamoDB access: one GetItem or one Query page per call, never a Scan.

Reads go through the PynamoDB table connection (schema-derived, so no DescribeTable)
and return raw attribute maps: handlers only need `kind`, `SK`, `body` and `count`, so
skipping model instantiation keeps the per-request overhead near a bare botocore call.
Every read names the attributes it answers from (a ProjectionExpression): botocore's
response parsing is most of a request's time and grows with the attributes returned,
and `rev`, `content_hash`, the keys and index keys of a row are never served.
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


DETAIL_ATTRIBUTES = ("kind", "body")  # a detail answer, or the alias it redirects with
LIST_ATTRIBUTES = ("SK", "kind", "body", "count")  # rows, and the #SUMMARY (count) or alias at a list's head


def get(pk: str, sk: str) -> dict | None:
    """One GetItem of the attributes a detail answer needs; the raw attribute map or None."""
    return _call("GetItem", Item._get_connection().get_item, pk, range_key=sk,
                 attributes_to_get=list(DETAIL_ATTRIBUTES)).get("Item")


@dataclass
class Page:
    items: list[dict]
    last_key: dict | None


def query(pk: str, *, limit: int | None = None, start_after: dict | None = None, index: str | None = None,
          range_condition=None, filter_condition=None, attributes: tuple[str, ...] = LIST_ATTRIBUTES) -> Page:
    """One Query page of partition `pk` (of the table or of a GSI), ascending, of `attributes` only."""
    data = _call(
        "Query", Item._get_connection().query, pk,
        range_key_condition=range_condition, filter_condition=filter_condition,
        exclusive_start_key=start_after, index_name=index, limit=limit, scan_index_forward=True,
        attributes_to_get=list(attributes),
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


UPCOMING_ATTRIBUTES = ("GSI1SK", "body")  # the row, and its index key (the cursor's position)
UPCOMING_ENDED_SLACK = 500  # rows evaluated beyond the page while the window may still hold ended editions


def upcoming_start_key(after: str) -> dict:
    """The GSI1 ExclusiveStartKey of the upcoming row whose GSI1SK is `after` (<sortdate>#<key>#<yyyy>)."""
    _, key, year = after.split("#")
    return {"GSI1PK": {"S": schema.UPCOMING_GSI1PK}, "GSI1SK": {"S": after},
            "PK": {"S": schema.festival_pk(key)}, "SK": {"S": schema.upcoming_sk(int(year))}}


def upcoming_page(rows: int, after: str | None = None) -> Page:
    """One Query page of GSI1's upcoming rows (editions not ended today), by start date, after `after`.

    The key condition starts the window at today − MAX_EDITION_DAYS; the filter on `ends`
    drops the editions of that window that have ended, which can only sort on or before
    today. DynamoDB's Limit counts rows before the filter, so while the page starts inside
    that part of the window it evaluates `UPCOMING_ENDED_SLACK` more rows than it needs.
    """
    day = today()
    lower = (day - dt.timedelta(days=schema.MAX_EDITION_DAYS)).isoformat()
    if after is not None and after < lower:  # a cursor older than the window: everything before it has ended
        after = None
    slack = UPCOMING_ENDED_SLACK if after is None or after[:10] <= day.isoformat() else 0
    return query(
        schema.UPCOMING_GSI1PK, index="GSI1", limit=rows + slack,
        start_after=upcoming_start_key(after) if after else None,
        range_condition=Item.GSI1SK >= lower,
        filter_condition=Item.ends >= day.isoformat(),
        attributes=UPCOMING_ATTRIBUTES,
    )
