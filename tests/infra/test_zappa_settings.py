"""infra/zappa_settings.json, loaded the way `zappa deploy` loads it, matches the template and keeps secrets out.

Zappa's own loader (`ZappaCLI.load_settings`) runs for each stage, with an
offline boto3 session (static placeholder keys; creating clients sends no
request) handed in through the parameter Zappa provides for that — nothing of
Zappa is stubbed — and once more without credentials, as `zappa package` does.
"""

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from zappa.cli import ZappaCLI

from infra import zappa_prebuild

from .conftest import ZAPPA_SETTINGS

ROOT = Path(__file__).resolve().parents[2]
STAGES = ["staging", "production"]  # the admin (HTTP); each has a worker stage "<stage>_worker" (schedules)
ALL_STAGES = [*STAGES, *(f"{stage}_worker" for stage in STAGES)]
# SECRET_KEY, DATABASE_URL (it carries the password), OIDC_RP_CLIENT_SECRET and the like.
SECRET_NAMES = re.compile(r"(SECRET|PASSWORD|TOKEN|CREDENTIALS?|PRIVATE_KEY)$|^SECRET_KEY$|^DATABASE_URL$", re.IGNORECASE)
WORKER = "publishing.worker.lambda_drain"


def load(stage: str, *, credentials: bool) -> ZappaCLI:
    cli = ZappaCLI()
    cli.api_stage = stage
    session = None
    if credentials:
        session = boto3.Session(
            aws_access_key_id="offline-placeholder",
            aws_secret_access_key="offline-placeholder",
            region_name="eu-west-1",
        )
    else:
        cli.load_credentials = False
    cli.load_settings(settings_file=str(ZAPPA_SETTINGS), session=session)
    return cli


@pytest.fixture(scope="module", params=ALL_STAGES)
def stage(request):
    return request.param


def environment(stage: str) -> str:
    """The template's Environment of a Zappa stage (the worker's is its admin's)."""
    return stage.removesuffix("_worker")


def lambda_name(stage: str) -> str:
    """What Zappa names the stage's function (it slugifies the stage: `_` becomes `-`)."""
    return f"metalfests-admin-{stage.replace('_', '-')}"


@pytest.fixture(scope="module")
def cli(stage):
    return load(stage, credentials=True)


def test_every_stage_loads_without_aws(stage):
    cli = load(stage, credentials=False)
    assert cli.lambda_name == lambda_name(stage)


def test_stage_runs_django_on_python_311(cli):
    assert cli.runtime == "python3.11"
    assert cli.django_settings == "metalfests.settings.production"
    assert cli.aws_environment_variables["DJANGO_SETTINGS_MODULE"] == "metalfests.settings.production"
    assert cli.zappa.runtime == "python3.11"
    assert cli.zappa.aws_region == cli.aws_region


def test_publishing_worker_runs_every_minute_in_its_own_function(cli, stage):
    """The schedules run in the worker stage: no API, and a timeout that holds a step of a rebuild
    (at ×100 its scan of the table alone outlasts the admin's 30 s); the admin answers HTTP only and
    is kept warm by Zappa's keep-warm event."""
    events = cli.stage_config["events"]
    if stage in STAGES:
        assert events == [] and cli.stage_config["keep_warm"] is True
        assert cli.timeout_seconds == 30 and cli.use_apigateway
        return
    (worker,) = [event for event in events if event["function"] == WORKER]
    assert worker["expression"] == "rate(1 minute)"
    assert {e["function"] for e in events} == {WORKER, "notifications.schedule.digest", "notifications.schedule.alerts"}
    # Zappa's own naming of the EventBridge rule (it refuses names over AWS's limit).
    for index, event in enumerate(events):
        rule = cli.zappa.get_scheduled_event_name(event, event["function"], cli.lambda_name, index)
        assert re.fullmatch(r"[.\-_A-Za-z0-9]{1,64}", rule), rule
    assert cli.stage_config.get("keep_warm") is False  # the minute's drain keeps it warm
    assert cli.timeout_seconds == 900 and not cli.use_apigateway  # Lambda's longest; never behind API Gateway
    admin = load(environment(stage), credentials=False)
    for name in ("role_name", "remote_env", "aws_environment_variables", "s3_bucket", "memory_size"):
        assert cli.stage_config[name] == admin.stage_config[name], name  # the same code, role and settings


def test_no_secret_is_in_the_settings(cli):
    for name, value in {**cli.environment_variables, **cli.aws_environment_variables}.items():
        assert not SECRET_NAMES.search(name), name
        assert isinstance(value, str)
        assert "@" not in value and "://" not in value, name  # no credentials inside a URL
    assert re.fullmatch(r"s3://[a-z0-9.-]+/admin-env\.json", cli.remote_env)


def test_zappa_uses_the_least_privilege_role_the_template_creates(cli, stage, resources):
    assert cli.manage_roles is False  # Zappa's own default policy is far broader
    assert cli.zappa.role_name == f"metalfests-admin-{environment(stage)}"
    role = resources["AdminFunctionRole"]["Properties"]
    assert role["RoleName"] == {"Fn::Sub": "metalfests-admin-${Environment}"}
    # The function's log group is the template's (30 days kept) and the role may write to it alone.
    group = "WorkerLogGroup" if stage.endswith("_worker") else "AdminLogGroup"
    name = resources[group]["Properties"]["LogGroupName"]["Fn::Sub"]
    assert name.replace("${Environment}", environment(stage)) == f"/aws/lambda/{cli.lambda_name}"
    statements = role["Policies"][0]["PolicyDocument"]["Statement"]
    (logs,) = [s for s in statements if isinstance(s, dict) and s.get("Sid") == "WriteOwnLogs"]
    assert {"Fn::GetAtt": [group, "Arn"]} in logs["Resource"]


def test_role_may_read_exactly_the_remote_env_object(cli, resources):
    statements = resources["AdminFunctionRole"]["Properties"]["Policies"][0]["PolicyDocument"]["Statement"]
    (config,) = [s for s in statements if isinstance(s, dict) and s.get("Sid") == "ReadOwnConfig"]
    key = cli.remote_env.split("/", 3)[3]
    assert config["Action"] == "s3:GetObject"
    assert config["Resource"]["Fn::Sub"].endswith(f"${{AdminConfigBucket}}/{key}")


def test_table_name_matches_the_template_default_in_production(template):
    production = load("production", credentials=False)
    assert production.aws_environment_variables["DYNAMODB_TABLE_NAME"] == template["Parameters"]["TableName"]["Default"]


def test_dev_tools_and_local_data_are_excluded(cli):
    excluded = set(cli.zappa.exclude) | set(cli.zappa.exclude_glob)
    assert {".venv", "node_modules", "tests", "devtools", "bench", "dist", "infra", "*.sqlite3"} <= excluded
    assert {"pytest", "_pytest", "moto", "selenium", "cfnlint", "hypothesis", "schemathesis"} <= excluded
    assert "var" not in excluded and "static" not in excluded  # collected static files ship with the admin
    assert {"var/media", "var/dynamodb", "var/oidc", "var/*.sqlite3*"} <= set(cli.zappa.exclude_glob)


def test_exclude_globs_remove_local_data_and_keep_collected_static_files(cli, tmp_path):
    """The globs applied to a project tree the way Zappa applies them (Path.glob from the package root)."""
    files = [
        "var/static/staticfiles.json",
        "var/static/admin/css/base.css",
        "var/db.sqlite3",
        "var/db.sqlite3-journal",
        "var/media/poster.png",
        "var/dynamodb/shared-local-instance.db",
        "var/oidc/keys.json",
        "var/editor-journey.png",
        "tests/test_x.py",
        "metalfests/settings/production.py",
        "publishing/worker.py",
        "read_api/handlers/bands.py",
        "manage.py",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("x")
    for pattern in cli.zappa.exclude_glob:
        for path in tmp_path.glob(pattern):
            if path.is_file():
                path.unlink()
            elif path.is_dir():
                shutil.rmtree(path)
    left = sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*") if p.is_file())
    assert left == sorted(
        [
            "var/static/staticfiles.json",
            "var/static/admin/css/base.css",
            "metalfests/settings/production.py",
            "publishing/worker.py",
            "read_api/handlers/bands.py",
            "manage.py",
        ]
    )


def test_static_files_are_collected_before_packaging(cli):
    module, function = cli.prebuild_script.rsplit(".", 1)
    assert module == zappa_prebuild.__name__
    assert callable(getattr(zappa_prebuild, function))


# Loads the settings; a required production variable that is missing gets a placeholder and the
# import is retried, all in one process.
STATIC_SETTINGS_SCRIPT = """
import importlib, json, os, re, sys
from django.core.exceptions import ImproperlyConfigured
for _ in range(50):
    try:
        settings = importlib.import_module(os.environ["DJANGO_SETTINGS_MODULE"])
        break
    except ImproperlyConfigured as error:
        name = re.search(r"The environment variable (\\w+) must be set", str(error)).group(1)
        os.environ[name] = "https://placeholder.invalid/" if re.search("URL|ENDPOINT|ISSUER", name) else "placeholder"
        for module in [m for m in sys.modules if m.startswith("metalfests.settings")]:
            del sys.modules[module]
print(json.dumps({"storage": settings.STORAGES["staticfiles"], "apps": settings.INSTALLED_APPS,
                  "middleware": settings.MIDDLEWARE, "root": str(settings.STATIC_ROOT), "url": settings.STATIC_URL}))
"""


def static_settings(environment: dict[str, str]) -> dict:
    """What collectstatic depends on, under the settings module `environment` names."""
    result = subprocess.run(
        [sys.executable, "-c", STATIC_SETTINGS_SCRIPT],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_static_files_are_collected_as_production_serves_them():
    """collectstatic runs with the base settings (no secrets needed); production must agree on every static setting."""
    clean = {k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"}
    collected = static_settings(zappa_prebuild.collectstatic_environment(clean))
    production = static_settings(
        {**clean, "DJANGO_SETTINGS_MODULE": "metalfests.settings.production", "DATABASE_URL": "sqlite:///:memory:"}
    )
    assert production["storage"]["BACKEND"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"
    assert "whitenoise.middleware.WhiteNoiseMiddleware" in production["middleware"]
    for key in ("storage", "apps", "root", "url"):
        assert collected[key] == production[key], key
    assert Path(production["root"]).is_relative_to(ROOT)  # inside the project Zappa zips


def test_the_scheduled_function_exists_with_lambdas_signature():
    worker = ROOT / "publishing" / "worker.py"
    assert worker.exists(), "the Zappa schedule names publishing.worker.lambda_drain"
    tree = ast.parse(worker.read_text(encoding="utf-8"))
    functions = {node.name: node for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert "lambda_drain" in functions, "publishing/worker.py must define lambda_drain(event, context)"
    assert len(functions["lambda_drain"].args.args) == 2
