"""`make run`: the whole product on this machine, with no cloud account.

Starts DynamoDB Local (data kept under var/dynamodb), the local OpenID provider,
the public API's local HTTP adapter on :8001, migrates the catalog, loads the demo
data and a local admin login, then serves the admin on :8000. Ctrl-C stops it all.
"""

import os
import signal
import subprocess
import sys
from pathlib import Path

from .dynamodb_local import DynamoDBLocal
from .ports import wait_for_port

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"
ADMIN_PORT = int(os.environ.get("ADMIN_PORT", "8000"))
API_PORT = int(os.environ.get("API_PORT", "8001"))
DYNAMODB_PORT = int(os.environ.get("DYNAMODB_PORT", "8002"))
OIDC_PORT = int(os.environ.get("OIDC_PORT", "8003"))


def _manage(*args: str, env: dict) -> None:
    subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)


def local_environment() -> dict:
    env = dict(os.environ)
    env.setdefault("DJANGO_SETTINGS_MODULE", "metalfests.settings.local")
    env.setdefault("AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{DYNAMODB_PORT}")
    env.setdefault("AWS_ACCESS_KEY_ID", "local")
    env.setdefault("AWS_SECRET_ACCESS_KEY", "local")
    env.setdefault("AWS_REGION", "eu-west-1")
    env.setdefault("PUBLIC_API_BASE_URL", f"http://127.0.0.1:{API_PORT}")
    env.setdefault("CORS_ALLOWED_ORIGINS", f"http://127.0.0.1:{ADMIN_PORT},http://localhost:{ADMIN_PORT}")
    return env


def main() -> None:
    VAR.mkdir(exist_ok=True)
    env = local_environment()
    children: list[subprocess.Popen] = []
    dynamodb = DynamoDBLocal(port=DYNAMODB_PORT, db_path=VAR / "dynamodb")

    def stop(*_):
        for child in reversed(children):
            if child.poll() is None:
                child.terminate()
        dynamodb.stop()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)
    try:
        dynamodb.start()
        print(f"DynamoDB Local on {dynamodb.endpoint}", flush=True)
        for step in STEPS:
            child = step(env)
            if child is not None:
                children.append(child)
        print(
            f"\nAdmin:       http://127.0.0.1:{ADMIN_PORT}/admin/\n"
            f"Public API:  http://127.0.0.1:{API_PORT}/api/festivals\n",
            flush=True,
        )
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{ADMIN_PORT}"], cwd=ROOT, env=env
        )
        children.append(server)
        server.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stop()


def _dynamodb_table(env: dict):
    """Create the read model's table (idempotent) before anything publishes into it."""
    subprocess.run([sys.executable, "-m", "read_api.table", "create"], cwd=ROOT, env=env, check=True)
    return None


def _prepare_catalog(env: dict):
    _manage("migrate", "--noinput", env=env)
    _manage("load_demo", env=env)
    return None


def _public_api(env: dict):
    local = ROOT / "read_api" / "local.py"
    if not local.exists():
        return None
    subprocess.run([sys.executable, "-m", "read_api.table", "create"], cwd=ROOT, env=env, check=True)
    child = subprocess.Popen([sys.executable, "-m", "read_api.local", "--port", str(API_PORT)], cwd=ROOT, env=env)
    wait_for_port(API_PORT, process=child)
    return child


def _oidc_provider(env: dict):
    """The local OpenID provider (single sign-on as with Cognito); the admin gets its OIDC_* settings."""
    from .oidc_provider import LocalOIDCProvider, provider_users

    provider = LocalOIDCProvider(port=OIDC_PORT, key_file=VAR / "oidc" / "signing-key.json").start()
    env.update(provider.django_environment())
    users = ", ".join(f"{u['login']}/{u['password']} ({', '.join(u['groups']) or 'no admin group'})"
                      for u in provider_users().values())
    print(f"OpenID provider on {provider.issuer} — sign in with SSO as: {users}", flush=True)
    print("  a bearer token for the admin API: python3 -m uv run python -m devtools.oidc_provider token editor",
          flush=True)
    return provider.process


# Each step gets the environment and may return a child process to stop at exit.
STEPS = [_oidc_provider, _dynamodb_table, _prepare_catalog, _public_api]


if __name__ == "__main__":
    main()
