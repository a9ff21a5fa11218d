"""Run the local OpenID provider (devtools/oidc/server.mjs, the certified npm `oidc-provider`) with Node.

Used by `make run` (fixed port, key kept under var/) and by the tests (a free port, one per
session). Fails loudly when Node or the npm package is missing. `django_environment()` gives
the OIDC_* variables that point the admin at it; `sign_in()` runs the authorization-code flow
for a test user, as a browser would, and returns the provider's tokens.

    python -m devtools.oidc_provider              # run a provider on :8003 alone
    python -m devtools.oidc_provider token editor # an access token from the one `make run` started
"""

import argparse
import base64
import hashlib
import json
import re
import secrets
import shutil
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urljoin, urlparse

from .ports import free_port
from .process import start_server, stop_server

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "devtools" / "oidc" / "server.mjs"
USERS_FILE = ROOT / "devtools" / "oidc" / "users.json"
PACKAGE = ROOT / "node_modules" / "oidc-provider" / "package.json"
CLIENT_ID = "metalfests-admin"
CLIENT_SECRET = "local-client-secret"  # local provider only; production reads OIDC_RP_CLIENT_SECRET
CALLBACK = "http://127.0.0.1:9/oidc/callback/"  # any loopback port is allowed; nothing needs to listen there


class OIDCProviderUnavailable(RuntimeError):
    """Node or the oidc-provider package is missing: run `make install`."""


class SignInFailed(RuntimeError):
    """The provider did not sign the user in (wrong password, unknown login)."""


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

    def sign_in(self, login: str, *, password: str | None = None, redirect_uri: str = CALLBACK) -> dict:
        """Sign `login` in (authorization code + PKCE) and redeem the code with Basic client auth.

        Returns the provider's token answer (`access_token`, `id_token`, ...) plus the `nonce` sent.
        """
        import requests  # dev dependency: devtools only

        password = password if password is not None else provider_users()[login]["password"]
        session = requests.Session()
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        nonce = secrets.token_urlsafe(16)
        query = urlencode({
            "client_id": CLIENT_ID, "response_type": "code", "scope": "openid email profile",
            "redirect_uri": redirect_uri, "state": secrets.token_urlsafe(8), "nonce": nonce,
            "code_challenge": challenge, "code_challenge_method": "S256",
        })
        page = session.get(f"{self.issuer}/auth?{query}", timeout=10)
        page.raise_for_status()
        action = re.search(r'action="([^"]+)"', page.text).group(1)
        response = session.post(urljoin(page.url, action), data={"login": login, "password": password},
                                allow_redirects=False, timeout=10)
        for _ in range(10):
            location = response.headers.get("location", "")
            if response.status_code not in (302, 303) or location.startswith(redirect_uri):
                break
            response = session.get(urljoin(self.issuer, location), allow_redirects=False, timeout=10)
        location = response.headers.get("location", "")
        if not location.startswith(redirect_uri):
            raise SignInFailed(f"sign-in of {login!r} did not come back with a code: "
                               f"{response.status_code} {response.text[:300]}")
        code = parse_qs(urlparse(location).query)["code"][0]
        tokens = requests.post(
            f"{self.issuer}/token",
            data={"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
                  "code_verifier": verifier},
            auth=(CLIENT_ID, CLIENT_SECRET), timeout=10,
        )
        tokens.raise_for_status()
        return {**tokens.json(), "nonce": nonce}

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m devtools.oidc_provider", description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=8003)
    commands = parser.add_subparsers(dest="command")
    token = commands.add_parser("token", help="print an access token for a test user of the running provider")
    token.add_argument("login", choices=sorted(provider_users()))
    token.add_argument("--id-token", action="store_true", help="print the ID token instead")
    args = parser.parse_args(argv)
    provider = LocalOIDCProvider(port=args.port)
    if args.command == "token":
        try:
            tokens = provider.sign_in(args.login)
        except (OSError, SignInFailed) as exc:
            print(f"no token from {provider.issuer}: {exc} (is `make run` running?)", file=sys.stderr)
            return 1
        print(tokens["id_token" if args.id_token else "access_token"])
        return 0
    provider.start()
    print(json.dumps(provider.django_environment(), indent=2), flush=True)
    try:
        provider.process.wait()
    except KeyboardInterrupt:
        provider.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
