"""The read tier's artifact: only read_api and its run-time closure, compiled, reproducible, and importable on its own.

The import test unpacks the zip into a fresh virtual environment with no site
packages and puts beside it only what the Lambda Python runtime provides
(boto3, botocore and their requirements, linked from this environment), as
/var/task and /var/runtime are on Lambda; then it imports every handler.
"""

import importlib.metadata as metadata
import importlib.util
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from infra import package

HANDLERS = [f"read_api.handlers.{name}" for name in ("festivals", "bands", "genres", "roles", "search")]
NEVER_SHIPPED = ("django", "rest_framework", "boto3", "botocore", "pytest", "_pytest", "moto", "cfnlint", "zappa")


@pytest.fixture(scope="module")
def artifact(tmp_path_factory):
    return package.build(tmp_path_factory.mktemp("dist") / "read-api.zip")


@pytest.fixture(scope="module")
def names(artifact):
    with zipfile.ZipFile(artifact.path) as archive:
        return archive.namelist()


def top_level(name: str) -> str:
    return name.split("/")[0]


def test_ships_read_api_and_pynamodb_and_leaves_botocore_to_the_runtime(artifact, names):
    assert "pynamodb" in artifact.shipped
    assert {"boto3", "botocore"} <= set(artifact.runtime_provided)
    assert not set(artifact.shipped) & set(artifact.runtime_provided)
    tops = {top_level(name) for name in names}
    assert {"read_api", "pynamodb"} <= tops
    for forbidden in NEVER_SHIPPED:
        assert forbidden not in tops, forbidden
    assert not any(top_level(name).lower().startswith("django") for name in names)


def test_closure_follows_installed_metadata():
    """pynamodb's requirements come from its metadata; botocore is among them, and left out as runtime-provided."""
    requirements = " ".join(metadata.requires("pynamodb") or [])
    assert "botocore" in requirements
    shipped, runtime = package.plan(package.ROOT / package.SOURCE_PACKAGE)
    assert "botocore" in runtime and "botocore" not in shipped
    assert "django" not in shipped


def test_every_module_has_cpython_311_bytecode_that_never_stats_its_source(artifact, names):
    sources = [name for name in names if name.endswith(".py")]
    assert sources
    with zipfile.ZipFile(artifact.path) as archive:
        for source in sources:
            cached = importlib.util.cache_from_source(source)
            assert cached.endswith(".cpython-311.pyc")
            data = archive.read(cached)
            assert data[:4] == importlib.util.MAGIC_NUMBER
            assert int.from_bytes(data[4:8], "little") == 0b01  # hash-based, unchecked: no timestamp


def test_zip_is_reproducible(artifact, names, tmp_path):
    again = package.build(tmp_path / "again.zip")
    assert again.path.read_bytes() == artifact.path.read_bytes()
    assert names == sorted(names)
    with zipfile.ZipFile(artifact.path) as archive:
        assert {info.date_time for info in archive.infolist()} == {package.FIXED_DATE}


def test_no_local_paths_or_installer_records_are_shipped(names):
    assert not any(name.startswith("/") or ".." in name.split("/") for name in names)
    assert not any(name.endswith(("direct_url.json", "/RECORD", "/INSTALLER")) for name in names)
    assert not any("__pycache__" in name and not name.endswith(".cpython-311.pyc") for name in names)


def test_no_distribution_ships_its_own_tests_or_unused_time_zones(names):
    assert not [name for name in names if name.split("/")[1:2] in (["tests"], ["test"])]
    assert "tzdata" not in {top_level(name) for name in names}


def test_artifact_is_small(artifact):
    assert artifact.size < 2 * 1024 * 1024
    assert "KiB" in artifact.summary() and "bytes" in artifact.summary()


def _runtime_provided_dir(target: Path, distributions) -> Path:
    """Link the top-level modules of the runtime-provided distributions into `target` (like /var/runtime)."""
    target.mkdir()
    for name in distributions:
        distribution = metadata.distribution(name)
        for file in distribution.files or []:
            top = file.parts[0]
            if top == ".." or top.endswith((".dist-info", ".data")) or top == "__pycache__":
                continue
            if not (target / top).exists():
                (target / top).symlink_to(Path(distribution.locate_file(top)))
    return target


def test_handlers_import_in_a_clean_environment_without_django(artifact, tmp_path):
    task = tmp_path / "task"
    with zipfile.ZipFile(artifact.path) as archive:
        archive.extractall(task)
    runtime = _runtime_provided_dir(tmp_path / "runtime", artifact.runtime_provided)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    assert "include-system-site-packages = false" in (venv / "pyvenv.cfg").read_text()
    script = f"""
import importlib, json, sys
report = {{}}
for name in {HANDLERS!r}:
    module = importlib.import_module(name)
    report[name] = {{"file": module.__file__, "cached": module.__cached__, "handler": callable(getattr(module, "lambda_handler", None))}}
report["django"] = sorted(m for m in sys.modules if m == "django" or m.startswith("django."))
report["pynamodb"] = sys.modules["pynamodb"].__file__
from read_api import calendars  # icalendar from the zip, tzdata left out: the calendars never look a zone up
text = calendars.festival_calendar({{"festival": {{"key": "k", "name": "N", "coordinates": {{"lat": 1, "lng": 2}}}},
                                    "editions": [{{"year": 2026, "dates": {{"start": "2026-07-01", "end": "2026-07-03"}}}}]}})
report["calendar"] = "DTSTART;VALUE=DATE:20260701" in text and "tzdata" not in sys.modules
report["icalendar"] = sys.modules["icalendar"].__file__
print(json.dumps(report))
"""
    environment = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "PYTHONPATH": f"{task}{os.pathsep}{runtime}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "AWS_REGION": "eu-west-1",
        "AWS_DEFAULT_REGION": "eu-west-1",
        "DYNAMODB_TABLE_NAME": "MetalFests",
    }
    result = subprocess.run(
        [str(python), "-c", script], env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report.pop("django") == []
    assert report.pop("pynamodb").startswith(str(task))
    assert report.pop("calendar") is True
    assert report.pop("icalendar").startswith(str(task))
    for name, found in report.items():
        assert found["file"].startswith(str(task)), name
        assert Path(found["cached"]).exists(), name  # the shipped .pyc is the one Python uses
        assert found["handler"], f"{name} has no lambda_handler"


def test_make_package_prints_the_size_and_builds_the_same_bytes_in_another_process(artifact, tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.package",
            "--output",
            str(tmp_path / "read-api.zip"),
            "--openapi-output",
            str(tmp_path / "openapi.apigw.yaml"),
            "--partner-openapi-output",
            str(tmp_path / "openapi.partner.yaml"),
        ],
        cwd=package.ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "read-api.zip: " in result.stdout and " bytes (" in result.stdout, result.stderr
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "read-api.zip").read_bytes() == artifact.path.read_bytes()
    assert (tmp_path / "openapi.apigw.yaml").is_file() and (tmp_path / "openapi.partner.yaml").is_file()


def test_only_modules_the_handlers_reach_are_shipped(names):
    """The local HTTP adapter and the table command are development tools: the handlers never import them."""
    shipped = {name for name in names if name.startswith("read_api/") and name.endswith(".py")}
    assert {f"{handler.replace('.', '/')}.py" for handler in HANDLERS} <= shipped
    assert "read_api/local.py" not in shipped
    assert "read_api/table.py" not in shipped
