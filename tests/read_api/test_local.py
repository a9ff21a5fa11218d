"""`python -m read_api.local`: real HTTP in, API Gateway proxy events to the handlers, and the API fuzz against it.

The fuzz (schemathesis, bounded and deterministic) sends generated requests for every
operation of read_api/openapi.yaml: no 5xx and no response outside the document.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from devtools.ports import free_port, wait_for_port
from read_api import local

from .openapi_check import validate_response

pytestmark = pytest.mark.dynamodb
ROOT = Path(__file__).resolve().parents[2]
DOCUMENT = ROOT / "read_api" / "openapi.yaml"
ORIGIN = "https://metalfests.com"


@pytest.fixture(scope="module")
def server(seeded):
    port = free_port()
    env = {**os.environ, "CORS_ALLOWED_ORIGINS": ORIGIN, "DYNAMODB_TABLE_NAME": seeded.table_name,
           "AWS_ENDPOINT_URL_DYNAMODB": seeded.endpoint_url}
    process = subprocess.Popen([sys.executable, "-m", "read_api.local", "--port", str(port)], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        wait_for_port(port, process=process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _get(server, path, **kwargs):
    response = requests.request(kwargs.pop("method", "GET"), server + path, timeout=10, **kwargs)
    validate_response(path.split("?")[0], response.request.method, response.status_code,
                      dict(response.headers), response.text)
    return response


def test_event_shape():
    event = local.to_event("GET", "/api/bands?limit=5&limit=7&reviewed=", [("Origin", "x"), ("Accept", "a/b")], "1.2.3.4")
    assert event["path"] == "/api/bands" and event["httpMethod"] == "GET"
    assert event["multiValueQueryStringParameters"] == {"limit": ["5", "7"], "reviewed": [""]}
    assert event["queryStringParameters"] == {"limit": "7", "reviewed": ""}
    assert event["headers"]["Origin"] == "x" and event["requestContext"]["identity"]["sourceIp"] == "1.2.3.4"
    assert local.to_event("GET", "/api/genres/heavy%2Dmetal", [], "")["path"] == "/api/genres/heavy-metal"


def test_serves_the_handlers_over_http(server):
    response = _get(server, "/api/bands/iron-maiden", headers={"Origin": ORIGIN})
    assert response.status_code == 200 and response.json()["band"]["name"] == "Iron Maiden"
    assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
    assert _get(server, "/api/bands/iron-maiden", headers={"If-None-Match": response.headers["ETag"]}).status_code == 304
    assert _get(server, "/api/bands?limit=2&limit=3").json()["bands"].__len__() == 3
    head = _get(server, "/api/genres", method="HEAD")
    assert head.status_code == 200 and head.text == "" and head.headers["ETag"]
    moved = _get(server, "/api/festivals/wacken-open-air", allow_redirects=False)
    assert moved.status_code == 301 and moved.headers["Location"] == "/api/festivals/wacken"
    assert requests.post(server + "/api/bands", data=b"{}", timeout=10).status_code == 405
    assert requests.get(server + "/nothing/here", timeout=10).status_code == 404


def test_head_over_http_sends_the_length_get_sends(server):
    """Issue 11.7: HEAD answered Content-Length: 0 where GET sent N bytes."""
    for path in ("/api/genres", "/api/bands/iron-maiden", "/api/bands/nobody"):
        get, head = _get(server, path), _get(server, path, method="HEAD")
        assert head.status_code == get.status_code and head.text == ""
        assert int(head.headers["Content-Length"]) == len(get.content) > 0
        assert head.raw.headers.getlist("Content-Length") == [head.headers["Content-Length"]]  # one, not two


def test_odd_inputs_never_produce_other_5xx(server):
    odd = ["/api/bands/%F0%9F%A4%98", "/api/bands/" + "x" * 5000, "/api/bands/a%2Fb", "/api/festivals/%00",
           "/api/bands?limit=%FF", "/api/bands?offset=-0", "/api/bands?cursor=" + "A" * 3000,
           "/api/festivals/wacken/editions/%32%30%32%35", "/api/roles/vocals/members?cursor=eyJzIjoxfQ",
           "/api/genres?limit=1&offset=99999999999999999999", "/api/festivals/upcoming?cursor=e30"]
    for path in odd:
        response = requests.get(server + path, timeout=10)
        assert response.status_code < 500, (path, response.status_code, response.text[:200])


def test_schemathesis_fuzz(server):
    import schemathesis
    from hypothesis import HealthCheck, Phase, given, settings
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    schema = schemathesis.openapi.from_path(str(DOCUMENT))
    checks = [not_a_server_error, status_code_conformance, content_type_conformance,
              response_headers_conformance, response_schema_conformance]
    session = requests.Session()
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 63  # 21 paths × GET, HEAD, OPTIONS
    failures = []
    for operation in operations:
        @settings(max_examples=12, derandomize=True, deadline=None, database=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def run(case):
            response = case.call(base_url=server, session=session, headers={"Origin": ORIGIN})
            case.validate_response(response, checks=checks)

        try:
            run()
        except Exception as exc:  # collect every operation's failure, then report them all
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_document_is_valid_openapi_and_covers_every_route():
    import importlib

    import yaml
    from openapi_spec_validator import validate

    from read_api import handlers

    document = yaml.safe_load(DOCUMENT.read_text())
    validate(document)
    routes = {route.template for module in handlers.MODULES.values()
              for route in importlib.import_module(module).router.routes}
    assert routes == set(document["paths"])
    for path, operations in document["paths"].items():
        assert set(operations) == {"get", "head", "options"}, path
