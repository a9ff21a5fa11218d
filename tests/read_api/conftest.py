"""Fixtures of the read tier's tests: the seeded table, an API Gateway event caller, DynamoDB call counting.

Every response that `api` returns has been validated against read_api/openapi.yaml.
"""

import copy
import importlib
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from read_api import handlers

from . import data
from .openapi_check import validate_response

EVENTS = Path(__file__).parent / "events"


def load_event(name: str) -> dict:
    return json.loads((EVENTS / f"{name}.json").read_text())


@dataclass
class Response:
    status: int
    headers: dict
    body: str

    def json(self):
        return json.loads(self.body)

    def header(self, name: str) -> str | None:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return None


def handler_for(path: str):
    parts = path.strip("/").split("/")
    module = handlers.MODULES.get(parts[1] if len(parts) > 1 else "", handlers.MODULES["festivals"])
    return importlib.import_module(module).lambda_handler


def make_event(path: str, method: str = "GET", query: dict | None = None, headers: dict | None = None) -> dict:
    event = copy.deepcopy(load_event("get_festivals"))
    event["path"] = path
    event["httpMethod"] = method
    event["requestContext"]["httpMethod"] = method
    event["requestContext"]["path"] = "/prod" + path
    if query:
        multi = {k: (v if isinstance(v, list) else [v]) for k, v in query.items()}
        event["multiValueQueryStringParameters"] = multi
        event["queryStringParameters"] = {k: v[-1] for k, v in multi.items()}
    for name, value in (headers or {}).items():
        event["headers"][name] = value
        event["multiValueHeaders"][name] = [value]
    return event


def invoke(event: dict, *, validate: bool = True) -> Response:
    raw = handler_for(event["path"])(event, None)
    assert set(raw) == {"statusCode", "headers", "body", "isBase64Encoded"}
    response = Response(raw["statusCode"], raw["headers"], raw["body"])
    if validate:
        validate_response(event["path"], event["httpMethod"], response.status, response.headers, response.body)
    return response


@pytest.fixture
def api():
    """api(path, method=..., query=..., headers=...) -> Response, through the module's lambda_handler."""
    def call(path, method="GET", query=None, headers=None, validate=True):
        return invoke(make_event(path, method, query, headers), validate=validate)
    return call


@pytest.fixture(scope="module")
def seeded(dynamodb_table_session):
    """The table holding tests/read_api/data.py's catalog, written once per test module."""
    from tests.fixtures.dynamodb import bind, empty_table

    bind(dynamodb_table_session)
    empty_table(dynamodb_table_session)
    data.write(data.all_items())
    return dynamodb_table_session


@pytest.fixture
def dynamo_calls(dynamodb_table_session):
    """The DynamoDB operations sent during the test, counted at the botocore client."""
    from read_api.schema import Item

    events = Item._get_connection().connection.client.meta.events
    calls: list[str] = []

    def record(model, params, **kwargs):
        calls.append(model.name)

    events.register("before-call.dynamodb", record, unique_id="read-api-test-counter")
    yield calls
    events.unregister("before-call.dynamodb", unique_id="read-api-test-counter")
