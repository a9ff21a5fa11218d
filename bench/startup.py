"""Start-up benchmark: our manage.py commands and the admin's Lambda cold start, against a bare Django project.

A bare project (`django-admin startproject`, same Python, same Django) is made in a temporary folder.
Each case runs in a fresh interpreter, interleaved with its bare counterpart, ROUNDS times; the table
shows medians of wall time and of CPU time (user + system of the child: on a shared machine wall time
includes waiting for a core, CPU time does not). Every case runs twice over: with bytecode (a warm
PYTHONPYCACHEPREFIX, as a deployed Lambda package or a second run on a workstation has it) and
without (PYTHONDONTWRITEBYTECODE=1 and an empty prefix: every module compiled at each start, as in
this environment's shells).

Cases: `manage.py check` (every system check: the URL checks import every view); `manage.py
diffsettings` (a command with no checks: the floor, django.setup() and the command machinery); one
of our commands, `prune_audit --dry-run` (its checks and one count); and the Lambda cold start: Zappa's
handler imported with a zappa_settings module as Zappa writes it, then the first request (GET
/admin/login/ as API Gateway sends it) through it, with the production settings.

Run: `python -m bench.startup` (part of `make bench`); STARTUP_BENCH_ROUNDS sets the rounds (default 3).
"""

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROUNDS = int(os.environ.get("STARTUP_BENCH_ROUNDS", "3"))

# What the Lambda child runs: Zappa's handler, as the Lambda runtime imports and calls it.
LAMBDA_CHILD = textwrap.dedent("""
    import json, sys, time
    started = time.perf_counter()
    from zappa.handler import lambda_handler
    event = json.loads(sys.argv[1])
    response = lambda_handler(event, None)
    first = time.perf_counter()
    lambda_handler(event, None)
    warm = time.perf_counter()
    assert response["statusCode"] == 200, response
    print(json.dumps({"cold": first - started, "warm": warm - first}))
""")

EVENT = {
    "resource": "/{proxy+}", "path": "/admin/login/", "httpMethod": "GET",
    "headers": {"Host": "admin.example.com", "X-Forwarded-Proto": "https", "Accept": "text/html"},
    "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
    "pathParameters": {"proxy": "admin/login/"}, "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": "GET", "path": "/admin/login/", "stage": "production",
                       "identity": {"sourceIp": "203.0.113.7", "userAgent": "bench"}, "requestId": "bench"},
}


def _run(argv: list[str], cwd: Path, env: dict) -> tuple[float, float, str]:
    """Wall and CPU seconds of one child process, and its stdout."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv)} in {cwd} failed:\n{done.stderr[-3000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done.stdout


def _bare_project(tmp: Path) -> Path:
    (tmp / "bare").mkdir()
    subprocess.run([sys.executable, "-m", "django", "startproject", "bare", str(tmp / "bare")], check=True)
    project = tmp / "bare"
    settings = project / "bare" / "settings.py"
    settings.write_text(settings.read_text() + "\nALLOWED_HOSTS = ['*']\nDEBUG = False\n")
    return project


def _zappa_settings(folder: Path, django_settings: str) -> None:
    """The module Zappa writes into the package (the parts its handler reads for a Django app)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zappa_settings.py").write_text(textwrap.dedent(f"""
        API_STAGE = "production"
        PROJECT_NAME = "bench"
        DJANGO_SETTINGS = "{django_settings}"
        LOG_LEVEL = "WARNING"
        DEBUG = False
        DOMAIN = None
        BASE_PATH = None
        ENVIRONMENT_VARIABLES = {{}}
        BINARY_SUPPORT = True
        CONTEXT_HEADER_MAPPINGS = {{}}
        ADDITIONAL_TEXT_MIMETYPES = []
        AWS_EVENT_MAPPING = {{}}
        AWS_BOT_EVENT_MAPPING = {{}}
        COGNITO_TRIGGER_MAPPING = {{}}
        EXCEPTION_HANDLER = None
    """))


def cases(tmp: Path) -> list[tuple[str, str, Path, list[str], dict]]:
    """(row, column, folder, argv, environment) for every measurement."""
    bare = _bare_project(tmp)
    database = tmp / "ours.sqlite3"
    ours_env = {
        "DJANGO_SETTINGS_MODULE": "metalfests.settings.local", "DATABASE_URL": f"sqlite:///{database}",
        "METALFESTS_VAR_DIR": str(tmp / "var"),
    }
    production = {
        **ours_env, "DJANGO_SETTINGS_MODULE": "metalfests.settings.production", "SECRET_KEY": "bench-" * 10,
        "ALLOWED_HOSTS": "admin.example.com", "SECURE_SSL_REDIRECT": "false",
        **{name: "https://idp.example.com/x" for name in (
            "OIDC_OP_ISSUER", "OIDC_OP_AUTHORIZATION_ENDPOINT", "OIDC_OP_TOKEN_ENDPOINT", "OIDC_OP_JWKS_ENDPOINT",
            "OIDC_OP_LOGOUT_ENDPOINT", "OIDC_RP_CLIENT_ID", "OIDC_RP_CLIENT_SECRET")},
    }
    _zappa_settings(tmp / "zappa-ours", "metalfests.settings.production")
    _zappa_settings(tmp / "zappa-bare", "bare.settings")
    py = sys.executable
    event = json.dumps(EVENT)
    return [
        ("manage.py check", "ours", ROOT, [py, "manage.py", "check"], ours_env),
        ("manage.py check", "bare", bare, [py, "manage.py", "check"], {}),
        ("manage.py diffsettings (no checks)", "ours", ROOT, [py, "manage.py", "diffsettings"], ours_env),
        ("manage.py diffsettings (no checks)", "bare", bare, [py, "manage.py", "diffsettings"], {}),
        ("manage.py prune_audit --dry-run", "ours", ROOT, [py, "manage.py", "prune_audit", "--dry-run"], ours_env),
        ("Lambda cold start: import + first request", "ours", ROOT, [py, "-c", LAMBDA_CHILD, event],
         {**production, "PYTHONPATH": f"{tmp / 'zappa-ours'}{os.pathsep}{ROOT}"}),
        ("Lambda cold start: import + first request", "bare", bare, [py, "-c", LAMBDA_CHILD, event],
         {"PYTHONPATH": f"{tmp / 'zappa-bare'}{os.pathsep}{bare}"}),
    ]


def _environment(extra: dict, bytecode: bool, tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "PYTHONPATH")}
    env.update(extra)
    if bytecode:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache-warm")
    else:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = str(tmp / "pycache-empty")  # stays empty: nothing to load, nothing written
    return env


def measure() -> dict:
    tmp = Path(tempfile.mkdtemp(prefix="bench-startup-"))
    try:
        plan = cases(tmp)
        # Our database for the command that reads it; and one warm-up run of each case fills the bytecode cache.
        migrate_env = _environment(plan[0][4], True, tmp)
        _run([sys.executable, "manage.py", "migrate", "--verbosity", "0"], ROOT, migrate_env)
        # Production serves hashed static names from the manifest that Zappa's prebuild step writes.
        static_env = {**migrate_env, "DJANGO_SETTINGS_MODULE": "metalfests.settings.base"}
        _run([sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"], ROOT, static_env)
        for _row, _column, folder, argv, extra in plan:
            _run(argv, folder, _environment(extra, True, tmp))
        results: dict = {}
        for _ in range(ROUNDS):
            for bytecode in (True, False):
                for row, column, folder, argv, extra in plan:
                    wall, cpu, out = _run(argv, folder, _environment(extra, bytecode, tmp))
                    cell = results.setdefault((row, bytecode), {}).setdefault(column, {"wall": [], "cpu": [], "req": []})
                    cell["wall"].append(wall)
                    cell["cpu"].append(cpu)
                    timings = [line for line in out.splitlines() if line.startswith('{"cold"')]
                    if timings:
                        cell["req"].append(json.loads(timings[-1]))
        return results
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def table(results: dict) -> str:
    lines = [
        "| start-up | bytecode | ours: wall / CPU | bare Django: wall / CPU | ours ÷ bare (CPU) |",
        "|---|---|---|---|---|",
    ]
    for (row, bytecode), columns in results.items():
        cells = {}
        for column, cell in columns.items():
            text = f"{statistics.median(cell['wall']):.2f} s / {statistics.median(cell['cpu']):.2f} s"
            if cell["req"]:
                cold = statistics.median(r["cold"] for r in cell["req"])
                warm = statistics.median(r["warm"] for r in cell["req"]) * 1000
                text += f" (handler: cold {cold:.2f} s, then {warm:.0f} ms warm)"
            cells[column] = text
        ratio = "—"
        if "bare" in columns:
            ratio = f"{statistics.median(columns['ours']['cpu']) / statistics.median(columns['bare']['cpu']):.1f}×"
        lines.append(f"| {row} | {'yes' if bytecode else 'no'} | {cells.get('ours', '—')} | {cells.get('bare', '—')} | {ratio} |")
    return "\n".join(lines)


def main() -> int:
    results = measure()
    print(f"Start-up benchmark: fresh interpreters, {ROUNDS} interleaved rounds, medians; CPU = user + system "
          f"of the child; Python {sys.version.split()[0]}.")
    print(table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
