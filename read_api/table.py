"""Create, describe or delete the read model's table: `python -m read_api.table create|describe|delete`.

`create` is idempotent (an existing table is left as it is) and waits until the table
is active. For local use and tests; production creates the table with CloudFormation
(point-in-time recovery, encryption, tags).
"""

import argparse
import contextlib
import dataclasses
import json
import sys

from . import config, schema
from .schema import Item


@contextlib.contextmanager
def admin_timeouts():
    """Table operations (and bulk writes in tests) may take seconds: not the read path's timeouts."""
    schema.bind(dataclasses.replace(config.settings, connect_timeout_seconds=5, read_timeout_seconds=60))
    try:
        yield
    finally:
        schema.bind(config.settings)


def create() -> bool:
    """Create the table with its three GSIs unless it exists; True when it was created now."""
    with admin_timeouts():
        if Item.exists():
            return False
        Item.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        return True


def delete() -> bool:
    with admin_timeouts():
        if not Item.exists():
            return False
        Item.delete_table()
        return True


def describe() -> dict:
    with admin_timeouts():
        return Item.describe_table()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m read_api.table", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["create", "describe", "delete"])
    args = parser.parse_args(argv)
    settings = config.reload()
    where = f"{settings.table_name} at {settings.endpoint_url or 'AWS ' + settings.region}"
    if args.action == "create":
        print(f"{'created' if create() else 'exists:'} {where}")
    elif args.action == "delete":
        print(f"{'deleted' if delete() else 'absent:'} {where}")
    else:
        print(json.dumps(describe(), indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
