"""FestivalsFunction: /api/festivals, /upcoming, /{key}, /{key}/editions, /{key}/editions/{year}."""

import json

from .. import cachetags, paging, queries, schema
from ..http import Answer, Router, key_param, list_body, not_found, redirect, year_param

router = Router("festivals")
LIST_DEFAULT, LIST_MAX = 100, 500
UPCOMING_DEFAULT, UPCOMING_MAX = 50, 100
EDITIONS_DEFAULT, EDITIONS_MAX = 50, 100


@router.route("/api/festivals", ttl=600)
def festival_list(request):
    page = paging.parse(request, default=LIST_DEFAULT, maximum=LIST_MAX,
                        partition=schema.FESTIVALS_PK, row_prefix=schema.FESTIVAL_ROW_PREFIX)
    listing = paging.read(schema.FESTIVALS_PK, page, row_prefix=schema.FESTIVAL_ROW_PREFIX)
    return Answer(list_body("festivals", listing.rows, listing.count, listing.next_cursor),
                  tags=[cachetags.FESTIVALS], items=len(listing.rows))


@router.route("/api/festivals/upcoming", ttl=300)
def festival_upcoming(request):
    page = paging.parse(request, default=UPCOMING_DEFAULT, maximum=UPCOMING_MAX, partition=schema.UPCOMING_GSI1PK,
                        row_prefix="", key_re=paging.UPCOMING_KEY_RE)
    listing = paging.upcoming(page, schema.UPCOMING_GSI1PK)
    return Answer(list_body("festivals", listing.rows, listing.count, listing.next_cursor),
                  tags=[cachetags.UPCOMING], items=len(listing.rows))


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


@router.route("/api/festivals/{key}/editions", ttl=1800)
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
