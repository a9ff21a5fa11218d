"""Admin benchmark at catalog scale: server time and SQL queries per page, printed as a table.

A scratch PostgreSQL database is filled with synthetic rows by bulk_create (bands with genres and a
member, festivals with one edition of 50 bands each, one festival per ~52 bands as in the ×100
target of 170,000 bands and 3,300 festivals), then grown size after size. At each size, each page
is opened through Django's test client as a superuser (so the time is the server's: view, queries,
template), three times, and the median is printed with the query count. Two editions have lineups
of 35 and 300 bands; their change forms are opened and saved (one row changed).

Run: `python -m bench.admin` (part of `make bench`). Needs PostgreSQL: ADMIN_BENCH_POSTGRES names
the server (default postgres://postgres@127.0.0.1:5432/postgres); sizes from ADMIN_BENCH_SIZES
(default 1000,10000,170000). The database is dropped at the end.
"""

import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("ADMIN_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")
SIZES = [int(s) for s in os.environ.get("ADMIN_BENCH_SIZES", "1000,10000,170000").split(",")]
ROUNDS = 3
BANDS_PER_FESTIVAL = 52
LINEUP = 50
COUNTRIES = ["FI", "DE", "US", "SE", "NO", "GB", "FR", "BR", "PL", "IT", "NL", "CA", "ES", "JP", "AT", "CZ"]
WORDS = ["Grave", "Iron", "Black", "Doom", "Frost", "Storm", "Night", "Blood", "Wolf", "Throne", "Ash", "Void"]


def _server_sql(statement: str) -> None:
    import psycopg

    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(statement)


def _configure(name: str) -> None:
    parts = urlsplit(SERVER)
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "metalfests.settings.test",
        "DATABASE_URL": urlunsplit(parts._replace(path=f"/{name}")),
        "PUBLISH_ON_COMMIT": "false",
        "ALLOWED_HOSTS": "testserver",
    })
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


class World:
    """The synthetic catalog, grown in place with bulk_create."""

    def __init__(self):
        from catalog.models import Genre, Role

        self.genres = Genre.objects.bulk_create(Genre(key=f"genre-{i}", name=f"Genre {i}") for i in range(40))
        self.roles = Role.objects.bulk_create(Role(key=f"role-{i}", name=f"Role {i}") for i in range(12))
        self.bands = 0
        self.festivals = 0

    def grow(self, bands: int) -> None:
        from catalog.models import Band, Edition, Festival, LineupEntry, Member

        start, self.bands = self.bands, bands
        snapshot = {"description": "x" * 300, "members": [{"name": "someone", "roles": ["role-1"]}] * 3}
        new = Band.objects.bulk_create(
            (
                Band(
                    key=f"band-{i}", name=f"{WORDS[i % len(WORDS)]} {WORDS[i * 7 % len(WORDS)]} {i}",
                    country=COUNTRIES[(i * i) % len(COUNTRIES)] if i % 9 else "",
                    description="A band. " * 20, reviewed=i % 3 == 0,
                    review_status="approved" if i % 4 else "draft",
                    published_snapshot=snapshot if i % 4 else None,
                )
                for i in range(start, bands)
            ),
            batch_size=5000,
        )
        through = Band.genres.through
        through.objects.bulk_create(
            (through(band_id=b.pk, genre_id=self.genres[(b.pk * k) % len(self.genres)].pk) for b in new for k in (1, 3)),
            batch_size=10000, ignore_conflicts=True,
        )
        members = Member.objects.bulk_create((Member(band_id=b.pk, name=f"Player {b.pk}") for b in new), batch_size=10000)
        mthrough = Member.roles.through
        mthrough.objects.bulk_create(
            (mthrough(member_id=m.pk, role_id=self.roles[m.pk % len(self.roles)].pk) for m in members), batch_size=10000
        )
        first, self.festivals = self.festivals, max(2, bands // BANDS_PER_FESTIVAL)
        festivals = Festival.objects.bulk_create(
            (Festival(key=f"fest-{i}", name=f"{WORDS[i % len(WORDS)]} Fest {i}", city="Town",
                      country=COUNTRIES[i % len(COUNTRIES)]) for i in range(first, self.festivals)),
            batch_size=5000,
        )
        editions = Edition.objects.bulk_create(
            (Edition(festival=f, year=2026, start_date=date(2026, 7, 1), end_date=date(2026, 7, 3)) for f in festivals),
            batch_size=5000,
        )
        LineupEntry.objects.bulk_create(
            (
                LineupEntry(edition=e, band_id=new[(e.pk * 7919 + k * 104729) % len(new)].pk, order=k, billing_size=min(k, 3))
                for e in editions for k in range(LINEUP)
            ),
            batch_size=10000, ignore_conflicts=True,
        )
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")

    def bench_edition(self, rows: int):
        """A festival whose one edition has `rows` lineup rows, created through the ORM (history included)."""
        from catalog.models import Band, Edition, Festival, LineupEntry

        festival = Festival.objects.create(key=f"bench-{rows}", name=f"Bench Fest {rows}", country="FI")
        edition = Edition.objects.create(festival=festival, year=2027, start_date=date(2027, 6, 1), end_date=date(2027, 6, 3))
        bands = Band.objects.order_by("pk").values_list("pk", flat=True)[:rows]
        for order, band in enumerate(bands):
            LineupEntry.objects.create(edition=edition, band_id=band, order=order, billing_size=min(order, 3))
        return edition


def _measure(request) -> tuple[float, int, float]:
    """Median server time (ms), the query count and median CPU time (ms) of `request()`, which returns a response.

    The CPU time is this process's (view, ORM, templates; not PostgreSQL's): on a shared machine the
    wall time includes waiting for a core.
    """
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    times, cpu, count = [], [], 0
    for _ in range(ROUNDS):
        connection.queries_log.clear()  # the log keeps 9,000 queries: a full one would count 0
        with CaptureQueriesContext(connection) as ctx:
            started, started_cpu = time.perf_counter(), time.process_time()
            response = request()
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
        if response.status_code not in (200, 302):
            raise RuntimeError(f"{response.status_code}: {response.content[:300]!r}")
        if response.status_code == 200 and b"errornote" in response.content:
            raise RuntimeError(f"the form was refused: {response.content.decode()[:3000]}")
        count = len(ctx.captured_queries)
    return statistics.median(times), count, statistics.median(cpu)


def _edition_post(client, edition):
    """Save the edition's change form with its lineup, one row's billing changed."""
    from catalog.models import Edition

    def request():
        stored = Edition.objects.get(pk=edition.pk)
        rows = list(stored.lineup.order_by("order", "id"))
        data = {
            "festival": stored.festival_id, "year": stored.year, "start_date": stored.start_date.isoformat(),
            "end_date": stored.end_date.isoformat(), "status": stored.status, "ticket_price": "", "currency": "",
            "expected_version": stored.version,
            "lineup-TOTAL_FORMS": len(rows), "lineup-INITIAL_FORMS": len(rows),
            "lineup-MIN_NUM_FORMS": 0, "lineup-MAX_NUM_FORMS": 1000,
        }
        for i, row in enumerate(rows):
            billing = row.billing_size if i else (row.billing_size + 1) % 4
            data.update({f"lineup-{i}-id": row.pk, f"lineup-{i}-edition": stored.pk, f"lineup-{i}-order": row.order,
                         f"lineup-{i}-band": row.band_id, f"lineup-{i}-billing_size": billing})
        # As a browser sends this form (it has no file field): urlencoded, not the test client's multipart.
        return client.post(f"/admin/catalog/edition/{stored.pk}/change/", urlencode(data),
                           content_type="application/x-www-form-urlencoded")

    return request


def run() -> list[tuple[str, dict]]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    from catalog.models import Band, Genre

    user = get_user_model().objects.create_superuser("bench", password="bench")
    client = Client()
    client.force_login(user)
    world = World()
    results: dict[str, dict[int, tuple[float, int]]] = {}
    editions = {}
    for size in SIZES:
        world.grow(size)
        if not editions:
            editions = {rows: world.bench_edition(rows) for rows in (35, 300)}
        band = Band.objects.get(key="band-0")
        genre = Genre.objects.get(key="genre-3")
        pages = {
            "band changelist": "/admin/catalog/band/",
            "band changelist, country=FI": "/admin/catalog/band/?country=FI",
            "band changelist, one genre": f"/admin/catalog/band/?genres__id__exact={genre.pk}",
            "band changelist, not public": "/admin/catalog/band/?public=no",
            "band changelist, search": "/admin/catalog/band/?q=frost+storm+12",
            "band changelist, by editions": "/admin/catalog/band/?o=6",
            "festival changelist": "/admin/catalog/festival/",
            "edition changelist": "/admin/catalog/edition/",
            "genre changelist": "/admin/catalog/genre/",
            "band change form": f"/admin/catalog/band/{band.pk}/change/",
            "edition 35 rows: open": f"/admin/catalog/edition/{editions[35].pk}/change/",
            "edition 300 rows: open": f"/admin/catalog/edition/{editions[300].pk}/change/",
            "edition 300 rows: history": f"/admin/catalog/edition/{editions[300].pk}/history/",
        }
        requests = {name: (lambda url=url: client.get(url)) for name, url in pages.items()}
        requests.update({f"edition {rows} rows: save": _edition_post(client, editions[rows]) for rows in (35, 300)})
        for name, request in requests.items():
            try:
                results.setdefault(name, {})[size] = _measure(request)
            except RuntimeError as exc:  # shown in the table, and the run fails
                results.setdefault(name, {})[size] = (str(exc)[:3], None, None)
            print(f"  {size:>7} bands  {name}: {results[name][size]}", file=sys.stderr, flush=True)
    return results


def table(results) -> str:
    header = "| page | " + " | ".join(f"{s:,} bands" for s in SIZES) + " |"
    lines = [header, "|---" * (len(SIZES) + 1) + "|"]
    for name, by_size in results.items():
        cells = [
            f"{ms:.0f} ms ({cpu:.0f} CPU), {q} q" if q is not None else f"FAILED ({ms})"
            for ms, q, cpu in (by_size[s] for s in SIZES)
        ]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> int:
    name = f"bench_admin_{os.getpid()}"
    _server_sql(f'CREATE DATABASE "{name}"')
    try:
        _configure(name)
        results = run()
        from django.db import connections

        connections.close_all()
    finally:
        _server_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    print(f"Admin benchmark: PostgreSQL, synthetic catalog, medians of {ROUNDS} requests through the test client "
          f"(server time, no network; CPU = this process's CPU time); 'q' = SQL queries.")
    print(table(results))
    failed = [name for name, by_size in results.items() if any(q is None for _, q, _ in by_size.values())]
    if failed:
        print(f"FAILED: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
