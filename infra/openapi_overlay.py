"""Derive API Gateway's definition of the public API from read_api/openapi.yaml.

`read_api/openapi.yaml` documents the API for people and tests; API Gateway
needs more (an integration per operation, request validation, gateway error
answers) and accepts less (OpenAPI 3.0 only; response models it would turn into
API Gateway models, which reject some JSON Schema). So the deployment does not
use the document as it is: `python -m infra.package` writes a *gateway view* of
it to `dist/openapi.apigw.yaml`, which `infra/template.yaml` pulls in with
`AWS::Include`:

- every path and GET operation, with its parameters (`$ref`s inlined, schema
  reduced to its type) so API Gateway's validator checks required ones;
- responses reduced to their status codes (the read tier, not the gateway,
  shapes answers);
- a Lambda proxy integration per operation to the live alias of the function
  that owns the resource (`/api/festivals…` → `FestivalsFunction`);
- an `OPTIONS` mock per path for CORS preflight (CloudFront adds the headers);
- gateway responses in the API's error envelope (400, unknown path, 429, 5xx);
- the API's name as its title (a `Fn::Sub`: the included file may hold intrinsics).

`partner=True` writes the same API for partners (`dist/openapi.partner.yaml`, the template's
`PartnerApi`): every GET and HEAD requires an API key in `x-api-key`, which API Gateway checks
and meters against the key's usage plan (free or partner tier: throttle and quota), with gateway
answers for a missing or unknown key (403) and a spent quota (429) in the error envelope.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

# First path segment under /api → SAM logical ID of the function serving it.
FUNCTIONS = {
    "festivals": "FestivalsFunction",
    "bands": "BandsFunction",
    "genres": "GenresFunction",
    "roles": "RolesFunction",
    "changes": "ChangesFunction",
    "search": "SearchFunction",
}
# SAM names the alias that AutoPublishAlias creates "<function>Alias<alias>"; a
# plain Ref to it works whichever transform CloudFormation runs first.
ALIAS = "live"
# The REST API's name, as PublicApi's Name in the template: the title of the definition is the
# same, so the API is named alike whichever of the two API Gateway takes (the alarms find it by name).
API_NAME = {"Fn::Sub": "metalfests-public-api-${Environment}"}
PARTNER_API_NAME = {"Fn::Sub": "metalfests-partner-api-${Environment}"}
API_KEY_HEADER = "x-api-key"
API_KEY_SCHEME = "api_key"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
VALIDATOR = "all"

_ENVELOPE = (
    '{"error":{"code":"%s","message":%s,"details":{},'
    '"timestamp":"$context.requestTime","requestId":"$context.requestId"}}'
)


class OverlayError(ValueError):
    """The OpenAPI document cannot be mapped onto the read functions."""


def alias_logical_id(function_logical_id: str) -> str:
    return f"{function_logical_id}Alias{ALIAS}"


def integration_uri(function_logical_id: str) -> dict[str, str]:
    return {
        "Fn::Sub": (
            "arn:${AWS::Partition}:apigateway:${AWS::Region}:lambda:path/2015-03-31/functions/"
            "${%s}/invocations" % alias_logical_id(function_logical_id)
        )
    }


def function_for_path(path: str) -> str:
    segments = [segment for segment in path.split("/") if segment]
    if len(segments) >= 2 and segments[0] == "api" and segments[1] in FUNCTIONS:
        return FUNCTIONS[segments[1]]
    raise OverlayError(f"No read function serves {path!r} (expected /api/<{'|'.join(FUNCTIONS)}>…).")


def _resolve(document: dict[str, Any], node: Any) -> Any:
    """Inline a local `$ref` (`#/components/...`)."""
    seen = set()
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        if not ref.startswith("#/") or ref in seen:
            raise OverlayError(f"Cannot inline $ref {ref!r}.")
        seen.add(ref)
        target: Any = document
        for part in ref[2:].split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _schema_type(document: dict[str, Any], schema: Any) -> str:
    schema = _resolve(document, schema) if schema is not None else {}
    kind = schema.get("type", "string") if isinstance(schema, dict) else "string"
    if isinstance(kind, list):  # OpenAPI 3.1: ["string", "null"]
        kind = next((k for k in kind if k != "null"), "string")
    return kind


def _gateway_parameter(document: dict[str, Any], parameter: Any) -> dict[str, Any]:
    parameter = _resolve(document, parameter)
    result = {
        "name": parameter["name"],
        "in": parameter["in"],
        "required": bool(parameter.get("required", parameter["in"] == "path")),
        "schema": {"type": _schema_type(document, parameter.get("schema"))},
    }
    return result


def _base_path(document: dict[str, Any]) -> str:
    servers = document.get("servers") or []
    if not servers:
        return ""
    return urlparse(servers[0].get("url", "")).path.rstrip("/")


def _preflight(path_parameters: list[dict[str, Any]]) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "summary": "CORS preflight, answered by API Gateway (CloudFront adds the CORS headers).",
        "responses": {"204": {"description": "No content"}},
        "x-amazon-apigateway-integration": {
            "type": "mock",
            "requestTemplates": {"application/json": '{"statusCode": 204}'},
            "responses": {"default": {"statusCode": "204"}},
            "passthroughBehavior": "when_no_match",
        },
    }
    if path_parameters:
        operation["parameters"] = path_parameters
    return operation


def _gateway_response(status: int | None, code: str, message: str, cache_control: str) -> dict[str, Any]:
    """A gateway response in the API's error envelope; `status` None keeps API Gateway's own status code."""
    response: dict[str, Any] = {
        "responseParameters": {
            "gatewayresponse.header.Cache-Control": f"'{cache_control}'",
        },
        "responseTemplates": {"application/json": _ENVELOPE % (code, message)},
    }
    if status is not None:
        response["statusCode"] = str(status)
    return response


GATEWAY_RESPONSES = {
    "BAD_REQUEST_PARAMETERS": _gateway_response(
        400, "VALIDATION_ERROR", '"$context.error.validationErrorString"', "max-age=60"
    ),
    "BAD_REQUEST_BODY": _gateway_response(
        400, "VALIDATION_ERROR", '"$context.error.validationErrorString"', "max-age=60"
    ),
    # API Gateway answers an unknown path or method with 403 "Missing Authentication Token".
    "MISSING_AUTHENTICATION_TOKEN": _gateway_response(
        404, "RESOURCE_NOT_FOUND", '"No such endpoint."', "max-age=60"
    ),
    "THROTTLED": _gateway_response(
        429, "RATE_LIMIT_EXCEEDED", '"Rate limit exceeded. Please retry after 60 seconds."', "no-store"
    ),
    # A function that crashed or timed out (502, 504): the status stays, the body follows the envelope.
    "DEFAULT_5XX": _gateway_response(None, "INTERNAL_ERROR", '"$context.error.message"', "no-store"),
}


PARTNER_GATEWAY_RESPONSES = {
    # A missing or unknown key: API Gateway's own 403, in the envelope, never cached.
    "INVALID_API_KEY": _gateway_response(
        403, "FORBIDDEN", '"A valid API key is required in the x-api-key header."', "no-store"
    ),
    "MISSING_AUTHENTICATION_TOKEN": _gateway_response(
        404, "RESOURCE_NOT_FOUND", '"No such endpoint."', "max-age=60"
    ),
    "QUOTA_EXCEEDED": _gateway_response(
        429, "QUOTA_EXCEEDED", '"This API key has used its quota for the period."', "no-store"
    ),
}


def gateway_view(document: dict[str, Any], *, partner: bool = False) -> dict[str, Any]:
    """Return the API Gateway definition derived from the OpenAPI `document` (`partner`: keyed, see the module)."""
    if not isinstance(document.get("paths"), dict) or not document["paths"]:
        raise OverlayError("The OpenAPI document has no paths.")
    base = _base_path(document)
    info = document.get("info") or {}
    paths: dict[str, Any] = {}
    for raw_path, item in sorted(document["paths"].items()):
        item = _resolve(document, item)
        path = raw_path if not base or raw_path == base or raw_path.startswith(base + "/") else base + raw_path
        function = function_for_path(path)
        shared = [_gateway_parameter(document, p) for p in item.get("parameters", [])]
        gateway_item: dict[str, Any] = {}
        path_parameters = [p for p in shared if p["in"] == "path"]
        for method in HTTP_METHODS:
            if method not in item:
                continue
            if method not in ("get", "head", "options"):
                raise OverlayError(f"{method.upper()} {path}: the public API is read-only.")
            operation = item[method]
            own = [_gateway_parameter(document, p) for p in operation.get("parameters", [])]
            names = {(p["name"], p["in"]) for p in own}
            parameters = own + [p for p in shared if (p["name"], p["in"]) not in names]
            path_parameters = path_parameters or [p for p in parameters if p["in"] == "path"]
            gateway_operation: dict[str, Any] = {
                key: operation[key] for key in ("operationId", "summary", "tags") if key in operation
            }
            if parameters:
                gateway_operation["parameters"] = parameters
            gateway_operation["responses"] = {
                str(status): {"description": str(_resolve(document, response).get("description", ""))}
                for status, response in (operation.get("responses") or {"200": {"description": "OK"}}).items()
            }
            if method == "options":
                gateway_item[method] = _preflight(path_parameters)
                continue
            if partner:
                gateway_operation["security"] = [{API_KEY_SCHEME: []}]
            gateway_operation["x-amazon-apigateway-integration"] = {
                "type": "aws_proxy",
                "httpMethod": "POST",
                "uri": integration_uri(function),
                "passthroughBehavior": "when_no_match",
                "timeoutInMillis": 10000,
            }
            gateway_item[method] = gateway_operation
        if "get" not in gateway_item:
            continue
        gateway_item.setdefault("options", _preflight(path_parameters))
        paths[path] = gateway_item
    view = {
        "openapi": "3.0.1",
        "info": {
            "title": copy.deepcopy(PARTNER_API_NAME if partner else API_NAME),
            "description": str(info.get("title", "Metal Fests public API")) + (" (partners)" if partner else ""),
            "version": str(info.get("version", "1")),
        },
        "paths": paths,
        "x-amazon-apigateway-request-validators": {
            VALIDATOR: {"validateRequestBody": True, "validateRequestParameters": True},
        },
        "x-amazon-apigateway-request-validator": VALIDATOR,
        "x-amazon-apigateway-gateway-responses": copy.deepcopy(
            {**GATEWAY_RESPONSES, **PARTNER_GATEWAY_RESPONSES} if partner else GATEWAY_RESPONSES),
    }
    if partner:
        view["x-amazon-apigateway-api-key-source"] = "HEADER"
        view["components"] = {"securitySchemes": {
            API_KEY_SCHEME: {"type": "apiKey", "name": API_KEY_HEADER, "in": "header"}}}
    return view


def write_gateway_view(source: Path, target: Path, *, partner: bool = False) -> dict[str, Any]:
    """Read the OpenAPI document at `source`, write its gateway view to `target` (YAML) and return it."""
    with source.open(encoding="utf-8") as handle:
        document = yaml.safe_load(handle)
    view = gateway_view(document, partner=partner)
    target.parent.mkdir(parents=True, exist_ok=True)
    # JSON is YAML: a stable, quote-everything form that AWS::Include reads back unchanged.
    target.write_text(json.dumps(view, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return view
