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
import json
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
CALENDAR_ATTRIBUTES = ("published",)  # when the item was published: a calendar event's DTSTAMP
LIST_ATTRIBUTES = ("SK", "kind", "body", "count")  # rows, and the #SUMMARY (count) or alias at a list's head


def get(pk: str, sk: str, attributes: tuple[str, ...] = DETAIL_ATTRIBUTES) -> dict | None:
    """One GetItem of the attributes a detail answer needs; the raw attribute map or None."""
    return _call("GetItem", Item._get_connection().get_item, pk, range_key=sk,
                 attributes_to_get=list(attributes)).get("Item")


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
MAP_SLACK = 200  # rows evaluated beyond the page when a map box filters what an index range returns
# Items evaluated beyond a later page for the upcoming count items (one a month) it passes: a page that
# crosses more month starts than this comes up short (its nextCursor goes on), never wrong.
MONTHS_SLACK = 2


@dataclass(frozen=True)
class Box:
    """The visible map area: south-west and north-east corners (west > east: it crosses the antimeridian)."""

    south: float
    west: float
    north: float
    east: float

    def condition(self):
        """The filter expression: latitude within the band, longitude within the box (or either side of ±180)."""
        lat = Item.lat.between(self.south, self.north)
        if self.west <= self.east:
            return lat & Item.lng.between(self.west, self.east)
        return lat & ((Item.lng >= self.west) | (Item.lng <= self.east))


def edition_start_key(index: str, partition: str, after: str) -> dict:
    """The ExclusiveStartKey of the upcoming row whose GSI1SK/GSI2SK is `after` (<sortdate>#<key>#<yyyy>),
    or of the upcoming count item of month `after` (YYYY-MM: a page can end on one its filter dropped)."""
    if "#" not in after:
        code = None if index == "GSI1" else partition.removeprefix(schema.country_editions_gsi2pk(""))
        table_pk = schema.UPCOMING_COUNTS_PK if code is None else schema.UPCOMING_COUNTRIES_PK
        return {f"{index}PK": {"S": partition}, f"{index}SK": {"S": after},
                "PK": {"S": table_pk}, "SK": {"S": schema.upcoming_count_sk(after, code)}}
    _, key, year = after.split("#")
    return {f"{index}PK": {"S": partition}, f"{index}SK": {"S": after},
            "PK": {"S": schema.festival_pk(key)}, "SK": {"S": schema.upcoming_sk(int(year))}}


def is_upcoming_count(item: dict, position: str) -> bool:
    """Whether an item of an edition index read is a count item (its sort key a month, YYYY-MM), not a row."""
    return "#" not in item[position]["S"]


def upcoming_count(item: dict, day: dt.date) -> int | None:
    """The number an upcoming count item holds for `day`: the upcoming rows ending on or after it (None:
    not one of its days)."""
    body = json.loads(item["body"]["S"])
    offset = (day - dt.date.fromisoformat(body["since"])).days
    counts = body["counts"]
    return counts[offset] if 0 <= offset < len(counts) else None


def upcoming_start_key(after: str) -> dict:
    """The GSI1 ExclusiveStartKey of the upcoming row whose GSI1SK is `after` (<sortdate>#<key>#<yyyy>)."""
    return edition_start_key("GSI1", schema.UPCOMING_GSI1PK, after)


def edition_page(rows: int, after: str | None = None, *, start: dt.date | None, end: dt.date | None = None,
                 index: str = "GSI1", partition: str = schema.UPCOMING_GSI1PK, box: Box | None = None,
                 extra: tuple[str, ...] = (), count: bool = False) -> Page:
    """One Query page of upcoming rows (one per edition) whose dates overlap [start, end], by start date.

    Each bound is optional. Rows sort by <sortdate> (the start, or end − MAX_EDITION_DAYS for a
    longer edition), so the key condition is sortdate in [start − MAX_EDITION_DAYS, end] and the
    filter `ends ≥ start` drops the editions of that window that ended before `start`; with a map
    box the filter also holds the box. `index`/`partition`: GSI1 `UPCOMING` (every country) or
    GSI2 `EDITIONS#COUNTRY#<CC>` (one country, sorted alike); `extra`: attributes besides the
    row's (a calendar's `published`). DynamoDB's Limit counts rows before
    the filter, so while the page may meet filtered-out rows it evaluates a slack beyond the page
    (past the ended editions, MONTHS_SLACK for the count items between the rows).

    The partition's upcoming count items (no `ends`) never pass the filter, but with `count` (page 1
    of a list with a `start`) the read starts at the month whose count answers for `start`, and
    that item comes first: see read_api.schema, "Upcoming counts".
    """
    sort_key = getattr(Item, f"{index}SK")
    lower = None if start is None else (start - dt.timedelta(days=schema.MAX_EDITION_DAYS)).isoformat()
    counted = count and start is not None and after is None
    if counted:
        lower = schema.month_key(schema.upcoming_read_start(start))
    upper = None if end is None else end.isoformat() + "~"  # "~" sorts after every "#<key>#<yyyy>"
    if after is not None and lower is not None and after < lower:  # a cursor older than the window
        after = None
    if lower is not None and upper is not None:
        key_condition = sort_key.between(lower, upper)
    elif lower is not None:
        key_condition = sort_key >= lower
    elif upper is not None:
        key_condition = sort_key <= upper
    else:
        key_condition = None
    if start is None:
        ends = Item.ends.exists()  # every row has it; a count item does not
    elif counted:
        ends = (Item.ends >= start.isoformat()) | (Item.since <= start.isoformat())  # the first count item's
    else:
        ends = Item.ends >= start.isoformat()
    conditions = [ends] + ([box.condition()] if box else [])
    if box is not None:
        slack = MAP_SLACK
    elif start is not None and (after is None or after[:10] <= start.isoformat()):
        slack = UPCOMING_ENDED_SLACK
    else:  # past the ended editions: only the months' count items, which the filter drops, between rows
        slack = MONTHS_SLACK
    return query(
        partition, index=index, limit=rows + slack,
        start_after=edition_start_key(index, partition, after) if after else None,
        range_condition=key_condition, filter_condition=_all(conditions),
        attributes=(f"{index}SK", "body", *extra),
    )


def upcoming_page(rows: int, after: str | None = None, *, count: bool = False) -> Page:
    """One Query page of GSI1's upcoming rows (editions not ended today), by start date, after `after`
    (with `count`, on page 1: today's count item first)."""
    return edition_page(rows, after, start=today(), count=count)


def festival_row_page(rows: int, after: str | None = None, *, country: str | None = None,
                      box: Box | None = None) -> Page:
    """One Query page of festival rows in a country (GSI2) or in a map box (GSI4), in the index's order.

    A country partition holds exactly its rows, after its count item (GSI2SK `#SUMMARY`, which
    a box filters out: it has no coordinates); a box, if any, is a filter on them. A box alone
    reads GSI4's latitude band [south, north], every longitude, and filters on `lng`: one request
    whose cost is the band's rows (up to `rows` + MAP_SLACK of them), never the whole list.
    """
    if country is not None:
        index, partition = "GSI2", schema.country_festivals_gsi2pk(country)
        start_key = None if after is None else {
            "GSI2PK": {"S": partition}, "GSI2SK": {"S": after},
            "PK": {"S": schema.FESTIVALS_PK}, "SK": {"S": after}}
        key_condition = None
    else:
        index, partition = "GSI4", schema.GEO_GSI4PK
        start_key = None if after is None else {
            "GSI4PK": {"S": partition}, "GSI4SK": {"S": after},
            "PK": {"S": schema.FESTIVALS_PK}, "SK": {"S": schema.festival_row_sk(after.split("#", 1)[1])}}
        key_condition = Item.GSI4SK.between(schema.latitude_key(box.south), schema.latitude_key(box.north) + "~")
    return query(partition, index=index, limit=rows + (MAP_SLACK if box else 0), start_after=start_key,
                 range_condition=key_condition, filter_condition=box.condition() if box else None,
                 attributes=(f"{index}SK", "body", "count"))  # count: a country's count item, first


def band_row_page(rows: int, after: str | None, *, country: str) -> Page:
    """One Query page of a country's band rows (GSI2 `BANDS#COUNTRY#<CC>`), by key; on page 1 its count item first."""
    partition = schema.country_bands_gsi2pk(country)
    start_key = None if after is None else {
        "GSI2PK": {"S": partition}, "GSI2SK": {"S": after}, "PK": {"S": schema.BANDS_PK}, "SK": {"S": after}}
    return query(partition, index="GSI2", limit=rows, start_after=start_key, attributes=("GSI2SK", "body", "count"))


def change_page(rows: int, after: str | None, before: str) -> Page:
    """One strongly consistent Query page of the change feed: entries after position `after`, before `before`."""
    from . import feed  # here: the feed's constants, not needed by the other routes

    start_key = None if after is None else {"PK": {"S": feed.CHANGES_PK}, "SK": {"S": after}}
    data = _call(
        "Query", Item._get_connection().query, feed.CHANGES_PK, range_key_condition=Item.SK < before,
        exclusive_start_key=start_key, limit=rows, scan_index_forward=True, consistent_read=True,
        attributes_to_get=["SK", "body"],
    )
    return Page(data.get("Items", []), data.get("LastEvaluatedKey"))


def _all(conditions: list):
    combined = None
    for condition in conditions:
        combined = condition if combined is None else combined & condition
    return combined
