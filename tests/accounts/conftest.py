"""Token minting for the accounts and API tests: an RSA key the JWKS cache trusts, and a forger's key."""

import base64
import json
import time
import uuid

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from accounts.tokens import jwks

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_TEST"
CLIENT_ID = "test-client-id"


class Minter:
    def __init__(self):
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.kid = str(uuid.uuid4())

    def public_jwk(self) -> jwt.PyJWK:
        data = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        return jwt.PyJWK({**data, "kid": self.kid, "alg": "RS256", "use": "sig"})

    def claims(self, **overrides) -> dict:
        now = int(time.time())
        base = {"sub": "sub-123", "iss": ISSUER, "iat": now, "exp": now + 3600, "auth_time": now}
        return {**base, **overrides}

    def id_token(self, *, nonce="n-1", key=None, headers=None, **overrides) -> str:
        claims = self.claims(**{"aud": CLIENT_ID, "token_use": "id", "nonce": nonce, "email": "x@example.test", **overrides})
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid, **(headers or {})})

    def access_token(self, *, key=None, groups=("AdminEditor",), **overrides) -> str:
        claims = self.claims(**{
            "client_id": CLIENT_ID, "token_use": "access", "scope": "openid email", "username": "eddie",
            "cognito:groups": list(groups), **overrides,
        })
        return jwt.encode(claims, key or self.key, algorithm="RS256", headers={"kid": self.kid})

    def unsigned(self, claims: dict) -> str:
        def b64(data: dict) -> str:
            return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()

        return f"{b64({'alg': 'none', 'typ': 'JWT', 'kid': self.kid})}.{b64(claims)}."


@pytest.fixture(scope="session")
def _minter():
    return Minter()


@pytest.fixture
def minter(_minter, settings):
    """Settings of a Cognito-like issuer whose JWKS (already fetched) holds the minter's key."""
    settings.OIDC_ENABLED = True
    settings.OIDC_OP_ISSUER = ISSUER
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_OP_JWKS_ENDPOINT = f"{ISSUER}/.well-known/jwks.json"
    jwks.clear()
    jwks._keys = {_minter.kid: _minter.public_jwk()}
    jwks._url = settings.OIDC_OP_JWKS_ENDPOINT
    jwks._fetched_at = time.monotonic()
    yield _minter
    jwks.clear()
