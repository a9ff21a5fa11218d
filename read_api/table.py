"""Create, describe or delete the read model's table: `python -m read_api.table create|describe|delete`.

`create` is idempotent (an existing table is left as it is) and waits until the table
is active. For local use and tests; production creates the table with CloudFormation
(point-in-time recovery, encryption, tags).
"""

import argparse
import json
import sys

from . import config
from .schema import Item


def create() -> bool:
    """Create the table with its three GSIs unless it exists; True when it was created now."""
    if Item.exists():
        return False
    Item.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
    return True


def delete() -> bool:
    if not Item.exists():
        return False
    Item.delete_table()
    return True


def describe() -> dict:
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
