"""Behaviour every endpoint shares, endpoint by endpoint: one DynamoDB request, JSON, caching headers,
ETag/304, CORS, HEAD/OPTIONS/405, cache tags, the log line; and the helpers' edge cases."""

import dataclasses
import json

import pytest

from read_api import config, http

from .conftest import invoke, load_event

pytestmark = pytest.mark.dynamodb

ORIGIN = "https://metalfests.com"

# path, TTL from the specification, expected Cache-Tag
ENDPOINTS = [
    ("/api/festivals", 600, "festivals"),
    ("/api/festivals/upcoming", 300, "upcoming"),
    ("/api/festivals/wacken", 1800, "festival:wacken"),
    ("/api/festivals/wacken/editions", 1800, "festival:wacken"),
    ("/api/festivals/wacken/editions/2025", 3600, "festival:wacken"),
    ("/api/bands", 600, "bands"),
    ("/api/bands/reviewed", 600, "bands"),
    ("/api/bands/unreviewed", 300, "bands"),
    ("/api/bands/iron-maiden", 1800, "band:iron-maiden"),
    ("/api/bands/iron-maiden/festivals", 600, "band:iron-maiden"),
    ("/api/genres", 3600, "genres"),
    ("/api/genres/heavy-metal", 3600, "genre:heavy-metal"),
    ("/api/genres/heavy-metal/bands", 600, "genre:heavy-metal"),
    ("/api/roles", 3600, "roles"),
    ("/api/roles/vocals", 3600, "role:vocals"),
    ("/api/roles/vocals/members", 600, "role:vocals"),
]
PATHS = [path for path, _, _ in ENDPOINTS]


@pytest.fixture
def cors(monkeypatch):
    monkeypatch.setattr(config, "settings", dataclasses.replace(config.settings, cors_allowed_origins=(ORIGIN,)))


def test_sixteen_endpoints():
    assert len(ENDPOINTS) == 16


@pytest.mark.parametrize("path,ttl,tag", ENDPOINTS)
def test_get_answers_json_with_caching_headers_from_one_request(seeded, api, dynamo_calls, path, ttl, tag):
    response = api(path)
    assert response.status == 200
    assert dynamo_calls in (["GetItem"], ["Query"])
    assert response.header("Content-Type") == "application/json; charset=utf-8"
    assert response.header("Cache-Control") == (
        f"public, max-age={ttl}, stale-while-revalidate={ttl}, stale-if-error=86400")
    assert response.header("Cache-Tag") == tag
    assert response.header("Vary") == "Origin"
    assert response.header("ETag") == http.etag_of(response.body.encode())
    json.loads(response.body)


@pytest.mark.parametrize("path", PATHS)
def test_matching_if_none_match_gets_304(seeded, api, path):
    etag = api(path).header("ETag")
    again = api(path, headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == ""
    assert again.header("ETag") == etag and again.header("Cache-Control").startswith("public, max-age=")
    assert api(path, headers={"If-None-Match": f'"other", W/{etag}'}).status == 304
    assert api(path, headers={"If-None-Match": '"something-else"'}).status == 200


@pytest.mark.parametrize("path", PATHS)
def test_cors_for_configured_origins_only(seeded, api, cors, path):
    allowed = api(path, headers={"Origin": ORIGIN})
    assert allowed.header("Access-Control-Allow-Origin") == ORIGIN
    assert "ETag" in allowed.header("Access-Control-Expose-Headers")
    other = api(path, headers={"Origin": "https://evil.example"})
    assert other.status == 200 and other.header("Access-Control-Allow-Origin") is None
    assert other.header("Vary") == "Origin"


@pytest.mark.parametrize("path", PATHS)
def test_preflight(seeded, api, cors, dynamo_calls, path):
    headers = {"Origin": ORIGIN, "Access-Control-Request-Method": "GET"}
    response = api(path, method="OPTIONS", headers=headers)
    assert response.status == 204 and response.body == ""
    assert response.header("Access-Control-Allow-Origin") == ORIGIN
    assert response.header("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS"
    assert "If-None-Match" in response.header("Access-Control-Allow-Headers")
    assert dynamo_calls == []  # a preflight reads nothing
    refused = api(path, method="OPTIONS", headers={**headers, "Origin": "https://evil.example"})
    assert refused.status == 204 and refused.header("Access-Control-Allow-Origin") is None


@pytest.mark.parametrize("path", PATHS)
def test_head_has_the_headers_of_get_and_no_body(seeded, api, path):
    get, head = api(path), api(path, method="HEAD")
    assert head.status == 200 and head.body == ""
    assert head.header("ETag") == get.header("ETag")


@pytest.mark.parametrize("path", PATHS)
def test_head_sends_the_content_length_get_would_send(seeded, api, path):
    """Issue 11.7: HEAD said Content-Length: 0 where GET sent N bytes (RFC 9110 §9.3.2: GET's headers)."""
    get, head = api(path), api(path, method="HEAD")
    assert head.header("Content-Length") == str(len(get.body.encode())) != "0"
    not_found = api("/api/bands/nobody", method="HEAD")
    assert not_found.status == 404 and not_found.header("Content-Length") == str(len(api("/api/bands/nobody").body.encode()))
    unchanged = api(path, method="HEAD", headers={"If-None-Match": get.header("ETag")})
    assert unchanged.status == 304 and unchanged.header("Content-Length") is None  # never 0 for a 304


CURRENT, PREVIOUS = "c" * 40, "p" * 40


@pytest.fixture
def origin_check(monkeypatch):
    """The deployed configuration: only calls carrying CloudFront's X-Origin-Verify are answered."""
    monkeypatch.setattr(config, "settings", dataclasses.replace(
        config.settings, origin_secrets=(CURRENT.encode(), PREVIOUS.encode())))


@pytest.mark.parametrize("path", PATHS)
def test_direct_calls_without_the_origin_header_get_403_before_any_read(seeded, api, dynamo_calls, origin_check, path):
    """Issue 10.8: the execute-api URL answered anyone, so offsets and cursors skipped CloudFront's cache and WAF."""
    for headers in ({}, {"X-Origin-Verify": "guess"}, {"X-Origin-Verify": CURRENT[:-1]}, {"X-Origin-Verify": ""},
                    {"X-Origin-Verify": CURRENT + "x"}, {"X-Origin-Verify": "é" * 40}):
        for method in ("GET", "HEAD", "OPTIONS"):
            response = api(path, method=method, query={"offset": "500"}, headers=headers, validate=False)
            assert response.status == 403, (headers, method)
            assert response.header("Cache-Control") == "no-store"
            if method == "GET":
                error = response.json()["error"]
                assert error["code"] == "FORBIDDEN" and set(error) == {"code", "message", "details", "timestamp", "requestId"}
                assert CURRENT not in response.body and PREVIOUS not in response.body
    assert dynamo_calls == []


@pytest.mark.parametrize("path", PATHS)
def test_calls_through_cloudfront_are_answered_with_the_current_or_previous_value(seeded, api, origin_check, path):
    for value in (CURRENT, PREVIOUS):
        assert api(path, headers={"X-Origin-Verify": value}).status == 200
        assert api(path, headers={"x-origin-verify": value}).status == 200  # header names are case-insensitive


def test_the_forbidden_answer_is_documented(seeded, api, origin_check):
    api("/api/bands", headers={})  # validated against read_api/openapi.yaml by the fixture
    api("/api/bands", method="HEAD", headers={})


def test_without_configured_values_there_is_no_check_locally(seeded, api):
    assert config.settings.origin_secrets == ()
    assert api("/api/genres").status == 200


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", PATHS)
def test_other_methods_get_405(seeded, api, dynamo_calls, path, method):
    response = api(path, method=method, validate=False)  # the document lists only GET, HEAD, OPTIONS
    assert response.status == 405
    assert response.header("Allow") == "GET, HEAD, OPTIONS"
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"
    assert dynamo_calls == []


@pytest.mark.parametrize("path", PATHS)
def test_one_json_log_line_per_request(seeded, api, capsys, path):
    capsys.readouterr()
    api(path)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1
    record = json.loads(lines[0])
    assert record["status"] == 200 and record["route"].startswith("/api/")
    assert record["requestId"] == "c6af9ac6-7b61-11e6-9a41-93e8deadbeef"
    assert record["dynamodbRequests"] == 1 and record["durationMs"] >= 0 and record["items"] >= 1


def test_saved_events_replay(seeded, cors):
    assert invoke(load_event("get_festivals")).status == 200
    band = invoke(load_event("get_band_detail"))
    assert band.json()["band"]["key"] == "iron-maiden"
    paged = invoke(load_event("get_bands_paged"))  # multi-value: the last value wins, as API Gateway does
    assert len(paged.json()["bands"]) == 10 and not any(b["reviewed"] for b in paged.json()["bands"])
    assert invoke(load_event("get_edition")).json()["edition"]["year"] == 2025
    preflight = invoke(load_event("options_preflight"))
    assert preflight.status == 204 and preflight.header("Access-Control-Allow-Origin") == ORIGIN
    stale = invoke(load_event("get_with_etag"))
    assert stale.status == 200 and stale.header("Access-Control-Allow-Origin") == ORIGIN


# --- errors --------------------------------------------------------------------------------------
def test_unknown_paths_are_404(seeded, api):
    for path in ("/api/festivals/wacken/lineup", "/api/bands/a/b/c", "/api/genres//bands"):
        response = api(path, validate=False)
        assert response.status == 404
        assert response.json()["error"]["code"] == "RESOURCE_NOT_FOUND"


@pytest.mark.parametrize("path,parameter", [
    ("/api/bands/Iron-Maiden", "key"),
    ("/api/bands/" + "a" * 101, "key"),
    ("/api/genres/h%C3%A9avy", "key"),
    ("/api/roles/vocals%2Fguitar", "key"),
    ("/api/festivals/wacken/editions/26", "year"),
    ("/api/festivals/wacken/editions/2101", "year"),
    ("/api/festivals/wacken/editions/٢٠٢٥", "year"),
])
def test_malformed_path_parameters_are_400(seeded, api, dynamo_calls, path, parameter):
    response = api(path)
    assert response.status == 400
    error = response.json()["error"]
    assert error["code"] == "VALIDATION_ERROR" and error["details"]["parameter"] == parameter
    assert set(error) == {"code", "message", "details", "timestamp", "requestId"}
    assert dynamo_calls == []


@pytest.mark.parametrize("query,parameter", [
    ({"limit": "0"}, "limit"), ({"limit": "501"}, "limit"), ({"limit": "-1"}, "limit"), ({"limit": "ten"}, "limit"),
    ({"limit": "1e3"}, "limit"), ({"limit": "9" * 40}, "limit"), ({"offset": "-5"}, "offset"),
    ({"offset": "10001"}, "offset"), ({"reviewed": "maybe"}, "reviewed"), ({"cursor": "not-a-cursor"}, "cursor"),
    ({"cursor": "", "offset": "1"}, "cursor"),
])
def test_malformed_query_parameters_are_400_naming_the_range(seeded, api, query, parameter):
    response = api("/api/bands", query=query)
    assert response.status == 400
    details = response.json()["error"]["details"]
    assert details["parameter"] == parameter
    if parameter == "limit":
        assert (details["minimum"], details["maximum"]) == (1, 500)


def test_internal_errors_leak_nothing(seeded, api, monkeypatch, capsys):
    from read_api.handlers import genres

    def broken(request):
        raise RuntimeError("secret table name MetalFests and a stack")

    route = next(r for r in genres.router.routes if r.template == "/api/genres")
    monkeypatch.setattr(route, "function", broken)
    capsys.readouterr()
    response = api("/api/genres")
    assert response.status == 500
    assert response.header("Cache-Control") == "no-store"
    error = response.json()["error"]
    assert error["code"] == "INTERNAL_ERROR" and error["details"] == {}
    assert "secret" not in response.body and "Traceback" not in response.body and "MetalFests" not in response.body
    record = json.loads(capsys.readouterr().out.strip())
    assert record["level"] == "ERROR" and "RuntimeError: secret" in record["error"]  # operators see it, clients do not


def test_router_survives_garbage_events():
    from read_api.handlers import bands

    for event in ({}, None, "garbage", {"headers": "not-a-dict"}, {"path": None, "httpMethod": None}, {"path": "/api/bands/x", "headers": None,
                                                            "multiValueQueryStringParameters": {"limit": []}}):
        result = bands.lambda_handler(event, None)
        assert result["statusCode"] < 500 or result["statusCode"] == 503


def test_etag_comparison():
    assert http._etag_matches("*", '"a"')
    assert http._etag_matches('"b", W/"a"', '"a"')
    assert not http._etag_matches('"ab"', '"a"')


def test_metrics_off_by_default_then_in_embedded_metric_format(seeded, api, capsys, monkeypatch):
    capsys.readouterr()
    api("/api/bands/iron-maiden")
    plain = json.loads(capsys.readouterr().out)
    assert "_aws" not in plain and "traceId" not in plain

    monkeypatch.setattr(
        config, "settings", dataclasses.replace(config.settings, metrics_namespace="MetalFests/PublicApi", tracing="xray")
    )
    monkeypatch.setenv(config.LAMBDA_TRACE_ID_VAR, "Root=1-5759e988-bd862e3fe1be46a994272793")
    api("/api/bands/iron-maiden")
    record = json.loads(capsys.readouterr().out)
    directive = record["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "MetalFests/PublicApi"
    assert directive["Dimensions"] == [["Function", "Route"]]
    assert record["Route"] == "/api/bands/{key}" and record["Function"] == "bands"
    for metric in directive["Metrics"]:  # every declared metric has its value at the top level
        assert isinstance(record[metric["Name"]], (int, float))
    assert record["DynamoDBRequests"] == 1 and record["ServerErrors"] == 0
    assert record["traceId"].startswith("Root=1-")


def test_observability_settings_come_from_the_environment(monkeypatch):
    monkeypatch.setenv(config.METRICS_NAMESPACE_VAR, "MetalFests/PublicApi")
    monkeypatch.setenv(config.TRACING_VAR, "XRAY")
    monkeypatch.setenv(config.SERVICE_NAME_VAR, "metal-fests-public-api")
    settings = config.from_environment()
    assert (settings.metrics_namespace, settings.tracing, settings.service_name) == (
        "MetalFests/PublicApi", "xray", "metal-fests-public-api")
    monkeypatch.delenv(config.METRICS_NAMESPACE_VAR)
    assert config.from_environment().metrics_namespace is None
