"""`import_legacy` on hostile files: one clear error naming the problem, no traceback, nothing written (issue 10, item 6)."""

import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from catalog.models import Band, Festival

pytestmark = pytest.mark.django_db

HOSTILE = {
    "nested 100,000 deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "nested objects": ('{"festivals": ' + '{"a": ' * 50_000 + "1" + "}" * 50_000 + "}", "nested too deeply"),
    "a 5,000-digit number": ('{"festivals": [], "bands": [{"name": ' + "9" * 5000 + "}]}", "digits"),
    "NaN": ('{"festivals": [{"key": "x", "name": "X", "ticketPrice": NaN}], "bands": []}', "NaN"),
    "Infinity": ('{"festivals": [], "bands": [{"key": "b", "name": -Infinity}]}', "-Infinity"),
    "not JSON": ("hello, world", "not valid JSON"),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_file_is_one_clear_error_and_nothing_is_written(tmp_path, name):
    text, named = HOSTILE[name]
    path = tmp_path / "db.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CommandError) as caught:
        call_command("import_legacy", str(path))
    message = str(caught.value)
    assert named in message and str(path) in message
    assert "Traceback" not in message and len(message) < 400
    assert not Festival.objects.exists() and not Band.objects.exists() and not AuditEntry.objects.exists()


def test_run_from_the_command_line_it_prints_no_traceback(tmp_path, capsys):
    """What an operator sees: `CommandError: …` on stderr and exit status 1 (Django's own handling of CommandError)."""
    from django.core.management import ManagementUtility

    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    with pytest.raises(SystemExit) as exited:
        ManagementUtility(["manage.py", "import_legacy", str(path)]).execute()
    assert exited.value.code == 1
    err = capsys.readouterr().err
    assert err.startswith("CommandError: ") and "nested too deeply" in err and "Traceback" not in err
