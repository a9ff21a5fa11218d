"""GenresFunction: /api/genres, /api/genres/{key}, /api/genres/{key}/bands."""

from .. import cachetags, paging, queries, schema
from ..http import PAGING, Answer, Router, key_param, list_body, not_found

router = Router("genres")
LIST_DEFAULT, LIST_MAX = 100, 500


@router.route("/api/genres", ttl=3600, params=PAGING)
def genre_list(request):
    # The specification returns all genres at once: no `limit`, the whole list; with `limit`, cursor pages.
    page = paging.parse(request, default=None, maximum=LIST_MAX,
                        partition=schema.GENRES_PK, row_prefix=schema.GENRE_ROW_PREFIX)
    listing = paging.read(schema.GENRES_PK, page, row_prefix=schema.GENRE_ROW_PREFIX)
    return Answer(list_body("genres", listing.rows, listing.count, listing.next_cursor),
                  tags=[cachetags.GENRES], items=len(listing.rows))


@router.route("/api/genres/{key}", ttl=3600)
def genre_detail(request, key):
    key = key_param(key)
    item = queries.get(schema.genre_pk(key), schema.METADATA)
    if item is None:
        raise not_found(f"Genre with key '{key}' not found", cachetags.genre(key))
    return Answer(item["body"]["S"], tags=[cachetags.genre(key)])


@router.route("/api/genres/{key}/bands", ttl=600, params=PAGING)
def genre_bands(request, key):
    key = key_param(key)
    partition = schema.genre_bands_pk(key)
    page = paging.parse(request, default=LIST_DEFAULT, maximum=LIST_MAX,
                        partition=partition, row_prefix=schema.BAND_ROW_PREFIX)
    listing = paging.read(partition, page, row_prefix=schema.BAND_ROW_PREFIX)
    if page.cursor is None and listing.head is None:
        raise not_found(f"Genre with key '{key}' not found", cachetags.genre(key))
    return Answer(list_body("bands", listing.rows, listing.count, listing.next_cursor, genreKey=key),
                  tags=[cachetags.genre(key)], items=len(listing.rows))


lambda_handler = router.handle
