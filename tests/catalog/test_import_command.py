"""`import_legacy` and `republish` never reach AWS by accident, need their table before writing, and the
import reports the publish it triggers (exit status and summary); health reports failed publish tasks."""

import io
import socket
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from catalog.models import Band, Festival
from devtools.ports import free_port
from publishing.models import PublishTask, TaskStatus
from publishing.writer import WriteFailed, Writer

DATA = Path(__file__).parent / "data"
SMALL = str(DATA / "small.json")


def _import(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("import_legacy", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", ["", "https://dynamodb.eu-west-1.amazonaws.com"])
def test_local_settings_never_write_to_aws(settings, monkeypatch, endpoint):
    settings.DYNAMODB_LOCAL_ONLY = True  # as metalfests.settings.local sets it
    settings.AWS_ENDPOINT_URL_DYNAMODB = endpoint
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", endpoint)
    for command in (("import_legacy", SMALL), ("republish",)):
        with pytest.raises(CommandError, match="only talk to DynamoDB Local.*settings.production"):
            call_command(*command, stdout=io.StringIO(), stderr=io.StringIO())
    assert not Band.objects.exists() and not PublishTask.objects.exists()


def test_local_settings_default_to_dynamodb_local():
    from metalfests.settings import local

    assert local.AWS_ENDPOINT_URL_DYNAMODB.startswith("http://127.0.0.1:") and local.DYNAMODB_LOCAL_ONLY


@pytest.mark.slow
@pytest.mark.django_db
def test_local_settings_start_dynamodb_local_and_create_the_table_when_nothing_listens(settings, monkeypatch, tmp_path):
    port = free_port()
    settings.DYNAMODB_LOCAL_ONLY = True
    settings.VAR_DIR = tmp_path
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", "ImportCommandTest")
    out, err = _import(SMALL)
    assert f"Started DynamoDB Local on http://127.0.0.1:{port}" in err
    assert "Created table ImportCommandTest" in err and "Stopped the DynamoDB Local" in err
    assert Band.objects.filter(key="iron-anvil").exists()
    assert "task(s) queued by this import" in out  # the test settings leave them to the worker
    assert not _listening(port) and (tmp_path / "dynamodb").is_dir()


@pytest.mark.django_db
def test_a_missing_table_is_refused_before_anything_is_written(dynamodb_local, monkeypatch):
    monkeypatch.setenv("DYNAMODB_TABLE_NAME", "NoSuchTable")  # production-like settings: never created here
    with pytest.raises(CommandError, match="Nothing imported: table NoSuchTable does not exist"):
        _import(SMALL)
    assert not Band.objects.exists() and not Festival.objects.exists() and not PublishTask.objects.exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_publish_failure_after_the_import_is_reported_by_the_import_and_by_health(
        dynamodb_table, settings, monkeypatch, tmp_path):
    settings.PUBLISH_ON_COMMIT = True  # as with the local settings: the import publishes after its commit
    settings.PUBLISH_BULK_THRESHOLD = 3

    def refuse(self, operations, **kwargs):
        raise WriteFailed("TransactWriteItems refused: Unable to locate credentials")

    monkeypatch.setattr(Writer, "write_fenced", refuse)
    report_file = tmp_path / "report.json"
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match=r"The import is saved, but \d+ of its \d+ publish tasks failed"):
        call_command("import_legacy", SMALL, "--report", str(report_file), stdout=out, stderr=err)
    assert Band.objects.filter(key="iron-anvil").exists()  # the import itself is kept
    failed = PublishTask.objects.filter(status=TaskStatus.FAILED).count()
    assert failed and f"{failed} failed." in out.getvalue()
    assert "Unable to locate credentials" in err.getvalue()
    assert '"failed"' in report_file.read_text()

    from publishing.admin_api import health

    body = health()
    assert body["status"] == "degraded"
    assert body["checks"]["publishing"]["status"] == "error"
    assert f"{failed} publish task(s) failed" in body["checks"]["publishing"]["error"]

    monkeypatch.undo()  # the cause fixed: publishing catches up and health is clean again
    settings.PUBLISH_ON_COMMIT = True
    settings.PUBLISH_BULK_THRESHOLD = 3
    PublishTask.objects.update(next_attempt_at=timezone.now())  # their retry is due
    call_command("publish_pending", stdout=io.StringIO(), stderr=io.StringIO())
    assert not PublishTask.objects.filter(status=TaskStatus.FAILED).exists()
    assert health()["checks"]["publishing"]["status"] == "ok"
