"""A group removed at the provider stays removed: an older token never restores it (issue 10, item 10)."""

import time

import pytest
from rest_framework.test import APIClient

from accounts.models import Identity
from accounts.services import identity_sign_in
from tests import factories
from tests.api.conftest import assert_envelope
from tests.fixtures.oidc import MINT_ISSUER

pytestmark = pytest.mark.django_db


def bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def groups_of(sub="sub-123") -> set[str]:
    return set(Identity.objects.get(sub=sub).user.groups.values_list("name", flat=True))


def test_a_token_minted_before_the_group_was_removed_does_not_restore_it(minter):
    factories.band(key="metallica")
    now = int(time.time())
    old = bearer(minter.access_token(groups=["AdminEditor"], iat=now - 600))
    assert old.put("/api/admin/bands/metallica", {"name": "M"}, format="json").status_code == 200
    # The provider removed AdminEditor: the next token (a refresh, a new sign-in) says so.
    newer = bearer(minter.access_token(groups=["AdminViewer"], iat=now - 60))
    assert newer.get("/api/admin/stats").status_code == 200
    assert groups_of() == {"AdminViewer"}
    # The old token is still within its hour: it signs in, but with the groups in force, not its own.
    assert_envelope(old.put("/api/admin/bands/metallica", {"name": "M2"}, format="json"), 403, "FORBIDDEN")
    assert old.get("/api/admin/stats").status_code == 200
    assert groups_of() == {"AdminViewer"}


def test_after_every_group_was_removed_an_older_token_is_refused(minter):
    now = int(time.time())
    old = bearer(minter.access_token(groups=["AdminFull"], iat=now - 600))
    assert old.get("/api/admin/stats").status_code == 200
    assert_envelope(bearer(minter.access_token(groups=[], iat=now - 60)).get("/api/admin/stats"), 403, "FORBIDDEN")
    assert_envelope(old.get("/api/admin/stats"), 403, "FORBIDDEN")
    assert groups_of() == set()
    user = Identity.objects.get(sub="sub-123").user
    assert not user.is_staff


def test_a_browser_sign_in_counts_too(minter):
    """An SSO sign-in (ID token) that removed a group is later than an access token minted before it."""
    now = int(time.time())
    identity_sign_in(claims=minter.claims(iat=now - 30, **{"cognito:groups": ["AdminViewer"]}), issuer=MINT_ISSUER)
    old = bearer(minter.access_token(groups=["AdminFull"], iat=now - 900))
    assert_envelope(old.post("/api/admin/cache/invalidate", {"paths": ["/api/bands"]}, format="json"), 403, "FORBIDDEN")
    assert groups_of() == {"AdminViewer"}


def test_a_newer_token_grants_a_group_again(minter):
    """Only older tokens are ignored: a group given back at the provider takes effect with the next token."""
    now = int(time.time())
    identity_sign_in(claims=minter.claims(iat=now - 600, **{"cognito:groups": ["AdminViewer"]}), issuer=MINT_ISSUER)
    identity_sign_in(claims=minter.claims(iat=now - 60, **{"cognito:groups": ["AdminViewer", "AdminEditor"]}),
                     issuer=MINT_ISSUER)
    assert groups_of() == {"AdminViewer", "AdminEditor"}


def test_an_older_token_removes_nothing_either(minter):
    """Its claims are an older view of the provider in both directions: a group added since stays."""
    now = int(time.time())
    identity_sign_in(claims=minter.claims(iat=now - 60, **{"cognito:groups": ["AdminEditor"]}), issuer=MINT_ISSUER)
    user = identity_sign_in(claims=minter.claims(iat=now - 600, **{"cognito:groups": []}), issuer=MINT_ISSUER)
    assert groups_of() == {"AdminEditor"} and user.is_staff
