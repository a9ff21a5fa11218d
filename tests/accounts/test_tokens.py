"""ID and access token verification: only genuine, fresh RS256 tokens from our issuer for our client pass."""

import time

import jwt
import pytest

from accounts.tokens import TokenInvalid, verify_access_token, verify_id_token
from tests.fixtures.oidc import MINT_CLIENT_ID as CLIENT_ID


def test_a_genuine_id_token_is_accepted(minter):
    claims = verify_id_token(minter.id_token(), nonce="n-1")
    assert claims["sub"] == "sub-123" and claims["aud"] == CLIENT_ID


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda m: m.id_token(key=m.forger), "signature"),
        (lambda m: m.id_token(exp=int(time.time()) - 3600), "expired"),
        (lambda m: m.id_token(iss="https://evil.example/pool"), "issuer"),
        (lambda m: m.id_token(aud="another-client"), "another client"),
        (lambda m: m.unsigned(m.claims(aud=CLIENT_ID, nonce="n-1", token_use="id")), "only RS256"),
        (lambda m: m.id_token(nonce="someone-elses-nonce"), "nonce"),
        (lambda m: m.id_token(token_use="access"), "token_use"),
        (lambda m: m.id_token(headers={"kid": "unknown-kid"}), "kid"),
    ],
    ids=["forged", "expired", "wrong-issuer", "wrong-audience", "alg-none", "wrong-nonce", "access-as-id", "unknown-kid"],
)
def test_bad_id_tokens_are_refused(minter, make, reason, monkeypatch):
    # An unknown kid triggers one JWKS refetch; answer it with the same keys.
    monkeypatch.setattr("accounts.tokens.JWKSCache._fetch", lambda self, url: setattr(self, "_fetched_at", time.monotonic()))
    with pytest.raises(TokenInvalid, match=reason):
        verify_id_token(make(minter), nonce="n-1")


def test_an_hs256_token_keyed_with_the_public_key_is_refused(minter):
    public_pem = minter.key.public_key().public_bytes(
        encoding=__import__("cryptography.hazmat.primitives.serialization", fromlist=["Encoding"]).Encoding.PEM,
        format=__import__("cryptography.hazmat.primitives.serialization", fromlist=["PublicFormat"]).PublicFormat.SubjectPublicKeyInfo,
    )
    token = jwt.encode(minter.claims(aud=CLIENT_ID, nonce="n-1"), public_pem.decode()[:64], algorithm="HS256",
                       headers={"kid": minter.kid})
    with pytest.raises(TokenInvalid, match="only RS256"):
        verify_id_token(token, nonce="n-1")


def test_a_genuine_access_token_is_accepted(minter):
    claims = verify_access_token(minter.access_token())
    assert claims["cognito:groups"] == ["AdminEditor"]


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda m: m.id_token(), "token_use"),
        (lambda m: m.access_token(client_id="another-client"), "another client"),
        (lambda m: m.access_token(exp=int(time.time()) - 600), "expired"),
        (lambda m: m.access_token(key=m.forger), "signature"),
        (lambda m: m.access_token(iss="https://evil.example/pool"), "issuer"),
        (lambda m: m.unsigned(m.claims(client_id=CLIENT_ID, token_use="access")), "only RS256"),
    ],
    ids=["id-token", "wrong-client", "expired", "forged", "wrong-issuer", "alg-none"],
)
def test_bad_access_tokens_are_refused(minter, make, reason):
    with pytest.raises(TokenInvalid, match=reason):
        verify_access_token(make(minter))
