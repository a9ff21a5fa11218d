"""RolesFunction: /api/roles, /api/roles/{key}, /api/roles/{key}/members."""

from .. import cachetags, paging, queries, schema
from ..http import PAGING, Answer, Router, key_param, list_body, not_found

router = Router("roles")
LIST_DEFAULT, LIST_MAX = 100, 500


@router.route("/api/roles", ttl=3600, params=PAGING)
def role_list(request):
    # The specification returns all roles at once: no `limit`, the whole list; with `limit`, cursor pages.
    page = paging.parse(request, default=None, maximum=LIST_MAX,
                        partition=schema.ROLES_PK, row_prefix=schema.ROLE_ROW_PREFIX)
    listing = paging.read(schema.ROLES_PK, page, row_prefix=schema.ROLE_ROW_PREFIX)
    return Answer(list_body("roles", listing.rows, listing.count, listing.next_cursor),
                  tags=[cachetags.ROLES], items=len(listing.rows))


@router.route("/api/roles/{key}", ttl=3600)
def role_detail(request, key):
    key = key_param(key)
    item = queries.get(schema.role_pk(key), schema.METADATA)
    if item is None:
        raise not_found(f"Role with key '{key}' not found", cachetags.role(key))
    return Answer(item["body"]["S"], tags=[cachetags.role(key)])


@router.route("/api/roles/{key}/members", ttl=600, params=PAGING)
def role_members(request, key):
    key = key_param(key)
    partition = schema.role_members_pk(key)
    page = paging.parse(request, default=LIST_DEFAULT, maximum=LIST_MAX,
                        partition=partition, row_prefix=schema.MEMBER_PREFIX)
    listing = paging.read(partition, page, row_prefix=schema.MEMBER_PREFIX)
    if page.cursor is None and listing.head is None:
        raise not_found(f"Role with key '{key}' not found", cachetags.role(key))
    return Answer(list_body("members", listing.rows, listing.count, listing.next_cursor, roleKey=key),
                  tags=[cachetags.role(key)], items=len(listing.rows))


lambda_handler = router.handle
