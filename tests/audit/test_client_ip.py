"""The audit trail records the address the deployment saw, never one the client wrote (issue 10, item 9)."""

import json

import pytest
from django.test import RequestFactory
from django.test.client import ClientHandler
from zappa.wsgi import create_wsgi_request

from audit.context import client_ip
from audit.models import AuditAction, AuditEntry
from tests import factories

pytestmark = pytest.mark.django_db


def _last_update():
    return AuditEntry.objects.filter(action=AuditAction.UPDATE).latest("id")


def test_a_forwarded_for_header_written_by_the_client_is_not_the_client(key_client):
    factories.genre(key="doom", name="Doom")
    editor = key_client("AdminEditor")
    response = editor.put("/api/admin/genres/doom", {"name": "Doom Metal"}, format="json",
                          HTTP_X_FORWARDED_FOR="6.6.6.6")
    assert response.status_code == 200, response.content
    assert _last_update().ip == "127.0.0.1"


@pytest.mark.parametrize("garbage", ["not-an-ip<script>", "1.2.3.4:5678", "999.1.1.1", "", "1.2.3.4\x00"])
def test_garbage_is_never_stored(key_client, garbage):
    factories.genre(key="doom", name="Doom")
    editor = key_client("AdminEditor")
    response = editor.put("/api/admin/genres/doom", {"name": "Doom Metal"}, format="json",
                          REMOTE_ADDR=garbage, HTTP_X_FORWARDED_FOR=garbage)
    assert response.status_code == 200, response.content
    assert _last_update().ip is None


def _api_gateway_event(*, forwarded_for: str, source_ip: str, api_key: str, body: dict) -> dict:
    """An API Gateway REST proxy event as Zappa receives it (the request context holds what API Gateway saw)."""
    return {
        "resource": "/{proxy+}", "path": "/api/admin/genres/doom", "httpMethod": "PUT",
        "headers": {"Host": "admin.example.com", "Content-Type": "application/json", "X-Api-Key": api_key,
                    "X-Forwarded-For": forwarded_for, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443",
                    "User-Agent": "pytest-zappa"},
        "multiValueHeaders": {}, "queryStringParameters": None, "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": "api/admin/genres/doom"}, "stageVariables": None,
        "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": "PUT", "stage": "production",
                           "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
                           "identity": {"sourceIp": source_ip, "userAgent": "pytest-zappa"}},
        "body": json.dumps(body), "isBase64Encoded": False,
    }


@pytest.mark.parametrize("forwarded_for", ["6.6.6.6, 203.0.113.7", "6.6.6.6, 203.0.113.7, 130.176.0.1", "not-an-ip<script>"])
def test_under_zappa_the_address_api_gateway_saw_is_recorded(settings, key_client, forwarded_for):
    """The environ is built by Zappa's own create_wsgi_request, as its handler does, and run through Django."""
    settings.ALLOWED_HOSTS = ["admin.example.com"]
    factories.genre(key="doom", name="Doom")
    editor = key_client("AdminEditor")
    event = _api_gateway_event(forwarded_for=forwarded_for, source_ip="203.0.113.7", api_key=editor.raw_key,
                               body={"name": "Doom Metal"})
    environ = create_wsgi_request(event, script_name="", trailing_slash=False)
    environ["lambda.event"], environ["lambda.context"] = event, None  # what zappa.handler adds
    # Django's WSGI handler as the test client runs it (it keeps the test's database connection open).
    response = ClientHandler(enforce_csrf_checks=False)(environ)
    assert response.status_code == 200, (response.content[:300], environ.get("REMOTE_ADDR"))
    entry = _last_update()
    assert entry.ip == "203.0.113.7" and entry.user_agent == "pytest-zappa"


@pytest.mark.parametrize(("proxies", "forwarded_for", "expected"), [
    (0, "6.6.6.6, 198.51.100.4", "10.0.0.9"),   # no proxy of ours: the header is the client's word
    (1, "6.6.6.6, 198.51.100.4", "198.51.100.4"),  # one proxy appended the last hop
    (2, "6.6.6.6, 198.51.100.4", "6.6.6.6"),
    (3, "6.6.6.6, 198.51.100.4", "10.0.0.9"),  # fewer hops than proxies: it did not come through them
    (1, "6.6.6.6, not-an-ip<script>", None),
])
def test_trusted_proxy_count_takes_the_right_most_hops(settings, proxies, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_ip(request) == expected


def test_addresses_are_normalised():
    request = RequestFactory().get("/", REMOTE_ADDR="2001:DB8:0:0:0:0:0:1")
    assert client_ip(request) == "2001:db8::1"


def test_admin_requests_use_the_same_rule(client, settings):
    """The admin's audit context (audit.middleware) records the same validated address."""
    from django.contrib.auth import get_user_model

    get_user_model().objects.create_superuser("root", password="correct horse battery")
    client.post("/admin/login/", {"username": "root", "password": "correct horse battery"},
                HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="192.0.2.10")
    entry = AuditEntry.objects.filter(action=AuditAction.LOGIN).latest("id")
    assert entry.ip == "192.0.2.10"
