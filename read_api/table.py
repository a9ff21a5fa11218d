"""Create, describe or delete the read model's table: `python -m read_api.table create|describe|delete`.

`create` is idempotent and waits until the table is active: an existing table keeps its
items and gains the indexes the schema added since it was made (GSI4 for the map filter), and
TTL on `expires` (the change feed's entries expire). For local use and tests; production creates the table with CloudFormation
(point-in-time recovery, encryption, tags).
"""

import argparse
import contextlib
import dataclasses
import json
import sys
import time

from . import config, feed, schema
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
    """Create the table with its GSIs unless it exists (then add the GSIs it lacks); True when created now."""
    with admin_timeouts():
        if Item.exists():
            add_missing_indexes()
            enable_ttl()
            return False
        Item.create_table(wait=True, billing_mode="PAY_PER_REQUEST")
        enable_ttl()
        return True


def enable_ttl() -> bool:
    """Switch on DynamoDB's TTL on the change feed's `expires` attribute unless it is on; True when switched now."""
    client = Item._get_connection().connection.client
    name = config.settings.table_name
    status = client.describe_time_to_live(TableName=name).get("TimeToLiveDescription", {})
    if status.get("TimeToLiveStatus") in ("ENABLED", "ENABLING"):
        return False
    client.update_time_to_live(TableName=name, TimeToLiveSpecification={"Enabled": True,
                                                                       "AttributeName": feed.TTL_ATTRIBUTE})
    return True


def add_missing_indexes() -> list[str]:
    """Create each GSI of the schema that the table lacks (one UpdateTable each, as DynamoDB requires); their names."""
    client = Item._get_connection().connection.client
    name = config.settings.table_name
    present = {i["IndexName"] for i in client.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])}
    added = []
    for index in Item._indexes.values():
        meta = index.Meta
        if meta.index_name in present:
            continue
        keys = [(attr.attr_name, "HASH" if attr.is_hash_key else "RANGE") for attr in meta.attributes.values()]
        client.update_table(
            TableName=name,
            AttributeDefinitions=[{"AttributeName": attr, "AttributeType": "S"} for attr, _ in keys],
            GlobalSecondaryIndexUpdates=[{"Create": {
                "IndexName": meta.index_name,
                "KeySchema": [{"AttributeName": attr, "KeyType": kind} for attr, kind in keys],
                "Projection": {"ProjectionType": "ALL"},
            }}],
        )
        _wait_active(client, name, meta.index_name)
        added.append(meta.index_name)
    return added


def _wait_active(client, name: str, index_name: str, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        indexes = client.describe_table(TableName=name)["Table"].get("GlobalSecondaryIndexes", [])
        if any(i["IndexName"] == index_name and i.get("IndexStatus") == "ACTIVE" for i in indexes):
            return
        time.sleep(0.5)
    raise TimeoutError(f"index {index_name} of {name} is not active after {timeout:.0f} s")


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
