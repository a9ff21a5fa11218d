"""Run the local OpenID provider (devtools/oidc/server.mjs, the certified npm `oidc-provider`) with Node.

Used by `make run` (fixed port, key kept under var/) and by the tests (a free port, one per
session). Fails loudly when Node or the npm package is missing. `django_environment()` gives
the OIDC_* variables that point the admin at it.
"""

import json
import shutil
import subprocess
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .ports import free_port
from .process import start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "devtools" / "oidc" / "server.mjs"
USERS_FILE = ROOT / "devtools" / "oidc" / "users.json"
PACKAGE = ROOT / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "metalfests-admin"
CLIENT_SECRET = "local-client-secret"  # local provider only; production reads OIDC_RP_CLIENT_SECRET


class OIDCProviderUnavailable(RuntimeError):
    """Node or the oidc-provider package is missing: run `make install`."""


def find_node() -> str:
    node = shutil.which("node")
    if not node:
        raise OIDCProviderUnavailable("`node` is not on PATH; install Node.js 20+ (`make system-deps`).")
    if not PACKAGE.exists():
        raise OIDCProviderUnavailable(f"{PACKAGE.parent} is missing; run `npm ci` (or `make install`).")
    return node


def provider_users() -> dict[str, dict]:
    """The provider's users by login (passwords included: they are local test accounts)."""
    return {user["login"]: user for user in json.loads(USERS_FILE.read_text())["users"]}


@dataclass
class LocalOIDCProvider:
    port: int = field(default_factory=free_port)
    key_file: Path | None = None  # None: a new signing key each start
    id_token_ttl: int = 3600
    process: subprocess.Popen | None = None

    @property
    def issuer(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0) -> "LocalOIDCProvider":
        env = {
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "OIDC_PORT": str(self.port),
            "OIDC_ISSUER": self.issuer,
            "OIDC_CLIENT_ID": CLIENT_ID,
            "OIDC_CLIENT_SECRET": CLIENT_SECRET,
            "OIDC_ID_TOKEN_TTL": str(self.id_token_ttl),
            "NODE_ENV": "development",
        }
        if self.key_file is not None:
            self.key_file.parent.mkdir(parents=True, exist_ok=True)
            env["OIDC_KEY_FILE"] = str(self.key_file)
        self.process = start_server(
            [find_node(), str(SERVER)], port=self.port, cwd=ROOT, env=env, timeout=timeout,
            unavailable=OIDCProviderUnavailable, name="the local OpenID provider",
        )
        return self

    def stop(self) -> None:
        stop_server(self.process)
        self.process = None

    def set_groups(self, login: str, groups: list[str]) -> dict:
        """Change a test user's groups at the provider (as an Identity Center admin would)."""
        request = urllib.request.Request(
            f"{self.issuer}/dev/users/{login}",
            data=json.dumps({"groups": groups}).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            return json.load(response)

    def django_environment(self) -> dict[str, str]:
        """The OIDC_* settings that make the admin a client of this provider."""
        return {
            "OIDC_ENABLED": "true",
            "OIDC_OP_ISSUER": self.issuer,
            "OIDC_OP_AUTHORIZATION_ENDPOINT": f"{self.issuer}/auth",
            "OIDC_OP_TOKEN_ENDPOINT": f"{self.issuer}/token",
            "OIDC_OP_USER_ENDPOINT": f"{self.issuer}/me",
            "OIDC_OP_JWKS_ENDPOINT": f"{self.issuer}/jwks",
            "OIDC_OP_LOGOUT_ENDPOINT": f"{self.issuer}/logout",
            "OIDC_RP_CLIENT_ID": CLIENT_ID,
            "OIDC_RP_CLIENT_SECRET": CLIENT_SECRET,
        }


def main() -> None:  # pragma: no cover - a manual convenience: python -m devtools.oidc_provider
    provider = LocalOIDCProvider(port=8003).start()
    print(json.dumps(provider.django_environment(), indent=2), flush=True)
    try:
        provider.process.wait()
    except KeyboardInterrupt:
        provider.stop()


if __name__ == "__main__":
    main()
