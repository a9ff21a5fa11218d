"""FestivalsFunction: /api/festivals, /upcoming, /{key}, /{key}/editions, /{key}/editions/{year}, and calendars.

The lists filter by `country`, `month` or `from`/`to`, and `bbox`, each combination one
index read (see `_filtered`); `/upcoming.ics` and `/{key}/calendar.ics` are iCalendar feeds.
"""

import datetime as dt
import json
from urllib.parse import urlencode

from .. import cachetags, paging, queries, schema
from ..http import (
    CALENDAR,
    PAGING,
    Answer,
    Router,
    bbox_param,
    country_param,
    dates_param,
    key_param,
    list_body,
    not_found,
    redirect,
    year_param,
)

router = Router("festivals")
LIST_DEFAULT, LIST_MAX = 100, 500
UPCOMING_DEFAULT, UPCOMING_MAX = 50, 100
CALENDAR_MAX = 500  # events in /upcoming.ics: the next 500 editions (one Query page)
EDITIONS_DEFAULT, EDITIONS_MAX = 50, 100


FILTERS = ("country", "month", "from", "to", "bbox")


def _filters(request) -> tuple[str | None, dt.date | None, dt.date | None, queries.Box | None]:
    country = country_param(request)
    start, end = dates_param(request)
    return country, start, end, bbox_param(request)


def _filtered(request, route: str, *, country, start, end, box, default: int, maximum: int, upcoming: bool):
    """One index walk for a filtered list; (listing, tags). Which index answers:

    - dates (or /upcoming): the edition rows, GSI1 `UPCOMING` or GSI2 `EDITIONS#COUNTRY#<CC>`
      with a country, key range on the dates, a map box as a filter;
    - no dates, a country: the festival rows of GSI2 `FESTIVALS#COUNTRY#<CC>` (a box filters them);
    - no dates, only a box: GSI4's latitude band, filtered on longitude.

    `count` is exact on every page of a country's list (its count item) and of the editions from a
    day on (/upcoming, `from` without `to`, with or without a country: the count item of that
    day's month, where one is stored); with `to`, a box, or a day no count item answers for, only
    on the page that reaches the end of the list, and left out before it.
    """
    canonical = urlencode([(name, value) for name, value in (
        ("country", country), ("from", start and start.isoformat()), ("to", end and end.isoformat()),
        ("bbox", box and f"{box.south},{box.west},{box.north},{box.east}")) if value])
    mac_partition = f"{route}?{canonical}"
    if upcoming or start is not None or end is not None:
        index, partition = ("GSI2", schema.country_editions_gsi2pk(country)) if country else \
            ("GSI1", schema.UPCOMING_GSI1PK)
        if upcoming:
            start = max(start or queries.today(), queries.today())
            if end is not None and end < start:  # a window wholly in the past: nothing upcoming, nothing to read
                paging.parse(request, default=default, maximum=maximum, partition=mac_partition, row_prefix="",
                             key_re=paging.UPCOMING_KEY_RE)
                return paging.Listing([], 0, None, None), [cachetags.UPCOMING]

        counted = start is not None and end is None and box is None  # the editions ending on or after `start`

        def fetch(rows, after):
            return queries.edition_page(rows, after, start=start, end=end, index=index, partition=partition, box=box,
                                        count=counted)
        page = paging.parse(request, default=default, maximum=maximum, partition=mac_partition, row_prefix="",
                            key_re=paging.UPCOMING_KEY_RE)
        counter = (lambda item: queries.upcoming_count(item, start)) if counted else None
        return paging.walk(page, mac_partition, fetch, f"{index}SK", counter=counter), [cachetags.UPCOMING]

    def fetch_rows(rows, after):
        return queries.festival_row_page(rows, after, country=country, box=box)
    if country:
        position, row_prefix, key_re = "GSI2SK", schema.FESTIVAL_ROW_PREFIX, paging.SORT_KEY_RE
    else:
        position, row_prefix, key_re = "GSI4SK", "", paging.GEO_KEY_RE
    page = paging.parse(request, default=default, maximum=maximum, partition=mac_partition,
                        row_prefix=row_prefix, key_re=key_re)
    # A country's festival rows (no dates, no box) start with the country's count item: an exact count.
    counted = position == "GSI2SK" and box is None
    return paging.walk(page, mac_partition, fetch_rows, position, summary=counted), [cachetags.FESTIVALS]


@router.route("/api/festivals", ttl=600, params=PAGING + FILTERS)
def festival_list(request):
    country, start, end, box = _filters(request)
    if country or start or end or box:
        listing, tags = _filtered(request, "festivals", country=country, start=start, end=end, box=box,
                                  default=LIST_DEFAULT, maximum=LIST_MAX, upcoming=False)
    else:
        page = paging.parse(request, default=LIST_DEFAULT, maximum=LIST_MAX,
                            partition=schema.FESTIVALS_PK, row_prefix=schema.FESTIVAL_ROW_PREFIX)
        listing = paging.read(schema.FESTIVALS_PK, page, row_prefix=schema.FESTIVAL_ROW_PREFIX)
        tags = [cachetags.FESTIVALS]
    return Answer(list_body("festivals", listing.rows, listing.count, listing.next_cursor),
                  tags=tags, items=len(listing.rows))


@router.route("/api/festivals/upcoming", ttl=300, params=PAGING + FILTERS)
def festival_upcoming(request):
    country, start, end, box = _filters(request)
    if country or start or end or box:
        listing, tags = _filtered(request, "upcoming", country=country, start=start, end=end, box=box,
                                  default=UPCOMING_DEFAULT, maximum=UPCOMING_MAX, upcoming=True)
    else:
        page = paging.parse(request, default=UPCOMING_DEFAULT, maximum=UPCOMING_MAX,
                            partition=schema.UPCOMING_GSI1PK, row_prefix="", key_re=paging.UPCOMING_KEY_RE)
        listing, tags = paging.upcoming(page, schema.UPCOMING_GSI1PK), [cachetags.UPCOMING]
    return Answer(list_body("festivals", listing.rows, listing.count, listing.next_cursor),
                  tags=tags, items=len(listing.rows))


@router.route("/api/festivals/upcoming.ics", ttl=300, params=("country",))
def festival_upcoming_calendar(request):
    """The next CALENDAR_MAX editions (of a country) as iCalendar: one Query of GSI1 (or GSI2 by country)."""
    from .. import calendars  # here, not at import: see read_api.calendars

    country = country_param(request)
    index, partition = ("GSI2", schema.country_editions_gsi2pk(country)) if country else \
        ("GSI1", schema.UPCOMING_GSI1PK)
    page = queries.edition_page(CALENDAR_MAX, start=queries.today(), index=index, partition=partition,
                                extra=queries.CALENDAR_ATTRIBUTES)
    rows = [(item["body"]["S"], queries.text(item, "published")) for item in page.items[:CALENDAR_MAX]]
    name = f"Upcoming metal festivals ({country})" if country else "Upcoming metal festivals"
    return Answer(calendars.upcoming_calendar(rows, name), tags=[cachetags.UPCOMING], items=len(rows),
                  content_type=CALENDAR)


def _moved(request, old_key: str, item: dict, suffix: str = "") -> Answer:
    new_key = json.loads(item["body"]["S"])["festivalKey"]
    return redirect(request, f"/api/festivals/{new_key}{suffix}", {"festivalKey": new_key},
                    tags=[cachetags.festival(old_key), cachetags.festival(new_key)])


@router.route("/api/festivals/{key}", ttl=1800)
def festival_detail(request, key):
    key = key_param(key)
    item = queries.get(schema.festival_pk(key), schema.METADATA)
    if item is None:
        raise not_found(f"Festival with key '{key}' not found", cachetags.festival(key))
    if item["kind"]["S"] == schema.Kind.FESTIVAL_ALIAS:
        return _moved(request, key, item)
    return Answer(item["body"]["S"], tags=[cachetags.festival(key)])


@router.route("/api/festivals/{key}/calendar.ics", ttl=1800)
def festival_calendar(request, key):
    """Every edition of the festival as iCalendar, from the detail item: one GetItem."""
    from .. import calendars  # here, not at import: see read_api.calendars

    key = key_param(key)
    item = queries.get(schema.festival_pk(key), schema.METADATA, (*queries.DETAIL_ATTRIBUTES,
                                                                   *queries.CALENDAR_ATTRIBUTES))
    if item is None:
        raise not_found(f"Festival with key '{key}' not found", cachetags.festival(key))
    if item["kind"]["S"] == schema.Kind.FESTIVAL_ALIAS:
        return _moved(request, key, item, "/calendar.ics")
    detail = json.loads(item["body"]["S"])
    return Answer(calendars.festival_calendar(detail, queries.text(item, "published")), tags=[cachetags.festival(key)],
                  items=len(detail.get("editions") or []), content_type=CALENDAR)


@router.route("/api/festivals/{key}/editions", ttl=1800, params=PAGING)
def festival_editions(request, key):
    key = key_param(key)
    partition = schema.festival_editions_pk(key)
    page = paging.parse(request, default=EDITIONS_DEFAULT, maximum=EDITIONS_MAX,
                        partition=partition, row_prefix=schema.EDITION_PREFIX)
    listing = paging.read(partition, page, row_prefix=schema.EDITION_PREFIX)
    if listing.head is not None and listing.head["kind"]["S"] == schema.Kind.FESTIVAL_ALIAS:
        return _moved(request, key, listing.head, "/editions")
    if page.cursor is None and listing.head is None:
        raise not_found(f"Festival with key '{key}' not found", cachetags.festival(key))
    return Answer(list_body("editions", listing.rows, listing.count, listing.next_cursor, festivalKey=key),
                  tags=[cachetags.festival(key)], items=len(listing.rows))


@router.route("/api/festivals/{key}/editions/{year}", ttl=3600)
def festival_edition(request, key, year):
    key, year = key_param(key), year_param(year)
    # One Query from EDITION#<year> to the alias marker: the edition itself, else (for a renamed
    # key) the alias that sorts after every edition; one item at most.
    result = queries.query(schema.festival_editions_pk(key), limit=1,
                           range_condition=schema.Item.SK.between(schema.edition_sk(year), schema.ALIAS))
    item = result.items[0] if result.items else None
    if item is not None and item["kind"]["S"] == schema.Kind.FESTIVAL_ALIAS:
        return _moved(request, key, item, f"/editions/{year}")
    if item is None or item["SK"]["S"] != schema.edition_sk(year):
        raise not_found(f"Festival '{key}' has no edition {year}", cachetags.festival(key))
    return Answer('{"edition":' + item["body"]["S"] + "}", tags=[cachetags.festival(key)])


lambda_handler = router.handle
