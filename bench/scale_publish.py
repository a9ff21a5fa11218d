"""Scale: what publishing costs at ×1 and ×N of the legacy export, side by side in one run.

For each scale the legacy export is made ×N (`bench.scale.scale_legacy`) and imported with
`manage.py import_legacy` into a SQLite catalog of its own, kept under `var/bench-scale/` (the
import is the slow part: a catalog is built once per export and reused). Then, on DynamoDB Local:

- bulk drain: the first `publish_pending` after the import (every queued task, one full rebuild);
- full republish into an empty table: time, peak Python memory (tracemalloc) and its rate against
  a bare BatchWriteItem loop writing the same items (pre-serialised) in the same run;
- one band edit (`iron-maiden`, renamed and approved): the incremental publish's wall and CPU time,
  the items it read from DynamoDB and wrote, the invalidation items it sent.

    python -m bench.scale_publish            # ×1 and ×10
    python -m bench.scale_publish 1 10 100   # any scales
    python -m bench.scale_publish --republish 1 10 20   # the republish alone: rate and peak memory per scale
    python -m bench.scale_publish --large 1 10 100  # republish, then the band edit on that table (bare loop to ×10)
    python -m bench.scale_publish --projection 1 10 100  # a dry-run republish: CPU, memory, the largest chunk

`measure(times)` returns the rows; `main()` prints them as a table.
"""

import hashlib
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.publishing import environment

ROOT = Path(__file__).resolve().parent.parent
LEGACY = Path(os.environ.get("LEGACY_DB_PATH", ROOT / "data" / "legacy-db.json"))
CACHE = ROOT / "var" / "bench-scale"
BAND = "iron-maiden"
# From this scale on only the projection is measured (a dry-run republish): writing half a million
# items to DynamoDB Local takes hours on the shared machine.
PROJECTION_ONLY_FROM = 100


def catalog_path(times: int) -> Path:
    digest = hashlib.sha256(LEGACY.read_bytes()).hexdigest()[:12]
    return CACHE / f"catalog-{digest}-x{times}.sqlite3"


def build_catalog(times: int) -> Path:
    """The ×`times` catalog (built the first time, then reused): ×1 imported in a subprocess; ×N
    copied from it (`SCALE_IMPORT=1`: imported too, from `scale_legacy`'s ×N export)."""
    import subprocess

    target = catalog_path(times)
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    if times == 1 or os.environ.get("SCALE_IMPORT") == "1":
        subprocess.run([sys.executable, "-m", "bench.scale_publish", "--build", str(times)], cwd=ROOT, check=True)
    else:
        _copy(build_catalog(1), target, times)
    return target


def _suffixed(snapshot, n: int):
    """A snapshot of copy n, as `scale_legacy` names it: key `-xn`, name ` (xn)`, lineups at copy n's bands."""
    from bench.scale import _suffix_key, _suffix_name

    if not snapshot:
        return snapshot
    twin = json.loads(snapshot)
    for field, change in (("key", _suffix_key), ("name", _suffix_name), ("festivalKey", _suffix_key)):
        if field in twin:
            twin[field] = change(twin[field], n)
    for entry in twin.get("bands") or []:
        entry["key"], entry["name"] = _suffix_key(entry.get("key"), n), _suffix_name(entry.get("name"), n)
    return json.dumps(twin)


def _copy(source: Path, target: Path, times: int) -> None:
    """×`times` of the imported ×1 catalog, copied in SQL the way `scale_legacy` copies an export
    (copy n of every band, festival and edition, and of their publish tasks, under suffixed keys;
    genres and roles once). Publishing reads only the copies' snapshots; their working copies'
    members, genre links and lineup rows are not copied. Minutes instead of the importer's hour at ×10."""
    import sqlite3

    from bench.scale import _suffix_key, _suffix_name

    part = target.with_suffix(".part")
    shutil.copyfile(source, part)
    db = sqlite3.connect(part)
    db.row_factory = sqlite3.Row

    def rows(table):
        return [dict(r) for r in db.execute(f"SELECT * FROM {table} ORDER BY id")]  # noqa: S608 (our table names)

    def insert(table, row) -> int:
        row = {k: v for k, v in row.items() if k != "id"}
        cursor = db.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",  # noqa: S608
                            list(row.values()))
        return cursor.lastrowid

    bands, festivals, editions = rows("catalog_band"), rows("catalog_festival"), rows("catalog_edition")
    tasks = [t for t in rows("publishing_publishtask") if t["kind"] in ("band", "festival", "edition")]
    for n in range(2, times + 1):
        ids = {}
        for kind, table, records in (("band", "catalog_band", bands), ("festival", "catalog_festival", festivals)):
            for record in records:
                ids[kind, record["id"]] = insert(table, {
                    **record, "key": _suffix_key(record["key"], n), "name": _suffix_name(record["name"], n),
                    "published_snapshot": _suffixed(record["published_snapshot"], n)})
        for record in editions:
            ids["edition", record["id"]] = insert("catalog_edition", {
                **record, "festival_id": ids["festival", record["festival_id"]],
                "published_snapshot": _suffixed(record["published_snapshot"], n)})
        for task in tasks:
            festival, _, year = task["record_key"].partition("/")
            key = f"{_suffix_key(festival, n)}/{year}" if task["kind"] == "edition" else _suffix_key(task["record_key"], n)
            insert("publishing_publishtask", {**task, "record_pk": ids[task["kind"], task["record_pk"]], "record_key": key,
                                              "after": _suffixed(task["after"], n), "before": _suffixed(task["before"], n)})
    db.commit()
    db.close()
    part.rename(target)


def _build(times: int) -> None:
    from bench.scale import scale_legacy
    from devtools.dynamodb_local import DynamoDBLocal

    target = catalog_path(times)
    scratch = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    server = DynamoDBLocal().start()
    try:
        environment(scratch / "catalog.sqlite3", server.endpoint, DYNAMODB_TABLE_NAME="BenchImport",
                    METALFESTS_VAR_DIR=str(scratch))
        source = scratch / f"legacy-x{times}.json"
        source.write_text(json.dumps(scale_legacy(json.loads(LEGACY.read_text(encoding="utf-8")), times),
                                     ensure_ascii=False), encoding="utf-8")
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        call_command("ensure_table", stdout=io.StringIO())
        started = time.process_time()
        call_command("import_legacy", str(source), stdout=io.StringIO(), stderr=io.StringIO())
        print(f"×{times}: imported in {time.process_time() - started:.0f} s CPU", file=sys.stderr)
        from django.db import connection

        connection.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(scratch / "catalog.sqlite3", target.with_suffix(".part"))
        target.with_suffix(".part").rename(target)
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)


class _Reads:
    """Items DynamoDB read for us (Query/Scan ScannedCount, BatchGetItem/GetItem items), from botocore's events."""

    def __init__(self, client):
        self.items = 0
        client.meta.events.register("after-call.dynamodb", self._count)

    def _count(self, http_response=None, parsed=None, model=None, **kwargs):
        parsed = parsed or {}
        if model.name in ("Query", "Scan"):
            self.items += parsed.get("ScannedCount", parsed.get("Count", 0))
        elif model.name == "BatchGetItem":
            self.items += sum(len(v) for v in (parsed.get("Responses") or {}).values())
        elif model.name == "GetItem" and "Item" in parsed:
            self.items += 1


def _use_table(name: str) -> None:
    from read_api import config, table

    os.environ["DYNAMODB_TABLE_NAME"] = name
    config.reload()
    table.create()


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(function):
    wall, cpu = time.perf_counter(), time.process_time()
    result = function()
    return result, time.perf_counter() - wall, time.process_time() - cpu


def _phase(name: str, table: str) -> dict:
    """One measurement, in a process of its own (its peak memory is its own)."""
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)  # a catalog built by an older checkout may lack a migration
    from publishing.models import PublishTask

    if name == "drain":
        from publishing.worker import drain

        _use_table(table)
        tasks = PublishTask.objects.exclude(status="done").count()
        report, wall, cpu = _timed(drain)
        return {"tasks": tasks, "applied": report.applied, "failed": report.failed, "wall": wall, "cpu": cpu,
                "rss_mb": _peak_rss_mb()}
    if name == "republish":
        from publishing.services import republish

        _use_table(table)
        from publishing.models import Invalidation

        base = _peak_rss_mb()  # Django, the catalog's connection and DynamoDB's client: before any projection
        report, wall, cpu = _timed(republish)
        sent = Invalidation.objects.order_by("-id").first()
        return {"items": report.puts, "wall": wall, "cpu": cpu, "rss_mb": _peak_rss_mb(), "base_mb": base,
                "most_snapshots": getattr(report, "most_snapshots", None), "most_items": getattr(report, "most_items", None),
                "invalidation_items": getattr(report, "tags_changed", len(report.invalidation_items)), "invalidation_sent": len(sent.items) if sent else 0}
    if name == "steps":  # checkpointed steps on a full table, as the worker Lambda runs a rebuild
        from publishing import rebuild
        from publishing.services import republish
        from publishing.writer import Writer

        _use_table(table)
        budget = float(os.environ.get("SCALE_STEP_BUDGET", "20"))
        spill = rebuild.StoredSpill()
        try:
            _, scan_wall, _ = _timed(lambda: spill.fill(Writer().scan_pages()))
            _, index_wall, _ = _timed(spill.index_lineups)
        finally:
            spill.close()
        steps = []
        for n in range(2):  # the first step, then one that resumes after it
            report, wall, cpu = _timed(lambda n=n: republish(time_budget=budget, restart=n == 0))
            steps.append({"wall": wall, "cpu": cpu, "complete": report.complete, "written": report.puts})
        return {"budget": budget, "scan_wall": scan_wall, "index_wall": index_wall, "steps": steps}
    if name == "projection":  # a dry-run republish: everything projected and compared, nothing written
        from publishing.services import republish

        _use_table(table)
        base = _peak_rss_mb()
        report, wall, cpu = _timed(lambda: republish(dry_run=True))
        return {"items": report.desired, "wall": wall, "cpu": cpu, "rss_mb": _peak_rss_mb(), "base_mb": base,
                "most_snapshots": report.most_snapshots, "most_items": report.most_items}
    if name == "bare":
        from publishing.projector import PublicCatalog
        from publishing.writer import dynamodb_client

        catalog = PublicCatalog()
        requests = [{"PutRequest": {"Item": i.serialize()}} for i in catalog.items_for(catalog.all_entities(), rev=1)]
        del catalog
        client = dynamodb_client()

        def loop():
            for start in range(0, len(requests), 25):
                pending = {table: requests[start:start + 25]}
                while pending:
                    pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}

        def fenced():
            """The same items in bare fenced transactions (99 puts and the fence check), one stream."""
            fence = {"ConditionCheck": {"TableName": table + "Fenced", "Key": {"PK": {"S": "#FENCE"}, "SK": {"S": "SHARD#0"}},
                                        "ConditionExpression": "attribute_not_exists(PK)"}}
            for start in range(0, len(requests), 99):
                client.transact_write_items(TransactItems=[fence, *({"Put": {"TableName": table + "Fenced",
                                                                             "Item": r["PutRequest"]["Item"]}}
                                                                    for r in requests[start:start + 99])])

        _use_table(table)
        _, wall, cpu = _timed(loop)
        _use_table(table + "Fenced")
        _, fenced_wall, _ = _timed(fenced)
        return {"items": len(requests), "wall": wall, "cpu": cpu, "fenced_wall": fenced_wall}
    if name == "edit":
        from catalog import services
        from catalog.models import Band
        from publishing.worker import drain
        from publishing.writer import dynamodb_client

        os.environ["DYNAMODB_TABLE_NAME"] = table
        if os.environ.get("SCALE_EDIT_AFTER_REPUBLISH") == "1":  # the table was republished, not drained: the
            PublishTask.objects.exclude(status="done").update(status="done")  # queued tasks are in it already
        band = Band.objects.get(key=BAND)
        band.name = f"{band.name} (edited)"
        services.record_save(record=band, user=None)
        band.refresh_from_db()
        services.record_submit_for_review(record=band, user=None)
        services.record_approve(record=band, user=None)
        reads = _Reads(dynamodb_client())
        report, wall, cpu = _timed(drain)
        task = PublishTask.objects.order_by("-id").first()
        return {"wall": wall, "cpu": cpu, "read": reads.items, "written": task.items_written + task.items_deleted,
                "invalidation_items": len(task.invalidation_items), "failed": report.failed}
    raise ValueError(name)


def _run_phase(name: str, times: int, database: Path, table: str, endpoint: str, **extra: str) -> dict:
    import subprocess

    env = {**os.environ, "SCALE_PHASE_ENDPOINT": endpoint, "SCALE_PHASE_DB": str(database), **extra}
    out = subprocess.run([sys.executable, "-m", "bench.scale_publish", "--phase", name, table], cwd=ROOT, env=env,
                         capture_output=True, text=True)
    if out.returncode:
        raise RuntimeError(f"phase {name} at ×{times} failed:\n{out.stderr[-3000:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    print(json.dumps({"times": times, name: result}), file=sys.stderr, flush=True)  # kept should a later phase fail
    return result


def measure(times: list[int], *, republish_only: bool = False, bare_up_to: int | None = None,
            projection_only: bool = False) -> list[dict]:
    """One row per scale: the first bulk drain, a full republish against a bare loop, one band edit
    (`republish_only`: the republish and the bare loop alone; `bare_up_to`: the republish, the bare
    loop up to that scale, and the band edit on the republished table, no bulk drain;
    `projection_only`: a dry-run republish alone, as from `PROJECTION_ONLY_FROM` on)."""
    from devtools.dynamodb_local import DynamoDBLocal

    rows = []
    server = DynamoDBLocal().start()
    scratch = Path(tempfile.mkdtemp(prefix="bench-scale-publish-"))
    try:
        # A fresh DynamoDB Local spends its first seconds compiling its write paths (the JVM's JIT):
        # measured at ×1, the same BatchWriteItem loop cost 2.7 times the server CPU run first as
        # run again later. Warm it up, so that no measured phase, the republish first, pays for that.
        warm = scratch / "warmup.sqlite3"
        shutil.copyfile(build_catalog(1), warm)
        _run_phase("bare", 1, warm, "ScaleWarmup", server.endpoint)
        for n in times:
            catalog = build_catalog(n)
            drained = scratch / f"x{n}.sqlite3"
            shutil.copyfile(catalog, drained)
            if bare_up_to is not None:
                row = {"times": n, "republish": _run_phase("republish", n, drained, f"ScaleRepublish{n}",
                                                            server.endpoint)}
                if n <= bare_up_to:
                    row["bare"] = _run_phase("bare", n, drained, f"ScaleBare{n}", server.endpoint)
                row["edit"] = _run_phase("edit", n, drained, f"ScaleRepublish{n}", server.endpoint,
                                         SCALE_EDIT_AFTER_REPUBLISH="1")
                if n <= bare_up_to:  # past ×10 DynamoDB Local's scan pages outlast the client's 10 s read timeout
                    row["steps"] = _run_phase("steps", n, drained, f"ScaleRepublish{n}", server.endpoint)
                rows.append(row)
                continue
            if n >= PROJECTION_ONLY_FROM or projection_only:
                rows.append({"times": n, "projection": _run_phase("projection", n, drained, f"ScaleDry{n}",
                                                                  server.endpoint)})
                continue
            if republish_only:
                row = {"times": n, "republish": _run_phase("republish", n, drained, f"ScaleRepublish{n}",
                                                            server.endpoint),
                       "bare": _run_phase("bare", n, drained, f"ScaleBare{n}", server.endpoint)}
                rows.append(row)
                continue
            row = {"times": n, "drain": _run_phase("drain", n, drained, f"ScaleDrain{n}", server.endpoint)}
            row["republish"] = _run_phase("republish", n, drained, f"ScaleRepublish{n}", server.endpoint)
            row["bare"] = _run_phase("bare", n, drained, f"ScaleBare{n}", server.endpoint)
            edited = scratch / f"x{n}-edit.sqlite3"
            shutil.copyfile(drained, edited)
            row["edit"] = _run_phase("edit", n, edited, f"ScaleDrain{n}", server.endpoint)
            rows.append(row)
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    return rows


def republish_table(rows: list[dict]) -> str:
    lines = ["| scale | items | republish wall / CPU | rate / bare BatchWriteItem loop | bare fenced transactions "
             "/ bare loop | peak RSS (before the republish) | most snapshots / items one chunk held |",
             "|---|---|---|---|---|---|---|"]
    for r in rows:
        rep, bare = r["republish"], r["bare"]
        rate, bare_rate = rep["items"] / rep["wall"], bare["items"] / bare["wall"]
        lines.append(f"| ×{r['times']} | {rep['items']} | {rep['wall']:.1f} s / {rep['cpu']:.1f} s | "
                     f"{rate:.0f} / {bare_rate:.0f} items/s = {rate / bare_rate:.2f}× | "
                     f"{bare['wall'] / bare['fenced_wall']:.2f}× | {rep['rss_mb']:.0f} MB ({rep['base_mb']:.0f} MB) | "
                     f"{rep.get('most_snapshots', '—')} / {rep.get('most_items', '—')} |")
    return "\n".join(lines)


def large_table(rows: list[dict]) -> str:
    """The republish and the edit per scale; rates against the largest scale's bare loop that ran."""
    bares = [r["bare"] for r in rows if "bare" in r]
    lines = ["| scale | republish: items, wall / CPU | rate / bare BatchWriteItem loop (scale) | peak RSS less start "
             "| band edit: wall / CPU | band edit: items read / written / invalidation items |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        rep, edit = r["republish"], r["edit"]
        bare = r.get("bare") or (bares[-1] if bares else None)
        rate = rep["items"] / rep["wall"]
        against = "—"
        if bare is not None:
            bare_rate = bare["items"] / bare["wall"]
            scale = "" if "bare" in r else f" (×{max(x['times'] for x in rows if 'bare' in x)}'s)"
            against = f"{rate:.0f} / {bare_rate:.0f} items/s = {rate / bare_rate:.2f}×{scale}"
        lines.append(f"| ×{r['times']} | {rep['items']}, {rep['wall']:.0f} s / {rep['cpu']:.0f} s | {against} | "
                     f"{rep['rss_mb'] - rep['base_mb']:.0f} MB | {edit['wall']:.2f} s / {edit['cpu']:.2f} s | "
                     f"{edit['read']} / {edit['written']} / {edit['invalidation_items']} |")
    lines += ["", "Checkpointed steps on that table (a rebuild in the worker Lambda, `republish(time_budget=…)`):", "",
              "| scale | step budget | scan of the table into the spill | lineup index | first step: wall / CPU "
              "| resumed step: wall / CPU |", "|---|---|---|---|---|---|"]
    for r in rows:
        if "steps" in r:
            st, (first, second) = r["steps"], r["steps"]["steps"]
            lines.append(f"| ×{r['times']} | {st['budget']:.0f} s | {st['scan_wall']:.1f} s | {st['index_wall']:.1f} s | "
                         f"{first['wall']:.1f} s / {first['cpu']:.1f} s | {second['wall']:.1f} s / {second['cpu']:.1f} s |")
    return "\n".join(lines)


def table(rows: list[dict]) -> str:
    projected = [r for r in rows if "projection" in r]
    rows = [r for r in rows if "projection" not in r]
    lines = [f"×{r['times']}: projection only (dry-run republish): {r['projection']['items']} items, "
             f"{r['projection']['wall']:.1f} s / {r['projection']['cpu']:.1f} s CPU, peak RSS "
             f"{r['projection']['rss_mb']:.0f} MB" for r in projected] + ([""] if projected else [])
    lines += ["| measure | " + " | ".join(f"×{r['times']}" for r in rows) + " |",
              "|---|" + "---|" * len(rows)]

    def line(label, cell):
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in rows) + " |")

    line("first bulk drain after the import: tasks, wall / CPU, peak RSS",
         lambda r: f"{r['drain']['tasks']} tasks, {r['drain']['wall']:.1f} s / {r['drain']['cpu']:.1f} s, "
                   f"{r['drain']['rss_mb']:.0f} MB")
    line("full republish into an empty table: items, wall / CPU, peak RSS",
         lambda r: f"{r['republish']['items']}, {r['republish']['wall']:.1f} s / {r['republish']['cpu']:.1f} s, "
                   f"{r['republish']['rss_mb']:.0f} MB")
    line("republish rate / bare BatchWriteItem loop (same items, same run)",
         lambda r: f"{r['republish']['items'] / r['republish']['wall']:.0f} / "
                   f"{r['bare']['items'] / r['bare']['wall']:.0f} items/s = "
                   f"{(r['republish']['items'] / r['republish']['wall']) / (r['bare']['items'] / r['bare']['wall']):.2f}×")
    line("bare fenced TransactWriteItems loop (99 puts + fence check), same items: rate / bare batch",
         lambda r: f"{r['bare']['items'] / r['bare']['fenced_wall']:.0f} items/s = "
                   f"{r['bare']['wall'] / r['bare']['fenced_wall']:.2f}×" if "fenced_wall" in r["bare"] else "—")
    line("republish: cache tags changed → invalidation items sent",
         lambda r: f"{r['republish']['invalidation_items']} → {r['republish'].get('invalidation_sent', '?')}")
    line(f"one band edit (`{BAND}`): wall / CPU", lambda r: f"{r['edit']['wall']:.2f} s / {r['edit']['cpu']:.2f} s")
    line("one band edit: items read / written / invalidation items",
         lambda r: f"{r['edit']['read']} / {r['edit']['written']} / {r['edit']['invalidation_items']}")
    return "\n".join(lines)


def projection_table(rows: list[dict]) -> str:
    lines = ["| scale | items projected | wall / CPU | peak RSS less start | most snapshots / items one chunk held |",
             "|---|---|---|---|---|"]
    for r in rows:
        p = r["projection"]
        lines.append(f"| ×{r['times']} | {p['items']} | {p['wall']:.1f} s / {p['cpu']:.1f} s | "
                     f"{p['rss_mb'] - p['base_mb']:.0f} MB | {p['most_snapshots']} / {p['most_items']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--build"]:
        _build(int(argv[1]))
        return 0
    if argv[:1] == ["--phase"]:
        environment(os.environ["SCALE_PHASE_DB"], os.environ["SCALE_PHASE_ENDPOINT"], DYNAMODB_TABLE_NAME="BenchImport",
                    METALFESTS_VAR_DIR=tempfile.mkdtemp(prefix="bench-scale-phase-"))
        print(json.dumps(_phase(argv[1], argv[2])))
        return 0
    if argv[:1] == ["--large"]:
        rows = measure([int(a) for a in argv[1:]] or [1, 10, 100], bare_up_to=10)
        print(f"Full republish into an empty table, then one band edit on it ({LEGACY.name} ×N, DynamoDB Local, "
              "SQLite; one run; the bare loops up to ×10, whose items fit in memory):\n")
        print(large_table(rows))
        return 0
    if argv[:1] == ["--projection"]:
        rows = measure([int(a) for a in argv[1:]] or [1, 10, 100], projection_only=True)
        print(f"Dry-run republish (projection only) at scale ({LEGACY.name} ×N, SQLite; one run):\n")
        print(projection_table(rows))
        return 0
    if argv[:1] == ["--republish"]:
        rows = measure([int(a) for a in argv[1:]] or [1, 10], republish_only=True)
        print(f"Full republish into an empty table at scale ({LEGACY.name} ×N, DynamoDB Local, SQLite; one run):\n")
        print(republish_table(rows))
        return 0
    rows = measure([int(a) for a in argv] or [1, 10])
    print(f"Publishing at scale ({LEGACY.name} ×N, DynamoDB Local, SQLite; one run):\n")
    print(table(rows))
    return 0 if all(r["edit"]["failed"] == 0 and r["drain"]["failed"] == 0 for r in rows if "edit" in r) else 1


if __name__ == "__main__":
    sys.exit(main())
