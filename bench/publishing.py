"""Publishing benchmarks, printed as a table.

1. Republish of the imported legacy file (`data/legacy-db.json`, shipped in the repository, imported with
   `manage.py import_legacy` into a scratch SQLite catalog) into an empty table, against
   a bare BatchWriteItem loop writing the same items (pre-serialised) in the same run, on
   the same DynamoDB Local; five alternating rounds, medians, after a warm-up. The republish
   writes with PUBLISH_WRITE_STREAMS parallel streams (default 2); the same republish with
   one stream is measured too, so the table shows what parallelism buys and what the
   projection costs.
2. Incremental publish of one band edit (the band on the most lineups is renamed and
   approved): items written and invalidation items sent, against the items whose
   content actually changed in the full projection; and the change feed's entries it
   appended (issue 15.3: one per public document that changed, in the same transactions).

Run: `python -m bench.publishing` (or `make bench`). Needs Java (DynamoDB Local).
"""

import io
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LEGACY = Path(os.environ.get("LEGACY_DB_PATH", ROOT / "data" / "legacy-db.json"))
ROUNDS = 5


def environment(database, endpoint: str, **extra: str) -> None:
    """Settings of a bench process: the test settings on a SQLite catalog at `database`, DynamoDB Local at
    `endpoint`, no CloudFront; `extra` adds or overrides variables."""
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "metalfests.settings.test",
        "DATABASE_URL": f"sqlite:///{database}",
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
        "AWS_REGION": "eu-west-1",
        "DYNAMODB_READ_TIMEOUT_SECONDS": "30",
        "CLOUDFRONT_DISTRIBUTION_ID": "",
        **extra,
    })


def _use_table(name: str) -> None:
    from read_api import config, table

    os.environ["DYNAMODB_TABLE_NAME"] = name
    config.reload()
    table.create()


def _bare_loop(client, table: str, requests: list[dict]) -> None:
    """The baseline: BatchWriteItem of 25, UnprocessedItems retried, nothing else."""
    for start in range(0, len(requests), 25):
        pending = {table: requests[start:start + 25]}
        while pending:
            pending = client.batch_write_item(RequestItems=pending).get("UnprocessedItems") or {}


def _fenced_loop(client, table: str, requests: list[dict]) -> None:
    """The fence's floor: the same items in bare fenced transactions (99 puts and the fence check), one stream."""
    fence = {"ConditionCheck": {"TableName": table, "Key": {"PK": {"S": "#FENCE"}, "SK": {"S": "SHARD#0"}},
                                "ConditionExpression": "attribute_not_exists(PK)"}}
    for start in range(0, len(requests), 99):
        client.transact_write_items(TransactItems=[fence, *({"Put": {"TableName": table, "Item": r["PutRequest"]["Item"]}}
                                                            for r in requests[start:start + 99])])


def import_legacy(scratch: str, endpoint: str) -> float:
    """Configure this process for a scratch catalog in `scratch` and DynamoDB Local at `endpoint`,
    import the legacy file into it; the import's seconds."""
    environment(f"{scratch}/catalog.sqlite3", endpoint, METALFESTS_VAR_DIR=scratch)
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    call_command("ensure_table", stdout=io.StringIO())  # the import refuses to run without its table
    started = time.perf_counter()
    call_command("import_legacy", str(LEGACY), stdout=io.StringIO(), stderr=io.StringIO())
    return time.perf_counter() - started


def measure_republish() -> dict:
    from publishing.projector import PublicCatalog
    from publishing.services import republish
    from publishing.writer import dynamodb_client

    client = dynamodb_client()
    catalog = PublicCatalog()
    requests = [{"PutRequest": {"Item": i.serialize()}} for i in catalog.items_for(catalog.all_entities(), rev=1)]
    _use_table("BenchWarmUp")
    _bare_loop(client, "BenchWarmUp", requests)
    from django.conf import settings

    from publishing import conf

    streams = conf.get("PUBLISH_WRITE_STREAMS")
    republish_rates, bare_rates, ratios, seconds, single_ratios, fenced_rates = [], [], [], [], [], []
    for round_ in range(ROUNDS):
        _use_table(f"BenchRepublish{round_}")
        started = time.perf_counter()
        report = republish()
        elapsed = time.perf_counter() - started
        republish_rates.append(report.puts / elapsed)
        seconds.append(elapsed)
        # The same republish with one stream, like the bare loop: what the projection itself costs.
        _use_table(f"BenchSingle{round_}")
        settings.PUBLISH_WRITE_STREAMS = 1
        try:
            started = time.perf_counter()
            single = republish()
            single_rate = single.puts / (time.perf_counter() - started)
        finally:
            settings.PUBLISH_WRITE_STREAMS = streams
        _use_table(f"BenchBare{round_}")
        started = time.perf_counter()
        _bare_loop(client, f"BenchBare{round_}", requests)
        bare_rates.append(len(requests) / (time.perf_counter() - started))
        _use_table(f"BenchFenced{round_}")
        started = time.perf_counter()
        _fenced_loop(client, f"BenchFenced{round_}", requests)
        fenced_rates.append(len(requests) / (time.perf_counter() - started))
        ratios.append(republish_rates[-1] / bare_rates[-1])
        single_ratios.append(single_rate / bare_rates[-1])
    os.environ["DYNAMODB_TABLE_NAME"] = f"BenchRepublish{ROUNDS - 1}"
    second = republish()
    return {
        "items": report.puts, "seconds": statistics.median(seconds),
        "republish_rate": statistics.median(republish_rates), "bare_rate": statistics.median(bare_rates),
        "ratio": statistics.median(ratios), "second_run_writes": second.puts + second.deletes,
        "streams": streams, "single_ratio": statistics.median(single_ratios),
        "fenced_rate": statistics.median(fenced_rates),
        "fenced_ratio": statistics.median(f / b for f, b in zip(fenced_rates, bare_rates, strict=True)),
        "over_fenced": statistics.median(r / f for r, f in zip(republish_rates, fenced_rates, strict=True)),
    }


def measure_band_edit() -> dict:
    from catalog import services
    from catalog.models import Band
    from publishing.models import PublishTask
    from publishing.projector import PublicCatalog
    from publishing.worker import drain

    catalog = PublicCatalog()
    key = max(catalog.bands, key=lambda k: (len(catalog.band_festivals(k)), k))
    before = {(i.PK, i.SK): i.content_hash for i in catalog.items_for(catalog.all_entities(), rev=1)}
    band = Band.objects.get(key=key)
    band.name = f"{band.name} (edited)"
    services.record_save(record=band, user=None)
    band.refresh_from_db()
    services.record_submit_for_review(record=band, user=None)
    services.record_approve(record=band, user=None)
    catalog = PublicCatalog()
    after = {(i.PK, i.SK): i.content_hash for i in catalog.items_for(catalog.all_entities(), rev=1)}
    embedding = {k for k in set(before) | set(after) if before.get(k) != after.get(k)}
    from publishing.writer import Writer, item_size

    entries_before = {e["SK"]["S"] for e in Writer().changes()}
    started = time.perf_counter()
    report = drain()
    elapsed = time.perf_counter() - started
    task = PublishTask.objects.order_by("-id").first()
    entries = [e for e in Writer().changes() if e["SK"]["S"] not in entries_before]
    sizes = [item_size(e) for e in entries]
    return {
        "entries": len(entries), "entry_bytes": sum(sizes),
        "entry_wcu": sum(2 * -(-size // 1024) for size in sizes),  # a transactional write costs 2 WCU per KB
        "band": key, "appearances": len(catalog.band_festivals(key)), "items_total": len(after),
        "items_embedding": len(embedding), "items_written": task.items_written + task.items_deleted,
        "invalidation": task.invalidation_items, "changed_paths": task.changed_paths, "seconds": elapsed,
        "failed": report.failed,
    }


def main() -> int:
    from devtools.dynamodb_local import DynamoDBLocal

    scratch = tempfile.mkdtemp(prefix="bench-publishing-")
    server = DynamoDBLocal().start()
    try:
        imported = import_legacy(scratch, server.endpoint)
        from publishing.models import PublishTask, TaskStatus

        queued = PublishTask.objects.update(status=TaskStatus.DONE)  # the republish below covers them
        rep = measure_republish()
        edit = measure_band_edit()
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    print(f"Publishing benchmark: {LEGACY.name} imported in {imported:.1f} s ({queued} publish tasks queued by the "
          f"import, covered by the republish); DynamoDB Local on this machine, {ROUNDS} rounds, medians.\n")
    print("| measurement | value |")
    print("|---|---|")
    print(f"| republish: items written (empty table) | {rep['items']} in {rep['seconds']:.2f} s |")
    print(f"| republish rate (scan, projection, {rep['streams']} streams of fenced TransactWriteItems with "
          f"change feed entries) | {rep['republish_rate']:.0f} items/s |")
    print(f"| bare BatchWriteItem loop (one stream), same items, same run | {rep['bare_rate']:.0f} items/s |")
    print(f"| ratio republish / bare (goal ≥ 0.8) | {rep['ratio']:.2f} |")
    print(f"| ratio with one stream, as the bare loop | {rep['single_ratio']:.2f} |")
    print(f"| bare fenced TransactWriteItems loop (99 puts + the fence check, one stream), same items "
          f"| {rep['fenced_rate']:.0f} items/s = {rep['fenced_ratio']:.2f}× the bare loop |")
    print(f"| ratio republish / bare fenced loop (what the fence leaves to reach) | {rep['over_fenced']:.2f} |")
    print(f"| second republish: items written or deleted | {rep['second_run_writes']} |")
    print(f"| band edit (`{edit['band']}`, on {edit['appearances']} lineups): items whose content changed "
          f"| {edit['items_embedding']} of {edit['items_total']} |")
    print(f"| band edit: items written by the incremental publish | {edit['items_written']} |")
    print(f"| band edit: change feed entries appended (extra items, same transactions) | {edit['entries']} "
          f"({edit['entry_bytes'] / 1024:.1f} KB, {edit['entry_wcu']} WCU) |")
    print(f"| band edit: invalidation items sent (one CreateInvalidation) | {len(edit['invalidation'])}: "
          f"`{' '.join(edit['invalidation'])}` |")
    print(f"| band edit: public answers changed (recorded for people) | {len(edit['changed_paths'])} paths |")
    print(f"| band edit: publish time (task applied, invalidation recorded) | {edit['seconds'] * 1000:.0f} ms |")
    ok = rep["second_run_writes"] == 0 and edit["failed"] == 0 and edit["items_written"] == edit["items_embedding"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
