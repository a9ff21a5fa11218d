"""Scale: the legacy import at ×1 and ×10, per record, against Django's `loaddata` of the rows it writes.

For each size (`data/legacy-db.json` and `bench.scale.scale_legacy` of it ×10), in one run, side by side:
the import (`catalog.importer.service.legacy_import`, publish tasks queued and not drained: DynamoDB
is not part of its cost) into an empty scratch SQLite catalog, its CPU seconds, wall seconds and SQL
queries per record; then the rows it wrote (`dumpdata` of the catalog with its history, the audit
trail and the publishing outbox) loaded with `loaddata` into another empty catalog: the baseline,
what merely storing those rows costs through Django. Every measurement runs in a fresh interpreter
on a copy of one migrated database. A baseline that errors, or loads another number of rows than
were dumped, fails the run.

    python -m bench.scale_import                      # the table (part of `make bench`)
    python -m bench.scale_import --code ../other-checkout  # the import of another checkout's code, same harness

A record is a catalog record the import writes (genre, role, band, festival, edition; ×10 copies bands
and festivals, not the vocabulary).
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEGACY = Path(os.environ.get("LEGACY_DB_PATH", ROOT / "data" / "legacy-db.json"))
SIZES = (1, 10)
ROUNDS = {1: 3, 10: 1}  # medians; ×10 once (it takes a while and varies little)
DUMPED = ["catalog", "audit", "publishing.publishtask"]  # the catalog app holds its history models too
RECORD_KINDS = ("genre", "role", "band", "festival", "edition")


class BenchError(RuntimeError):
    """A measurement or a baseline failed: the table would lie."""


# --- workers: each runs in its own interpreter ------------------------------------------------------


def _django(database: Path, code: Path) -> None:
    here = Path(__file__).resolve().parent  # the script's folder: its modules would shadow the project's
    sys.path[:] = [str(code), *(p for p in sys.path if Path(p or ".").resolve() != here)]
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "metalfests.settings.test",
        "DATABASE_URL": f"sqlite:///{database}",
        "METALFESTS_VAR_DIR": str(database.parent),
    })
    import django

    django.setup()


def _worker_migrate(database: Path, code: Path) -> dict:
    _django(database, code)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return {}


def _worker_import(source: Path, database: Path, code: Path, dump: Path | None = None) -> dict:
    _django(database, code)
    from django.core.management import call_command
    from django.db import connection

    from catalog.importer.service import legacy_import

    data = json.loads(source.read_text(encoding="utf-8"))
    queries = [0]

    def count(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    cpu, wall = time.process_time(), time.perf_counter()
    with connection.execute_wrapper(count):
        report = legacy_import(data=data)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    records = sum(report.counts[kind][o] for kind in RECORD_KINDS for o in ("created", "updated"))
    if dump is not None:
        with dump.open("w", encoding="utf-8") as handle:
            call_command("dumpdata", *DUMPED, natural_foreign=True, stdout=handle)
    from publishing.models import PublishTask

    return {"cpu": cpu, "wall": wall, "queries": queries[0], "records": records,
            "tasks": PublishTask.objects.count()}


def _worker_loaddata(fixture: Path, database: Path, code: Path) -> dict:
    _django(database, code)
    from django.apps import apps
    from django.core.management import call_command

    dumped = len(json.loads(fixture.read_text(encoding="utf-8")))
    with _without_save_receivers():
        cpu, wall = time.process_time(), time.perf_counter()
        call_command("loaddata", str(fixture), verbosity=0)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    labels = [label for label in DUMPED if "." not in label]
    loaded = sum(model.objects.count() for model in apps.get_models()
                 if model._meta.app_label in labels or model._meta.label_lower in DUMPED)
    if loaded != dumped:
        raise BenchError(f"loaddata stored {loaded} rows of the {dumped} dumped: the baseline is wrong")
    return {"cpu": cpu, "wall": wall, "rows": dumped}


@contextmanager
def _without_save_receivers():
    """Storing rows, nothing more: a few receivers written for editors' saves do not look at `raw` (a
    notification per approval entry, publishing's festival alias hook) and would add work and rows."""
    from django.db.models.signals import post_save, pre_save

    kept = {signal: signal.receivers for signal in (pre_save, post_save)}
    try:
        for signal in kept:
            signal.receivers = []
            signal.sender_receivers_cache.clear()
        yield
    finally:
        for signal, receivers in kept.items():
            signal.receivers = receivers
            signal.sender_receivers_cache.clear()


WORKERS = {"migrate": _worker_migrate, "import": _worker_import, "loaddata": _worker_loaddata}


def _run_worker(name: str, *args: str) -> dict:
    """One measurement in a fresh interpreter; its error, if any, stops the benchmark."""
    result = subprocess.run([sys.executable, __file__, "--worker", name, *args], cwd=ROOT,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BenchError(f"{name} {' '.join(args)} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- the table ---------------------------------------------------------------------------------------


def measure(*, code: Path = ROOT, sizes=SIZES, rounds=None, baseline_sizes=SIZES, say=print) -> list[dict]:
    """One row per size: the import's cost per record and queries per record, and the loaddata baseline
    (at `baseline_sizes`: ×10's takes a few minutes). `say` hears each row as it is measured."""
    from bench.scale import scale_legacy

    rounds = rounds or ROUNDS
    scratch = Path(tempfile.mkdtemp(prefix="bench-scale-import-"))
    try:
        template = scratch / "migrated.sqlite3"
        _run_worker("migrate", str(template), str(ROOT))
        source = json.loads(LEGACY.read_text(encoding="utf-8"))
        rows = []
        for times in sizes:
            data_file = scratch / f"legacy-x{times}.json"
            data_file.write_text(json.dumps(scale_legacy(source, times), ensure_ascii=False), encoding="utf-8")
            imports, loads = [], []
            for round_ in range(rounds.get(times, 1)):
                database, fixture = scratch / f"import-{times}-{round_}.sqlite3", scratch / f"rows-{times}.json"
                shutil.copy(template, database)
                dump = [str(fixture)] if times in baseline_sizes else []
                imports.append(_run_worker("import", str(data_file), str(database), str(code), *dump))
                database.unlink()
                if dump:
                    database = scratch / f"load-{times}-{round_}.sqlite3"
                    shutil.copy(template, database)
                    loads.append(_run_worker("loaddata", str(fixture), str(database), str(ROOT)))
                    database.unlink()
            rows.append(_row(times, imports, loads))
            say(json.dumps(rows[-1]))
        return rows
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _row(times: int, imports: list[dict], loads: list[dict]) -> dict:
    records = imports[0]["records"]
    cpu = statistics.median(i["cpu"] for i in imports)
    wall = statistics.median(i["wall"] for i in imports)
    row = {
        "times": times, "records": records, "tasks": imports[0]["tasks"], "cpu": cpu, "wall": wall,
        "queries": imports[0]["queries"], "cpu_ms_per_record": 1000 * cpu / records,
        "queries_per_record": imports[0]["queries"] / records,
    }
    if loads:
        load_cpu = statistics.median(load["cpu"] for load in loads)
        row.update(rows=loads[0]["rows"], loaddata_cpu=load_cpu, loaddata_ratio=cpu / load_cpu,
                   loaddata_wall=statistics.median(load["wall"] for load in loads))
    return row


def table(rows: list[dict]) -> list[str]:
    base = rows[0]
    lines = [
        "| size | records (rows written) | import CPU / wall | per record | SQL queries (per record) "
        "| loaddata of the same rows, CPU / wall | import ÷ loaddata (CPU) |",
        "|---|---|---|---|---|---|---|",
    ]
    for row in rows:
        scale = row["cpu_ms_per_record"] / base["cpu_ms_per_record"]
        baseline = (f"{row['loaddata_cpu']:.1f} s / {row['loaddata_wall']:.1f} s | {row['loaddata_ratio']:.2f}×"
                    if "loaddata_cpu" in row else "not measured | —")
        lines.append(
            f"| ×{row['times']} | {row['records']:,} ({row.get('rows', 0):,}) | {row['cpu']:.1f} s / {row['wall']:.1f} s "
            f"| {row['cpu_ms_per_record']:.2f} ms ({scale:.2f}× ×1's) | {row['queries']:,} "
            f"({row['queries_per_record']:.2f}) | {baseline} |"
        )
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.scale_import", description=__doc__.split("\n\n")[0])
    parser.add_argument("--code", type=Path, default=ROOT, help="the checkout whose import is measured")
    parser.add_argument("--sizes", type=int, nargs="+", default=list(SIZES), help="×N to measure (default: 1 10)")
    parser.add_argument("--rounds", type=int, help="rounds per size (default: 3 at ×1, 1 at ×10)")
    parser.add_argument("--baseline-sizes", type=int, nargs="+", help="sizes with the loaddata baseline (default: all)")
    parser.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        name, *rest = args.worker
        paths = [Path(p) for p in rest]
        print(json.dumps(WORKERS[name](*paths)))
        return 0
    sys.path.insert(0, str(ROOT))
    rounds = {times: args.rounds for times in args.sizes} if args.rounds else None
    rows = measure(code=args.code.resolve(), sizes=args.sizes, rounds=rounds,
                   baseline_sizes=args.baseline_sizes or args.sizes, say=lambda line: print(line, flush=True))
    print(f"Import of {LEGACY.name} ×N ({'this checkout' if args.code.resolve() == ROOT else args.code}), "
          "publish tasks queued, not drained; SQLite; medians:")
    print("\n".join(table(rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
