"""The read path's DynamoDB access: GetItem / one Query page only, and 503 with Retry-After when DynamoDB fails."""

import json
import os
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError, ConnectTimeoutError, EndpointConnectionError

from read_api import queries
from read_api.schema import Item

from .test_http import ENDPOINTS

pytestmark = pytest.mark.dynamodb


LISTS = [path for path, _, tag in ENDPOINTS if ":" not in tag or path.endswith(("editions", "festivals", "bands", "members"))]


def test_no_endpoint_scans_or_sends_more_than_one_request(seeded, api, dynamo_calls):
    for path, _, _ in ENDPOINTS:
        queries_to_try = [None, {"limit": "1"}, {"offset": "1"}] if path in LISTS else [None]
        for query in queries_to_try:
            before = len(dynamo_calls)
            assert api(path, query=query).status == 200
            assert len(dynamo_calls) - before == 1, path
        if path in LISTS:  # and the next page through the cursor
            cursor = api(path, query={"limit": "1"}).json().get("nextCursor")
            if cursor:
                before = len(dynamo_calls)
                assert api(path, query={"limit": "1", "cursor": cursor}).status == 200
                assert len(dynamo_calls) - before == 1, path
    assert set(dynamo_calls) == {"GetItem", "Query"}
    assert len(LISTS) == 11


def _fail_with(monkeypatch, exception):
    client = Item._get_connection().connection.client

    def fail(operation_name, kwargs):
        raise exception

    monkeypatch.setattr(client, "_make_api_call", fail)


@pytest.mark.parametrize("code", ["ProvisionedThroughputExceededException", "ThrottlingException",
                                  "RequestLimitExceeded", "InternalServerError"])
def test_throttling_is_503_with_retry_after(seeded, api, monkeypatch, code):
    error = ClientError({"Error": {"Code": code, "Message": "slow down"}}, "GetItem")
    _fail_with(monkeypatch, error)
    for path in ("/api/bands/iron-maiden", "/api/bands"):
        response = api(path)
        assert response.status == 503
        assert response.header("Retry-After") == "5"
        assert response.header("Cache-Control") == "no-store"
        assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert "slow down" not in response.body


@pytest.mark.parametrize("exception", [EndpointConnectionError(endpoint_url="http://x"),
                                       ConnectTimeoutError(endpoint_url="http://x")])
def test_unreachable_is_503(seeded, api, monkeypatch, exception):
    _fail_with(monkeypatch, exception)
    assert api("/api/festivals/upcoming").status == 503


def test_other_client_errors_are_500(seeded, api, monkeypatch):
    _fail_with(monkeypatch, ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "no table"}}, "Query"))
    response = api("/api/genres")
    assert response.status == 500 and "table" not in response.body


def test_a_dead_endpoint_answers_503_within_the_retry_budget(tmp_path):
    """A real process, a port nothing listens on: botocore's own errors, retries included."""
    env = {**os.environ, "AWS_ENDPOINT_URL_DYNAMODB": "http://127.0.0.1:9", "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "x", "AWS_REGION": "eu-west-1", "DYNAMODB_MAX_RETRY_ATTEMPTS": "1"}
    script = (
        "import json, time; from read_api.handlers import bands\n"
        "t = time.perf_counter()\n"
        "r = bands.lambda_handler({'path': '/api/bands/x', 'httpMethod': 'GET'}, None)\n"
        "print(json.dumps({'status': r['statusCode'], 'retry': r['headers'].get('Retry-After'),"
        " 'seconds': time.perf_counter() - t}))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60, check=True)
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["status"] == 503 and result["retry"] == "5"
    assert result["seconds"] < 10


def test_stats_count_requests_and_capacity(seeded, api):
    queries.reset_stats()
    queries.get("BAND#iron-maiden", "METADATA")
    assert queries.stats.requests == 1 and queries.stats.capacity > 0
