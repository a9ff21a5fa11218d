"""The public read tier against the design it replaces (Django + DRF over the SQL catalog), in one run.

`python -m bench.read_api` starts DynamoDB Local and a temporary SQLite catalog, fills
both with the same synthetic data (read_api's item builders / the catalog models), and
prints, with ratios:
  cold start   fresh process: import a handler + first answer, vs django.setup() + the DRF view's first answer,
               with compiled bytecode present (as deployed) and without (every import compiles first)
               and against a bare boto3 process that makes the one GetItem (import boto3, client, get_item)
  warm         per-request time of /api/bands/{key}, /api/festivals and /api/bands page 1 and page 2 (cursor):
               handler vs DRF view vs the bare boto3 call of the same request, both as the read tier sent it
               before issue 12 (every attribute) and as it sends it now (the same ProjectionExpression)
  cost         DynamoDB requests and consumed read capacity per endpoint; /api/bands page 1 vs page 17 (cursor)
  issue 15     the filters and calendars: cost (requests, RCU) and warm time of each beside /api/festivals, and the
               cold start of a calendar route (it imports icalendar) beside the festival detail's
  changes      the change feed (issue 15.3) over FEED_ENTRIES entries of band documents: requests, RCU, warm time of
               a page of 100 and of 500 beside /api/festivals, the cursor for now, and its cold start
  search       /api/search keystroke by keystroke: requests, RCU, results, warm p50/p99; search rows per record;
               its cold start beside the festival detail's
Module-level imports are the standard library only: the child processes measure their own imports.
"""

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BANDS = 1800          # /api/bands page 17 at the default limit of 100 exists
FESTIVALS = 100
GENRES = 20
ROLES = 8
WARM_REQUESTS = 300
COLD_RUNS = 7
BAND_KEY = "band-0042"
FEED_ENTRIES = 2000  # change feed entries (each a band document, as a band edit appends)
COUNTRIES = ["NO", "SE", "DE", "FR", "GB", "US", "FI", "BE", "ES", "IT"]
# The projections read_api.queries sends (DETAIL_ATTRIBUTES, LIST_ATTRIBUTES), spelled for a bare call.
DETAIL_PROJECTION, DETAIL_NAMES = "#k, #b", {"#k": "kind", "#b": "body"}
LIST_PROJECTION, LIST_NAMES = "#s, #k, #b, #c", {"#s": "SK", "#k": "kind", "#b": "body", "#c": "count"}


# --- the synthetic catalog, in the public API's shapes -------------------------------------------
def catalog() -> dict:
    genres = [{"key": f"genre-{g:02d}", "name": f"Genre {g:02d}", "description": f"Genre number {g}."} for g in range(GENRES)]
    roles = [{"key": f"role-{r}", "name": f"Role {r}", "category": "other", "description": f"Role {r}."} for r in range(ROLES)]
    bands = []
    for n in range(BANDS):
        members = [{"name": f"Member {n}-{m}", "roleKeys": [roles[(n + m) % ROLES]["key"]]} for m in range(4)]
        genre_keys = [genres[n % GENRES]["key"], genres[(n * 7 + 3) % GENRES]["key"]]
        genre_keys = list(dict.fromkeys(genre_keys))
        bands.append({
            "band": {"key": f"band-{n:04d}", "name": f"Band {n:04d}", "country": "Norway",
                     "countryCode": COUNTRIES[n % len(COUNTRIES)],
                     "description": f"Band {n} plays loud.", "logo": None, "headlineImage": None,
                     "website": f"https://band-{n:04d}.example.com", "spotify": None,
                     "genreKeys": genre_keys, "members": members, "reviewed": n % 3 == 0},
            "genres": [g for g in genres if g["key"] in genre_keys],
            "roles": [{"key": r["key"], "name": r["name"], "category": r["category"]}
                      for r in roles if any(r["key"] in m["roleKeys"] for m in members)],
        })
    festivals = []
    next_year = time.gmtime().tm_year + 1  # one edition ahead, so that /upcoming has rows
    for f in range(FESTIVALS):
        editions = []
        for year in (next_year - 2, next_year - 1, next_year):
            lineup = [bands[(f * 13 + year + i * 17) % BANDS]["band"] for i in range(40)]
            editions.append({"year": year, "dates": {"start": f"{year}-07-{1 + f % 20:02d}", "end": f"{year}-07-{4 + f % 20:02d}"},
                             "bands": [{"key": b["key"], "name": b["name"], "size": i % 4} for i, b in enumerate(lineup)],
                             "ticketPrice": 100 + f, "currency": "EUR", "status": "announced"})
        festivals.append({"festival": {"key": f"fest-{f:03d}", "name": f"Fest {f:03d}", "location": "Oslo, Norway",
                                       "countryCode": COUNTRIES[f % len(COUNTRIES)],
                                       "coordinates": {"lat": 35 + (f * 7) % 30, "lng": -10 + (f * 13) % 40},
                                       "website": f"https://fest-{f:03d}.example.com", "poster": None,
                                       "description": f"Festival {f}."},
                          "editions": editions})
    return {"genres": genres, "roles": roles, "bands": bands, "festivals": festivals}


def fill_dynamodb(data: dict) -> int:
    from read_api import items, queries, schema
    from read_api.schema import Item
    from read_api.table import admin_timeouts

    appearances: dict[str, list] = {}
    for detail in data["festivals"]:
        for edition in detail["editions"]:
            for entry in edition["bands"]:
                appearances.setdefault(entry["key"], []).append({
                    "festivalKey": detail["festival"]["key"], "festivalName": detail["festival"]["name"],
                    "location": detail["festival"]["location"], "year": edition["year"], "dates": edition["dates"],
                    "size": entry["size"], "status": edition["status"]})
    built, rows = [], {}
    for detail in data["festivals"]:
        built += items.festival_items(detail)
    for detail in data["bands"]:
        key = detail["band"]["key"]
        built += items.band_items(detail, appearances.get(key, []))
        rows[key] = items.band_row(detail, appearances.get(key, []))
    for genre in data["genres"]:
        built += items.genre_items(genre, [rows[d["band"]["key"]] for d in data["bands"] if genre["key"] in d["band"]["genreKeys"]])
    for role in data["roles"]:
        members = [{"bandKey": d["band"]["key"], "bandName": d["band"]["name"], "name": m["name"], "roleKeys": m["roleKeys"],
                    "position": i} for d in data["bands"] for i, m in enumerate(d["band"]["members"]) if role["key"] in m["roleKeys"]]
        built += items.role_items(role, members)
    reviewed = sum(1 for d in data["bands"] if d["band"]["reviewed"])
    built += [items.summary_item(schema.FESTIVALS_PK, FESTIVALS), items.summary_item(schema.BANDS_PK, BANDS),
              items.summary_item(schema.BANDS_REVIEWED_PK, reviewed),
              items.summary_item(schema.BANDS_UNREVIEWED_PK, BANDS - reviewed),
              items.summary_item(schema.GENRES_PK, GENRES), items.summary_item(schema.ROLES_PK, ROLES)]
    # issue 12.5: each country's count, as publishing keeps it
    built += items.country_count_items(schema.FESTIVAL_COUNTRIES_PK,
                                       items.country_counts(d["festival"] for d in data["festivals"]))
    built += items.country_count_items(schema.BAND_COUNTRIES_PK, items.country_counts(d["band"] for d in data["bands"]))
    ends: dict = {}  # and the upcoming counts by month
    for detail in data["festivals"]:
        for edition in detail["editions"]:
            key = (detail["festival"].get("countryCode"), edition["dates"]["end"])
            ends[key] = ends.get(key, 0) + 1
    built += items.upcoming_count_items(ends, queries.today())
    with admin_timeouts(), Item.batch_write() as batch:
        for item in built:
            batch.save(item)
    return len(built)


# --- the DRF baseline (runs in its own process) --------------------------------------------------
def _drf_views():
    """A minimal DRF design of the same two answers straight from the SQL catalog (the design replaced)."""
    from django.db.models import Count, Prefetch
    from rest_framework.response import Response
    from rest_framework.views import APIView

    from catalog.models import Band, Edition, Festival

    def dates(edition):
        return {"start": edition.start_date.isoformat(), "end": edition.end_date.isoformat()}

    class BandDetail(APIView):
        authentication_classes: list = []
        permission_classes: list = []

        def get(self, request, key):
            band = Band.objects.prefetch_related("genres", "members__roles").get(key=key)
            genres = list(band.genres.all())
            members = list(band.members.all())
            roles = {r.key: r for m in members for r in m.roles.all()}
            return Response({
                "band": {"key": band.key, "name": band.name, "country": band.country.name if band.country else None,
                         "description": band.description, "logo": band.logo_url or None,
                         "headlineImage": band.headline_image_url or None, "website": band.website or None,
                         "spotify": band.spotify or None, "genreKeys": [g.key for g in genres],
                         "members": [{"name": m.name, "roleKeys": [r.key for r in m.roles.all()]} for m in members],
                         "reviewed": band.reviewed},
                "genres": [{"key": g.key, "name": g.name, "description": g.description} for g in genres],
                "roles": [{"key": r.key, "name": r.name, "category": r.category} for r in roles.values()],
            })

    class FestivalList(APIView):
        authentication_classes: list = []
        permission_classes: list = []

        def get(self, request):
            rows = []
            editions = Edition.objects.annotate(band_count=Count("lineup")).order_by()
            festivals = Festival.objects.prefetch_related(Prefetch("editions", queryset=editions)).order_by("key")[:100]
            for festival in festivals:
                editions = sorted(festival.editions.all(), key=lambda e: e.year)
                latest = editions[-1] if editions else None
                rows.append({
                    "festivalKey": festival.key, "festivalName": festival.name, "location": festival.location,
                    "coordinates": {"lat": float(festival.latitude), "lng": float(festival.longitude)} if festival.latitude is not None else None,
                    "website": festival.website or None, "poster": festival.poster_url or None,
                    "latestEdition": {"year": latest.year, "dates": dates(latest), "bandCount": latest.band_count,
                                      "ticketPrice": float(latest.ticket_price) if latest.ticket_price is not None else None,
                                      "currency": latest.currency or None} if latest else None,
                    "editions": [e.year for e in editions], "totalEditions": len(editions),
                })
            return Response({"festivals": rows, "count": Festival.objects.count()})

    return BandDetail.as_view(), FestivalList.as_view()


def fill_sql(data: dict) -> None:
    """Runs under Django: the same catalog as rows (bulk, no history), in the temporary SQLite DB."""
    import datetime as dt

    from catalog.models import Band, Edition, Festival, Genre, LineupEntry, Member, Role

    genres = {g["key"]: Genre(key=g["key"], name=g["name"], description=g["description"]) for g in data["genres"]}
    Genre.objects.bulk_create(genres.values())
    roles = {r["key"]: Role(key=r["key"], name=r["name"], category=r["category"], description=r["description"]) for r in data["roles"]}
    Role.objects.bulk_create(roles.values())
    bands = {}
    for d in data["bands"]:
        b = d["band"]
        bands[b["key"]] = Band(key=b["key"], name=b["name"], country="NO", description=b["description"],
                               website=b["website"] or "", reviewed=b["reviewed"])
    Band.objects.bulk_create(bands.values())
    Band.genres.through.objects.bulk_create(
        Band.genres.through(band=bands[d["band"]["key"]], genre=genres[g]) for d in data["bands"] for g in d["band"]["genreKeys"])
    members = []
    for d in data["bands"]:
        for i, m in enumerate(d["band"]["members"]):
            members.append((Member(band=bands[d["band"]["key"]], name=m["name"], order=i), m["roleKeys"]))
    Member.objects.bulk_create(m for m, _ in members)
    Member.roles.through.objects.bulk_create(
        Member.roles.through(member=m, role=roles[r]) for m, keys in members for r in keys)
    for f in data["festivals"]:
        meta = f["festival"]
        festival = Festival.objects.create(key=meta["key"], name=meta["name"], city="Oslo", country="NO",
                                           latitude=meta["coordinates"]["lat"], longitude=meta["coordinates"]["lng"],
                                           description=meta["description"])
        for e in f["editions"]:
            edition = Edition.objects.create(festival=festival, year=e["year"],
                                             start_date=dt.date.fromisoformat(e["dates"]["start"]),
                                             end_date=dt.date.fromisoformat(e["dates"]["end"]),
                                             ticket_price=e["ticketPrice"], currency=e["currency"], status=e["status"])
            LineupEntry.objects.bulk_create(
                LineupEntry(edition=edition, band=bands[b["key"]], billing_size=b["size"], order=i) for i, b in enumerate(e["bands"]))


def django_child(mode: str) -> None:
    """`python -m bench.read_api --django <mode>`: django.setup(), the DRF view's first answer (or `fill`: load the catalog)."""
    import django

    django.setup()
    from rest_framework.test import APIRequestFactory

    if mode == "fill":
        fill_sql(catalog())
        return
    band_view, festival_view = _drf_views()
    factory = APIRequestFactory()

    def band():
        response = band_view(factory.get(f"/api/bands/{BAND_KEY}"), key=BAND_KEY)
        return response.render().content

    def festivals():
        return festival_view(factory.get("/api/festivals")).render().content

    first = band() if mode == "band" else festivals()
    print(json.dumps({"first": len(first)}), flush=True)


def read_api_child(mode: str) -> None:
    """`python -m bench.read_api --read-api <mode>`: import a handler and serve its first answer."""
    path = {"band": f"/api/bands/{BAND_KEY}", "festivals": "/api/festivals", "detail": "/api/festivals/fest-007",
            "calendar": "/api/festivals/fest-007/calendar.ics", "changes": "/api/changes", "search": "/api/search"}[mode]
    query = None
    if mode == "band":
        from read_api.handlers import bands as module
    elif mode == "search":
        from read_api.handlers import search as module
        query = {"q": "band"}
    elif mode == "changes":
        from read_api.handlers import changes as module
        query = {"since": _feed_cursor_a_day_ago()}
    else:
        from read_api.handlers import festivals as module
    with open(os.devnull, "w") as devnull:
        stdout, sys.stdout = sys.stdout, devnull  # the handler's log line goes where CloudWatch would be
        try:
            result = module.lambda_handler({"path": path, "httpMethod": "GET", "queryStringParameters": query}, None)
        finally:
            sys.stdout = stdout
    assert result["statusCode"] == 200, result
    print(json.dumps({"first": len(result["body"])}), flush=True)


def _quietly(function):
    """`function()` with the handlers' log lines sent nowhere."""
    with open(os.devnull, "w") as devnull:
        stdout, sys.stdout = sys.stdout, devnull
        try:
            return function()
        finally:
            sys.stdout = stdout


def _warm_rows(calls: dict, baseline: str) -> list[tuple[str, str, str, str]]:
    """Warm time of each call (interleaved) beside the one of /api/festivals."""
    warm = _quietly(lambda: _interleaved(calls, n=WARM_REQUESTS // 3))
    base = warm["/api/festivals"]
    return [(f"warm {label}", f"{value:.2f} ms", f"/api/festivals {base:.2f} ms", f"{value / base:.2f}× of {baseline}")
            for label, value in warm.items() if label != "/api/festivals"]


# --- the change feed (issue 15.3) ------------------------------------------------------------------
def _feed_cursor_a_day_ago() -> str:
    from read_api import feed
    from read_api.handlers import changes

    return changes._cursor(feed.horizon(feed.now_ms() - feed.DAY_MS))


def fill_feed(data: dict, client, table_name: str) -> int:
    """FEED_ENTRIES upserts of band documents in the feed's partition, stamped over the last hour (all settled)."""
    from read_api import feed, items

    start = feed.now_ms() - 3_600_000
    entries = []
    for n in range(FEED_ENTRIES):
        detail = data["bands"][n % BANDS]
        tail = feed.entry_tail("band", detail["band"]["key"], item_kind="band", body=items.dumps(detail))
        entries.append(feed.entry_attributes(ms=start + n, token=1, shard=0, n=n, tail=tail))
    for first in range(0, len(entries), 25):
        request = {table_name: [{"PutRequest": {"Item": e}} for e in entries[first:first + 25]]}
        while request:
            request = client.batch_write_item(RequestItems=request).get("UnprocessedItems") or None
    return len(entries)


def feed_rows(client, table_name: str, data: dict, cost, list_call, env: dict) -> list[tuple[str, str, str, str]]:
    """Cost (requests, RCU), warm time beside /api/festivals, and cold start of /api/changes."""
    from read_api.handlers import changes

    fill_feed(data, client, table_name)
    since = _feed_cursor_a_day_ago()
    rows = []
    calls = {"/api/festivals": list_call}
    for label, query in (("/api/changes (cursor for now)", None), ("/api/changes?since=… (100 entries)", {"since": since}),
                         ("/api/changes?since=…&limit=500", {"since": since, "limit": "500"})):
        requests_, capacity, body = cost("/api/changes", query)
        size = len(json.dumps(body).encode())
        rows.append((f"cost {label}", f"{requests_} request", f"{capacity:g} RCU",
                     f"{len(body['changes'])} entries, {size / 1024:.0f} KB"))
        event = {"path": "/api/changes", "httpMethod": "GET", "queryStringParameters": query}
        calls[label] = (lambda e: lambda: changes.lambda_handler(e, None))(event)
    rows += _warm_rows(calls, "/api/festivals")
    rows.append(_cold_beside_detail("changes", "/api/changes?since=…", env))
    return rows


def _cold_beside_detail(mode: str, label: str, env: dict) -> tuple[str, str, str, str]:
    """Cold start (with bytecode) of a route's first answer beside the festival detail's, fresh processes."""
    ours = [sys.executable, "-m", "bench.read_api", "--read-api", mode]
    detail = [sys.executable, "-m", "bench.read_api", "--read-api", "detail"]
    _cold_once(ours, {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"})  # writes its bytecode
    cold, detail_cold = _cold_pair(ours, detail, env)
    return (f"cold start {label} (bytecode)", f"{cold:.0f} ms", f"detail {detail_cold:.0f} ms",
            f"{cold / detail_cold:.2f}× of the festival detail")


def bare_child() -> None:
    """`python -m bench.read_api --bare get`: import boto3, make a client, one GetItem of the band (every attribute)."""
    import boto3

    client = boto3.client("dynamodb", endpoint_url=os.environ.get("AWS_ENDPOINT_URL_DYNAMODB"),
                          region_name=os.environ["AWS_REGION"])
    item = client.get_item(TableName=os.environ["DYNAMODB_TABLE_NAME"],
                           Key={"PK": {"S": f"BAND#{BAND_KEY}"}, "SK": {"S": "METADATA"}})["Item"]
    print(json.dumps({"first": len(item["body"]["S"])}), flush=True)


def _cold_once(command: list[str], env: dict) -> float:
    """Process start → first answer printed, in seconds."""
    start = time.perf_counter()
    child = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    line = child.stdout.readline()
    elapsed = time.perf_counter() - start
    assert line.startswith('{"first"'), line
    child.kill()
    child.wait()
    return elapsed


def _cold_pair(ours: list[str], theirs: list[str], env: dict) -> tuple[float, float]:
    """Medians (ms) of COLD_RUNS fresh processes each, alternating."""
    a, b = [], []
    for _ in range(COLD_RUNS):
        a.append(_cold_once(ours, env))
        b.append(_cold_once(theirs, env))
    return statistics.median(a) * 1000, statistics.median(b) * 1000


def _interleaved(calls: dict, n: int = WARM_REQUESTS) -> dict:
    """Median ms per call, the calls taking turns so that load drift hits all alike.

    The order rotates every round: a call that always ran right after the DRF view (whose
    Python work evicts the CPU caches) paid for it in every sample.
    """
    for call in calls.values():
        for _ in range(5):
            call()
    samples: dict = {name: [] for name in calls}
    order = list(calls.items())
    for round_ in range(n):
        shift = round_ % len(order)
        for name, call in order[shift:] + order[:shift]:
            start = time.perf_counter()
            call()
            samples[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1000 for name, values in samples.items()}


def measure() -> list[tuple[str, str, str, str]]:
    from devtools.dynamodb_local import DynamoDBLocal

    rows: list[tuple[str, str, str, str]] = []
    server = DynamoDBLocal().start()
    workdir = tempfile.TemporaryDirectory(prefix="bench-read-api-")
    try:
        env = {**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": server.endpoint, "AWS_ACCESS_KEY_ID": "local",
               "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": "eu-west-1", "DYNAMODB_TABLE_NAME": "MetalFestsBench",
               "DJANGO_SETTINGS_MODULE": "metalfests.settings.test",
               "DATABASE_URL": f"sqlite:///{workdir.name}/catalog.sqlite3", "PYTHONDONTWRITEBYTECODE": "1"}
        os.environ.update({k: env[k] for k in ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                               "AWS_REGION", "DYNAMODB_TABLE_NAME")})
        from read_api import config, table

        config.reload()
        table.create()
        data = catalog()
        print(f"filling DynamoDB Local: {fill_dynamodb(data)} items …", file=sys.stderr, flush=True)
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        subprocess.run([sys.executable, "-m", "bench.read_api", "--django", "fill"], cwd=ROOT, env=env, check=True)
        print("filled the SQLite catalog; measuring …", file=sys.stderr, flush=True)

        # cold start: fresh processes, ours and DRF alternating so that machine load hits both alike;
        # with compiled bytecode (as deployed: our zip carries it, Lambda's botocore and a Zappa
        # package have it) and without any (every import compiles its source first).
        no_bytecode = tempfile.TemporaryDirectory(prefix="bench-no-pyc-")
        conditions = (("bytecode", env),
                      ("no bytecode", {**env, "PYTHONPYCACHEPREFIX": no_bytecode.name}))
        for mode, label in (("band", f"/api/bands/{BAND_KEY}"), ("festivals", "/api/festivals")):
            ours_command = [sys.executable, "-m", "bench.read_api", "--read-api", mode]
            drf_command = [sys.executable, "-m", "bench.read_api", "--django", mode]
            for command in (ours_command, drf_command):  # writes the bytecode the first condition reads
                _cold_once(command, {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"})
            for condition, condition_env in conditions:
                ours, drf = _cold_pair(ours_command, drf_command, condition_env)
                rows.append((f"cold start {label} ({condition})", f"{ours:.0f} ms", f"DRF {drf:.0f} ms",
                             f"{ours / drf:.2f}× of DRF"))
        # against the floor: a process that does nothing but import boto3 and make the one GetItem
        ours_command = [sys.executable, "-m", "bench.read_api", "--read-api", "band"]
        bare_command = [sys.executable, "-m", "bench.read_api", "--bare", "get"]
        _cold_once(bare_command, {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"})
        ours, bare = _cold_pair(ours_command, bare_command, env)
        rows.append((f"cold start /api/bands/{BAND_KEY} (bytecode)", f"{ours:.0f} ms", f"boto3 get_item {bare:.0f} ms",
                     f"{ours / bare:.2f}× of bare process"))
        # issue 15: a calendar route imports icalendar on its first answer; the JSON detail does not
        rows.append(_cold_beside_detail("calendar", "/api/festivals/fest-007/calendar.ics", env))
        rows.append(_cold_beside_detail("search", "/api/search?q=band", env))  # issue 15.1
        no_bytecode.cleanup()

        # warm, all in this process and interleaved: handler, bare boto3 call of the same items, DRF view
        import boto3
        import django

        from read_api.handlers import bands, festivals

        os.environ.update({k: env[k] for k in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL")})
        django.setup()
        from rest_framework.test import APIRequestFactory

        band_view, festival_view = _drf_views()
        factory = APIRequestFactory()
        client = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="eu-west-1")
        table_name = env["DYNAMODB_TABLE_NAME"]
        band_event = {"path": f"/api/bands/{BAND_KEY}", "httpMethod": "GET"}
        list_event = {"path": "/api/festivals", "httpMethod": "GET"}
        bands_event = {"path": "/api/bands", "httpMethod": "GET"}
        with open(os.devnull, "w") as devnull:
            stdout, sys.stdout = sys.stdout, devnull
            try:
                band_key = {"PK": {"S": f"BAND#{BAND_KEY}"}, "SK": {"S": "METADATA"}}
                band = _interleaved({
                    "ours": lambda: bands.lambda_handler(band_event, None),
                    "bare": lambda: client.get_item(TableName=table_name, Key=band_key),
                    "projected": lambda: client.get_item(TableName=table_name, Key=band_key,
                                                         ProjectionExpression=DETAIL_PROJECTION,
                                                         ExpressionAttributeNames=DETAIL_NAMES),
                    "drf": lambda: band_view(factory.get(f"/api/bands/{BAND_KEY}"), key=BAND_KEY).render().content,
                })
                first_page = json.loads(bands.lambda_handler(bands_event, None)["body"])
                cursor_event = {"path": "/api/bands", "httpMethod": "GET",
                                 "queryStringParameters": {"cursor": first_page["nextCursor"]}}
                band_list = _interleaved({
                    "ours": lambda: bands.lambda_handler(bands_event, None),
                    "cursor": lambda: bands.lambda_handler(cursor_event, None),
                    "bare": lambda: client.query(
                        TableName=table_name, KeyConditionExpression="PK = :pk", Limit=102,
                        ExpressionAttributeValues={":pk": {"S": "METADATA#BANDS"}}),
                    "projected": lambda: client.query(
                        TableName=table_name, KeyConditionExpression="PK = :pk", Limit=102,
                        ExpressionAttributeValues={":pk": {"S": "METADATA#BANDS"}},
                        ProjectionExpression=LIST_PROJECTION, ExpressionAttributeNames=LIST_NAMES),
                })
                listing = _interleaved({
                    "ours": lambda: festivals.lambda_handler(list_event, None),
                    "bare": lambda: client.query(
                        TableName=table_name, KeyConditionExpression="PK = :pk", Limit=102,
                        ExpressionAttributeValues={":pk": {"S": "METADATA#FESTIVALS"}}),
                    "projected": lambda: client.query(
                        TableName=table_name, KeyConditionExpression="PK = :pk", Limit=102,
                        ExpressionAttributeValues={":pk": {"S": "METADATA#FESTIVALS"}},
                        ProjectionExpression=LIST_PROJECTION, ExpressionAttributeNames=LIST_NAMES),
                    "drf": lambda: festival_view(factory.get("/api/festivals")).render().content,
                })
            finally:
                sys.stdout = stdout
        for label, t in ((f"warm /api/bands/{BAND_KEY}", band), ("warm /api/festivals", listing)):
            rows.append((label, f"{t['ours']:.2f} ms", f"boto3 {t['bare']:.2f} ms",
                         f"{t['ours'] / t['bare']:.2f}× of bare call (every attribute)"))
            rows.append((label, f"{t['ours']:.2f} ms", f"boto3 {t['projected']:.2f} ms",
                         f"{t['ours'] / t['projected']:.2f}× of bare call (projected)"))
            rows.append((label, f"{t['ours']:.2f} ms", f"DRF {t['drf']:.2f} ms", f"{t['drf'] / t['ours']:.1f}× faster than DRF"))
        # the band list (page 1 signs a nextCursor) and its page 2 (verifies the cursor, signs the next one)
        for label, value in (("warm /api/bands (page 1)", band_list["ours"]),
                             ("warm /api/bands (page 2, cursor)", band_list["cursor"])):
            rows.append((label, f"{value:.2f} ms", f"boto3 {band_list['bare']:.2f} ms",
                         f"{value / band_list['bare']:.2f}× of bare call (every attribute)"))
            rows.append((label, f"{value:.2f} ms", f"boto3 {band_list['projected']:.2f} ms",
                         f"{value / band_list['projected']:.2f}× of bare call (projected)"))

        # cost per endpoint
        from read_api import queries

        def cost(path, query=None):
            event = {"path": path, "httpMethod": "GET", "queryStringParameters": query}
            module = {"festivals": festivals, "bands": bands}.get(path.split("/")[2])
            if module is None:
                from read_api.handlers import changes, genres, roles, search
                module = {"genres": genres, "roles": roles, "changes": changes, "search": search}[path.split("/")[2]]
            with open(os.devnull, "w") as devnull:
                stdout, sys.stdout = sys.stdout, devnull
                try:
                    result = module.lambda_handler(event, None)
                finally:
                    sys.stdout = stdout
            assert result["statusCode"] == 200, (path, result["body"][:300])
            body = json.loads(result["body"]) if result["body"].startswith("{") else result["body"]
            return queries.stats.requests, queries.stats.capacity, body

        for path in ["/api/festivals", "/api/festivals/upcoming", "/api/festivals/fest-007",
                     "/api/festivals/fest-007/editions", f"/api/festivals/fest-007/editions/{time.gmtime().tm_year}", "/api/bands",
                     "/api/bands/reviewed", "/api/bands/unreviewed", f"/api/bands/{BAND_KEY}",
                     f"/api/bands/{BAND_KEY}/festivals", "/api/genres", "/api/genres/genre-03",
                     "/api/genres/genre-03/bands", "/api/roles", "/api/roles/role-1", "/api/roles/role-1/members"]:
            requests_, capacity, _ = cost(path)
            rows.append((f"cost {path}", f"{requests_} request", f"{capacity:g} RCU", ""))
        _, first_capacity, body = cost("/api/bands")
        for _ in range(16):
            _, capacity, body = cost("/api/bands", {"cursor": body["nextCursor"]})
        from read_api import paging

        _, offset_capacity, _ = cost("/api/bands", {"offset": str(paging.MAX_OFFSET)})  # deeper offsets are a 400
        rows.append(("cost /api/bands page 17 (cursor)", f"{capacity:g} RCU", f"page 1 {first_capacity:g} RCU",
                     f"{capacity / first_capacity:.2f}× of page 1"))
        rows.append((f"cost /api/bands page 6 (offset={paging.MAX_OFFSET}, the cap)", f"{offset_capacity:g} RCU",
                     f"page 1 {first_capacity:g} RCU",
                     f"{offset_capacity / first_capacity:.2f}× of page 1"))

        # issue 15: each filter and calendar, one request; its warm time beside the unfiltered list's
        next_year = time.gmtime().tm_year + 1
        new = [("/api/festivals", {"country": "NO"}), ("/api/festivals", {"month": f"{next_year}-07"}),
               ("/api/festivals", {"bbox": "45,0,60,20"}), ("/api/festivals", {"country": "DE", "month": f"{next_year}-07"}),
               ("/api/festivals", {"country": "DE", "bbox": "45,0,60,20"}),
               ("/api/festivals/upcoming", {"country": "NO"}), ("/api/festivals/upcoming", {"bbox": "45,0,60,20"}),
               ("/api/bands", {"country": "SE"}), ("/api/bands", {"genre": "genre-03"}),
               ("/api/festivals/fest-007/calendar.ics", None), (f"/api/bands/{BAND_KEY}/calendar.ics", None),
               ("/api/festivals/upcoming.ics", None), ("/api/festivals/upcoming.ics", {"country": "NO"})]
        calls = {"/api/festivals": lambda: festivals.lambda_handler(list_event, None)}
        for path, query in new:
            requests_, capacity, body = cost(path, query)
            label = path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")
            shown = len(body["festivals"] if "festivals" in body else body["bands"]) if isinstance(body, dict) \
                else body.count("BEGIN:VEVENT")
            counted = "" if not isinstance(body, dict) else \
                f", count {body['count']}" if "count" in body else ", count absent (not exact on this page)"
            rows.append((f"cost {label}", f"{requests_} request", f"{capacity:g} RCU", f"{shown} rows/events{counted}"))
            module = bands if path.startswith("/api/bands") else festivals
            event = {"path": path, "httpMethod": "GET", "queryStringParameters": query}
            calls[label] = (lambda m, e: lambda: m.lambda_handler(e, None))(module, event)
        rows += _warm_rows(calls, "the unfiltered list")
        rows += _calendar_lines_vs_library()
        rows += feed_rows(client, table_name, data, cost, calls["/api/festivals"], env)
        rows += _search_rows(cost, client, table_name)
    finally:
        server.stop()
        workdir.cleanup()
    return rows


def _calendar_lines_vs_library(events: int = 500, runs: int = 5) -> list[tuple]:
    """Issue 15.4: /upcoming.ics's events written as lines (read_api.calendars) vs one icalendar object each."""
    import datetime as dt

    from icalendar import Calendar, Event

    from read_api import calendars

    rows = [(json.dumps({"festivalKey": f"fest-{n}", "festivalName": f"Fest {n}", "location": "Oslo, Norway",
                         "coordinates": {"lat": 59.9, "lng": 10.7}, "website": f"https://fest-{n}.example.com",
                         "latestEdition": {"year": 2027, "dates": {"start": "2027-07-01", "end": "2027-07-04"}}}),
             "2026-11-30T10:00:00Z") for n in range(events)]

    def with_objects():
        calendar = calendars._calendar("Upcoming")
        for body, _ in rows:
            row = json.loads(body)
            edition, when = row["latestEdition"], dt.datetime(2026, 11, 30, 10, tzinfo=dt.UTC)
            event = Event()
            for name, value in (("uid", calendars.uid(row["festivalKey"], edition["year"])), ("dtstamp", when),
                                ("last-modified", when), ("summary", f"{row['festivalName']} {edition['year']}"),
                                ("dtstart", dt.date.fromisoformat(edition["dates"]["start"])),
                                ("dtend", dt.date.fromisoformat(edition["dates"]["end"]) + dt.timedelta(days=1)),
                                ("transp", "TRANSPARENT"), ("location", row["location"]),
                                ("geo", (row["coordinates"]["lat"], row["coordinates"]["lng"])),
                                ("url", row["website"])):
                event.add(name, value)
            calendar.add_component(event)
        return calendar.to_ical()

    def best(function) -> float:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
        return min(times) * 1000 / events

    lines = best(lambda: calendars.upcoming_calendar(rows, "Upcoming"))
    objects = best(with_objects)
    assert len(Calendar.from_ical(calendars.upcoming_calendar(rows, "Upcoming")).walk("VEVENT")) == events
    return [(f"calendar: build {events} events, per event", f"{lines:.3f} ms", f"icalendar objects {objects:.3f} ms",
             f"{objects / lines:.1f}× faster")]


def measure_changes() -> list[tuple[str, str, str, str]]:
    """`python -m bench.read_api --changes`: the change feed's rows only (no SQL catalog, no DRF)."""
    from devtools.dynamodb_local import DynamoDBLocal

    server = DynamoDBLocal().start()
    try:
        env = {**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": server.endpoint, "AWS_ACCESS_KEY_ID": "local",
               "AWS_SECRET_ACCESS_KEY": "local", "AWS_REGION": "eu-west-1", "DYNAMODB_TABLE_NAME": "MetalFestsBench"}
        os.environ.update(env)
        import boto3

        from read_api import config, queries, table
        from read_api.handlers import changes, festivals

        config.reload()
        table.create()
        data = catalog()
        fill_dynamodb(data)
        client = boto3.client("dynamodb", endpoint_url=server.endpoint, region_name="eu-west-1")

        def cost(path, query=None):
            result = _quietly(lambda: changes.lambda_handler({"path": path, "httpMethod": "GET",
                                                              "queryStringParameters": query}, None))
            assert result["statusCode"] == 200, result["body"][:300]
            return queries.stats.requests, queries.stats.capacity, json.loads(result["body"])

        list_event = {"path": "/api/festivals", "httpMethod": "GET"}
        return feed_rows(client, env["DYNAMODB_TABLE_NAME"], data, cost,
                         lambda: festivals.lambda_handler(list_event, None), env)
    finally:
        server.stop()


# --- issue 15.1: search as you type --------------------------------------------------------------
SEARCH_KEYSTROKES = ["b", "ba", "band", "band 0", "band 004", "band 0042", "0042", "fest 00", "band 0042 live"]


def _search_rows(cost, client, table_name: str) -> list[tuple[str, str, str, str]]:
    """Each keystroke of a search: requests, RCU, results and warm p50/p99 (ms); the prefix rows in the table."""
    from read_api import schema, search
    from read_api.handlers import search as search_handler

    rows = []
    calls = {}
    for q in SEARCH_KEYSTROKES:
        requests_, capacity, body = cost("/api/search", {"q": q})
        rows.append((f"cost /api/search?q={q}", f"{requests_} request", f"{capacity:g} RCU",
                     f"{body['count']} results"))
        event = {"path": "/api/search", "httpMethod": "GET", "queryStringParameters": {"q": q}}
        calls[q] = (lambda e: lambda: search_handler.lambda_handler(e, None))(event)
    samples: dict = {q: [] for q in calls}
    with open(os.devnull, "w") as devnull:
        stdout, sys.stdout = sys.stdout, devnull
        try:
            for call in calls.values():
                call()
            for _ in range(WARM_REQUESTS // 3):
                for q, call in calls.items():
                    start = time.perf_counter()
                    call()
                    samples[q].append((time.perf_counter() - start) * 1000)
        finally:
            sys.stdout = stdout
    for q, values in samples.items():
        values.sort()
        p99 = values[min(len(values) - 1, int(len(values) * 0.99))]
        rows.append((f"warm /api/search?q={q}", f"p50 {statistics.median(values):.2f} ms", f"p99 {p99:.2f} ms", ""))
    search_rows = manifests = 0
    for page in client.get_paginator("scan").paginate(TableName=table_name, ProjectionExpression="PK, SK"):
        search_rows += sum(1 for i in page["Items"] if i["PK"]["S"].startswith(schema.SEARCH_PREFIX))
        manifests += sum(1 for i in page["Items"] if i["SK"]["S"] == schema.SEARCH_MANIFEST)
    rows.append(("search rows in the table", f"{search_rows}", f"{manifests} bands and festivals",
                 f"{search_rows / max(manifests, 1):.1f} rows per record (prefixes <= {search.MAX_PREFIX} chars)"))
    return rows


def print_table(rows) -> None:
    header = ("measure", "read_api", "baseline", "ratio")
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(4)]

    def line(row):
        return "| " + " | ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) + " |"

    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for row in rows:
        print(line(row))


def main() -> None:
    print_table(measure())


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--django":
        django_child(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--read-api":
        read_api_child(sys.argv[2])
    elif len(sys.argv) == 3 and sys.argv[1] == "--bare":
        bare_child()
    elif sys.argv[1:] == ["--changes"]:
        print_table(measure_changes())
    else:
        main()
