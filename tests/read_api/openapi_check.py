"""Validate a response (status, required headers, JSON body) against read_api/openapi.yaml."""

import functools
import json
import re
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

DOCUMENT = Path(__file__).resolve().parents[2] / "read_api" / "openapi.yaml"
ROOT = "urn:metalfests:openapi"


@functools.cache
def document() -> dict:
    return yaml.safe_load(DOCUMENT.read_text())


@functools.cache
def _registry() -> Registry:
    return Registry().with_resource(ROOT, Resource.from_contents(document(), default_specification=DRAFT202012))


def _template_for(path: str) -> str | None:
    segments = path.strip("/").split("/")
    best = None
    for template in document()["paths"]:
        parts = template.strip("/").split("/")
        if len(parts) != len(segments):
            continue
        literal = 0
        for part, segment in zip(parts, segments, strict=True):
            if part.startswith("{"):
                continue
            if part != segment:
                break
            literal += 1
        else:
            if best is None or literal > best[0]:
                best = (literal, template)
    return best[1] if best else None


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


def validate_response(path: str, method: str, status: int, headers: dict, body: str) -> None:
    template = _template_for(path)
    assert template is not None, f"{path} is not documented"
    operation = document()["paths"][template].get(method.lower())
    assert operation is not None, f"{method} {template} is not documented"
    responses = operation["responses"]
    key = str(status) if str(status) in responses else "default"
    assert key in responses, f"{method} {template} does not document status {status}"
    response = responses[key]
    if "$ref" in response:
        name = response["$ref"].rsplit("/", 1)[-1]
        response = document()["components"]["responses"][name]
    lower = {k.lower(): v for k, v in headers.items()}
    for name, spec in (response.get("headers") or {}).items():
        if "$ref" in spec:
            spec = document()["components"]["headers"][spec["$ref"].rsplit("/", 1)[-1]]
        if spec.get("required"):
            assert name.lower() in lower, f"{method} {path} {status}: missing header {name}"
        if name.lower() in lower and "schema" in spec and "pattern" in spec["schema"]:
            assert re.search(spec["schema"]["pattern"], lower[name.lower()]), f"header {name}={lower[name.lower()]!r}"
    content = response.get("content")
    if method.upper() == "HEAD" or status in (204, 304):
        assert body == "", f"{status} for {method} must have no body"
        return
    assert content, f"{method} {template} {status} documents no body"
    if "application/json" not in content:  # a calendar: its media type is documented, its text checked by its tests
        media_type = lower.get("content-type", "").split(";")[0].strip()
        assert media_type in content, f"{method} {path} {status}: {media_type} is not documented"
        return
    schema_ref = _pointer("paths", template, method.lower(), "responses", key, "content", "application/json", "schema") \
        if "$ref" not in responses[key] else \
        _pointer("components", "responses", responses[key]["$ref"].rsplit("/", 1)[-1], "content", "application/json", "schema")
    validator = Draft202012Validator({"$ref": ROOT + schema_ref}, registry=_registry())
    errors = sorted(validator.iter_errors(json.loads(body)), key=lambda e: list(e.path))
    assert not errors, f"{method} {path} {status}: " + "; ".join(
        f"{'/'.join(map(str, e.path))}: {e.message}" for e in errors[:5])
