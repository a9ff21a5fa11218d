"""DynamoDB Local's write paths side by side: what the republish's fenced transactions cost the server.

The legacy file's public items (`data/legacy-db.json`, imported into a scratch catalog and projected
once) are written into a fresh table by each loop below, alternating, three rounds after a warm-up,
medians; each rate is given against BatchWriteItem of 25 in one thread (the baseline of the issue's
republish goal). A republish can write no faster than the fenced loop of 99 puts: every write it
sends is a transaction opened by the fence check (`test_fence.py`).

Run: `python -m bench.transactions` (part of `make bench`). Needs Java (DynamoDB Local).
"""

import shutil
import statistics
import sys
import tempfile
import threading
import time

from bench.publishing import LEGACY, _bare_loop, _use_table, import_legacy

ROUNDS = 3


def _transactions(client, table: str, requests: list[dict], per: int, *, fenced: bool) -> None:
    fence = {"ConditionCheck": {"TableName": table, "Key": {"PK": {"S": "#FENCE"}, "SK": {"S": "SHARD#0"}},
                                "ConditionExpression": "attribute_not_exists(PK)"}}
    for start in range(0, len(requests), per):
        puts = [{"Put": {"TableName": table, "Item": r["PutRequest"]["Item"]}} for r in requests[start:start + per]]
        client.transact_write_items(TransactItems=[fence, *puts] if fenced else puts)


def _threads(loop, client, table: str, requests: list[dict], count: int) -> None:
    parts = [requests[n::count] for n in range(count)]
    threads = [threading.Thread(target=loop, args=(client, table, part)) for part in parts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _loops() -> dict:
    return {
        "BatchWriteItem of 25 (the baseline)": _bare_loop,
        "BatchWriteItem of 25, two threads": lambda c, t, r: _threads(_bare_loop, c, t, r, 2),
        "TransactWriteItems of 100 puts, no fence check": lambda c, t, r: _transactions(c, t, r, 100, fenced=False),
        "fenced TransactWriteItems of 99 puts": lambda c, t, r: _transactions(c, t, r, 99, fenced=True),
        "fenced, 49 puts": lambda c, t, r: _transactions(c, t, r, 49, fenced=True),
        "fenced, 24 puts": lambda c, t, r: _transactions(c, t, r, 24, fenced=True),
        "fenced, 99 puts, two threads": lambda c, t, r: _threads(
            lambda c2, t2, r2: _transactions(c2, t2, r2, 99, fenced=True), c, t, r, 2),
    }


def main() -> int:
    from devtools.dynamodb_local import DynamoDBLocal

    scratch = tempfile.mkdtemp(prefix="bench-transactions-")
    server = DynamoDBLocal().start()
    try:
        import_legacy(scratch, server.endpoint)
        from publishing.projector import PublicCatalog
        from publishing.writer import dynamodb_client

        catalog = PublicCatalog()
        requests = [{"PutRequest": {"Item": i.serialize()}} for i in catalog.items_for(catalog.all_entities(), rev=1)]
        client = dynamodb_client()
        _use_table("BenchTransactionsWarmUp")  # a fresh server compiles its write paths first (the JVM's JIT)
        _bare_loop(client, "BenchTransactionsWarmUp", requests)
        loops, seconds, n = _loops(), {}, 0
        for _ in range(ROUNDS):
            for name, loop in loops.items():
                n += 1
                _use_table(f"BenchTransactions{n}")
                started = time.perf_counter()
                loop(client, f"BenchTransactions{n}", requests)
                seconds.setdefault(name, []).append(time.perf_counter() - started)
    finally:
        server.stop()
        shutil.rmtree(scratch, ignore_errors=True)
    baseline = statistics.median(next(iter(seconds.values())))
    print(f"DynamoDB Local's write paths: {len(requests)} items of {LEGACY.name}, {ROUNDS} alternating rounds, "
          "medians.\n")
    print("| loop over the items | seconds | rate / BatchWriteItem of 25 |")
    print("|---|---|---|")
    for name, times in seconds.items():
        median = statistics.median(times)
        print(f"| {name} | {median:.2f} | {baseline / median:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
