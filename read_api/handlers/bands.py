"""BandsFunction: /api/bands (?reviewed, ?country, ?genre), /reviewed, /unreviewed, /{key}, /{key}/festivals,
/{key}/calendar.ics."""

from .. import cachetags, paging, queries, schema
from ..http import CALENDAR, PAGING, Answer, Router, bool_param, country_param, invalid, key_param, list_body, not_found

router = Router("bands")
LIST_DEFAULT, LIST_MAX = 100, 500


def _band_list(request, reviewed: bool | None) -> Answer:
    if reviewed is None:
        partition, index, start_key = schema.BANDS_PK, None, None
    else:
        partition, index = schema.reviewed_gsi3pk(reviewed), "GSI3"
        start_key = paging.gsi3_start_key(partition, schema.BANDS_PK)
    page = paging.parse(request, default=LIST_DEFAULT, maximum=LIST_MAX,
                        partition=partition, row_prefix=schema.BAND_ROW_PREFIX)
    listing = paging.read(partition, page, row_prefix=schema.BAND_ROW_PREFIX, index=index, start_key=start_key)
    return Answer(list_body("bands", listing.rows, listing.count, listing.next_cursor),
                  tags=[cachetags.BANDS], items=len(listing.rows))


def _country_bands(request, country: str) -> Answer:
    """A country's band rows: one Query of GSI2 `BANDS#COUNTRY#<CC>`, its count item first (an exact count)."""
    mac_partition = f"bands?country={country}"
    page = paging.parse(request, default=LIST_DEFAULT, maximum=LIST_MAX,
                        partition=mac_partition, row_prefix=schema.BAND_ROW_PREFIX)
    listing = paging.walk(page, mac_partition,
                          lambda rows, after: queries.band_row_page(rows, after, country=country), "GSI2SK",
                          summary=True)
    return Answer(list_body("bands", listing.rows, listing.count, listing.next_cursor),
                  tags=[cachetags.BANDS], items=len(listing.rows))


def _genre_bands(request, genre: str) -> Answer:
    """A genre's band rows: its existing partition `GENRE#<key>#BANDS` (count from its summary; none: empty)."""
    partition = schema.genre_bands_pk(genre)
    page = paging.parse(request, default=LIST_DEFAULT, maximum=LIST_MAX,
                        partition=partition, row_prefix=schema.BAND_ROW_PREFIX)
    listing = paging.read(partition, page, row_prefix=schema.BAND_ROW_PREFIX)
    return Answer(list_body("bands", listing.rows, listing.count, listing.next_cursor),
                  tags=[cachetags.BANDS, cachetags.genre(genre)], items=len(listing.rows))


@router.route("/api/bands", ttl=600, params=PAGING + ("reviewed", "country", "genre"))
def band_list(request):
    given = [name for name in ("reviewed", "country", "genre") if name in request.query]
    if len(given) > 1:
        raise invalid(given[1], f"filter bands by one of 'reviewed', 'country' or 'genre' at a time, not "
                                f"'{given[0]}' and '{given[1]}' together", exclusive=given)
    reviewed, country = bool_param(request, "reviewed"), country_param(request)
    if country is not None:
        return _country_bands(request, country)
    if "genre" in request.query:
        return _genre_bands(request, key_param(request.query["genre"].strip(), "genre"))
    return _band_list(request, reviewed)


@router.route("/api/bands/reviewed", ttl=600, params=PAGING)
def band_list_reviewed(request):
    return _band_list(request, True)


@router.route("/api/bands/unreviewed", ttl=300, params=PAGING)
def band_list_unreviewed(request):
    return _band_list(request, False)


@router.route("/api/bands/{key}", ttl=1800)
def band_detail(request, key):
    key = key_param(key)
    item = queries.get(schema.band_pk(key), schema.METADATA)
    if item is None:
        raise not_found(f"Band with key '{key}' not found", cachetags.band(key))
    return Answer(item["body"]["S"], tags=[cachetags.band(key)])


@router.route("/api/bands/{key}/festivals", ttl=600, params=PAGING)
def band_festivals(request, key):
    key = key_param(key)
    partition = schema.band_festivals_pk(key)
    page = paging.parse(request, default=LIST_DEFAULT, maximum=LIST_MAX,
                        partition=partition, row_prefix=schema.FESTIVAL_ROW_PREFIX)
    listing = paging.read(partition, page, row_prefix=schema.FESTIVAL_ROW_PREFIX)
    if page.cursor is None and listing.head is None:
        raise not_found(f"Band with key '{key}' not found", cachetags.band(key))
    return Answer(list_body("festivals", listing.rows, listing.count, listing.next_cursor, bandKey=key),
                  tags=[cachetags.band(key)], items=len(listing.rows))


@router.route("/api/bands/{key}/calendar.ics", ttl=600)
def band_calendar(request, key):
    """The band's festival appearances as iCalendar: one Query page of its /festivals partition (every row).

    A band plays a few hundred editions at most: far below the 1 MB one Query page reads.
    """
    from .. import calendars  # here, not at import: see read_api.calendars

    key = key_param(key)
    page = queries.query(schema.band_festivals_pk(key), attributes=(*queries.LIST_ATTRIBUTES,
                                                                     *queries.CALENDAR_ATTRIBUTES))
    if not page.items or page.items[0]["SK"]["S"] != schema.SUMMARY:  # the summary first: the band exists
        raise not_found(f"Band with key '{key}' not found", cachetags.band(key))
    rows = [(item["body"]["S"], queries.text(item, "published")) for item in page.items
            if item["SK"]["S"].startswith(schema.FESTIVAL_ROW_PREFIX)]
    return Answer(calendars.band_calendar(key, rows), tags=[cachetags.band(key)], items=len(rows),
                  content_type=CALENDAR)


lambda_handler = router.handle
