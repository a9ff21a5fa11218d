"""SearchFunction: /api/search?q= — bands and festivals by name as the user types, one Query per answer.

`q` is normalised as names are indexed (`read_api.search`); its first MAX_PREFIX characters
name the partition `SEARCH#<prefix>`, whose rows sort by rank, so the first 20 are the answer.
A longer `q` reads that partition's rows whose indexed text starts with it (a filter; DynamoDB's
Limit counts rows before it, so the read evaluates up to LONG_QUERY_ROWS rows) and puts the
record whose whole name is `q` first.
"""

from .. import cachetags, queries, schema, search
from ..http import Answer, Router, dumps, invalid

router = Router("search")
LONG_QUERY_ROWS = 1000  # rows a query longer than the indexed prefix may evaluate (a partition of a long prefix is small)


def _query_param(request) -> str:
    raw = request.query.get("q")
    if raw is None:
        raise invalid("q", "'q' is required: the start of a band's or festival's name")
    if len(raw) > search.MAX_QUERY:
        raise invalid("q", f"'q' must be at most {search.MAX_QUERY} characters", maxLength=search.MAX_QUERY)
    query = search.normalise(raw)
    if not query:
        raise invalid("q", "'q' must contain a letter or a digit")
    return query


@router.route("/api/search", ttl=600, params=("q",))
def search_names(request):
    query = _query_param(request)
    prefix = search.partition_prefix(query)
    partition = schema.search_pk(prefix)
    if query == prefix:
        page = queries.query(partition, limit=search.MAX_RESULTS, attributes=("body",))
        rows = [item["body"]["S"] for item in page.items]
    else:
        page = queries.query(partition, limit=LONG_QUERY_ROWS, attributes=("SK", "body"),
                             filter_condition=schema.Item.term.startswith(query))
        found = sorted(page.items, key=lambda item: search.name_of_sk(item["SK"]["S"]) != query)  # stable: rank kept
        rows = [item["body"]["S"] for item in found[:search.MAX_RESULTS]]
    body = f'{{"query":{dumps(query)},"results":[{",".join(rows)}],"count":{len(rows)}}}'
    return Answer(body, tags=[cachetags.search(prefix)], items=len(rows))


lambda_handler = router.handle
