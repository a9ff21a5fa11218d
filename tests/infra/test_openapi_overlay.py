"""API Gateway's view of the OpenAPI document: every operation integrated with its function, validated, 3.0."""

import json

import pytest
import yaml

from infra import openapi_overlay as overlay
from infra.package import OPENAPI_SOURCE

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {"title": "Test API", "version": "2"},
    "servers": [{"url": "https://api.example.com/api"}],
    "components": {
        "parameters": {"Limit": {"name": "limit", "in": "query", "schema": {"type": ["integer", "null"]}}},
        "schemas": {"Festival": {"type": "object", "properties": {"name": {"type": ["string", "null"]}}}},
    },
    "paths": {
        "/festivals": {
            "get": {
                "operationId": "list_festivals",
                "parameters": [{"$ref": "#/components/parameters/Limit"}],
                "responses": {
                    "200": {
                        "description": "Festivals",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Festival"}}},
                    }
                },
            }
        },
        "/festivals/{key}": {
            "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
            "get": {"responses": {"200": {"description": "One"}, "404": {"description": "Missing"}}},
            "head": {"responses": {"200": {"description": "Headers"}}},
        },
        "/roles/{key}/members": {
            "get": {
                "parameters": [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}],
                "responses": {"200": {"description": "Members"}},
            }
        },
    },
}


@pytest.fixture(scope="module")
def view():
    return overlay.gateway_view(DOCUMENT)


def test_view_is_openapi_30_with_full_paths_and_no_models(view):
    assert view["openapi"].startswith("3.0.")
    assert set(view["paths"]) == {"/api/festivals", "/api/festivals/{key}", "/api/roles/{key}/members"}
    assert "components" not in view and "servers" not in view
    assert view["info"] == {"title": overlay.API_NAME, "description": "Test API", "version": "2"}


def test_every_operation_proxies_to_its_functions_live_alias(view):
    for path, item in view["paths"].items():
        function = overlay.function_for_path(path)
        for method in ("get", "head"):
            if method not in item:
                continue
            integration = item[method]["x-amazon-apigateway-integration"]
            assert integration["type"] == "aws_proxy"
            assert integration["httpMethod"] == "POST"
            assert f"${{{function}Aliaslive}}" in integration["uri"]["Fn::Sub"]
    assert "FestivalsFunctionAliaslive" in json.dumps(view["paths"]["/api/festivals/{key}"]["head"])
    assert "RolesFunctionAliaslive" in json.dumps(view["paths"]["/api/roles/{key}/members"])


def test_requests_are_validated_and_parameters_inlined(view):
    assert view["x-amazon-apigateway-request-validator"] == overlay.VALIDATOR
    validator = view["x-amazon-apigateway-request-validators"][overlay.VALIDATOR]
    assert validator == {"validateRequestBody": True, "validateRequestParameters": True}
    assert view["paths"]["/api/festivals"]["get"]["parameters"] == [
        {"name": "limit", "in": "query", "required": False, "schema": {"type": "integer"}}
    ]
    one = view["paths"]["/api/festivals/{key}"]["get"]
    assert one["parameters"] == [{"name": "key", "in": "path", "required": True, "schema": {"type": "string"}}]
    assert one["responses"] == {"200": {"description": "One"}, "404": {"description": "Missing"}}


def test_every_path_answers_cors_preflight_without_lambda(view):
    for path, item in view["paths"].items():
        preflight = item["options"]
        assert preflight["x-amazon-apigateway-integration"]["type"] == "mock"
        declared = {p["name"] for p in preflight.get("parameters", []) if p["in"] == "path"}
        assert declared == {segment.strip("{}") for segment in path.split("/") if segment.startswith("{")}


def test_gateway_errors_use_the_api_error_envelope(view):
    responses = view["x-amazon-apigateway-gateway-responses"]
    assert responses["MISSING_AUTHENTICATION_TOKEN"]["statusCode"] == "404"
    assert responses["THROTTLED"]["statusCode"] == "429"
    for response in responses.values():
        body = response["responseTemplates"]["application/json"]
        assert body.startswith('{"error":{"code":"')


@pytest.mark.parametrize(
    "paths, message",
    [
        ({"/api/venues": {"get": {"responses": {}}}}, "No read function"),
        ({"/api/festivals": {"post": {"responses": {}}}}, "read-only"),
        ({}, "no paths"),
    ],
)
def test_documents_the_read_functions_cannot_serve_are_refused(paths, message):
    with pytest.raises(overlay.OverlayError, match=message):
        overlay.gateway_view({"openapi": "3.0.3", "info": {}, "paths": paths})


def test_the_read_tiers_document_maps_onto_the_four_functions(tmp_path):
    if not OPENAPI_SOURCE.exists():
        pytest.fail(f"{OPENAPI_SOURCE} is missing: API Gateway has nothing to deploy")
    target = tmp_path / "openapi.apigw.yaml"
    view = overlay.write_gateway_view(OPENAPI_SOURCE, target)
    assert yaml.safe_load(target.read_text()) == view  # what AWS::Include reads back
    functions = {overlay.function_for_path(path) for path in view["paths"]}
    assert functions == set(overlay.FUNCTIONS.values())
    for path, item in view["paths"].items():
        assert "x-amazon-apigateway-integration" in item["get"], path
