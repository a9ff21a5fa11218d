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

ROOT = Path(__file__).resolve().parent.parent
LEGACY = Path(os.environ.get("LEGACY_DB_PATH", ROOT / "data" / "legacy-db.json"))
CACHE = ROOT / "var" / "bench-scale"
BAND = "iron-maiden"


def _environment(database: Path, endpoint: str) -> None:
    os.environ.update({
        "DJANGO_SETTINGS_MODULE": "metalfests.settings.test",
        "DATABASE_URL": f"sqlite:///{database}",
        "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "local"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "local"),
        "AWS_REGION": "eu-west-1",
        "DYNAMODB_READ_TIMEOUT_SECONDS": "30",
        "CLOUDFRONT_DISTRIBUTION_ID": "",
        "DYNAMODB_TABLE_NAME": "BenchImport",
    })


def catalog_path(times: int) -> Path:
    digest = hashlib.sha256(LEGACY.read_bytes()).hexdigest()[:12]
    return CACHE / f"catalog-{digest}-x{times}.sqlite3"


def build_catalog(times: int) -> Path:
    """The imported ×`times` catalog (built in a subprocess the first time, then reused)."""
    import subprocess

    target = catalog_path(times)
    if target.exists():
        return target
    CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "bench.scale_publish", "--build", str(times)], cwd=ROOT, check=True)
    return target


def _build(times: int) -> None:
    from bench.scale import scale_legacy
    from devtools.dynamodb_local import DynamoDBLocal

    target = catalog_path(times)
    scratch = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    server = DynamoDBLocal().start()
    try:
        _environment(scratch / "catalog.sqlite3", server.endpoint)
        os.environ["METALFESTS_VAR_DIR"] = str(scratch)
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


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--build"]:
        _build(int(argv[1]))
        return 0
    raise SystemExit("not built yet")


if __name__ == "__main__":
    sys.exit(main())
