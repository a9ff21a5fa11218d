"""Shared HTTP concerns of the read handlers: routing, JSON answers, errors, caching headers, ETag/304, CORS, the log line.

A handler module builds a `Router`, registers small route functions that return an
`Answer` (or raise an `ApiError`), and exposes `lambda_handler = router.handle`.
"""

import datetime as dt
import hashlib
import hmac
import json
import math
import os
import re
import sys
import time
import traceback
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlencode

from . import cachetags, config, queries

ALLOWED_METHODS = "GET, HEAD, OPTIONS"
ALLOWED_REQUEST_HEADERS = "Accept, Content-Type, If-None-Match"
EXPOSED_HEADERS = "ETag, Cache-Tag, Retry-After, X-Request-Id"
PREFLIGHT_MAX_AGE = 3600
STALE_IF_ERROR = 86400
ERROR_TTL = 60  # 400/404/405: cached briefly (404s are tagged, so publishing clears them)
KEY_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
KEY_MAX_LENGTH = 100
KEY_PATTERN = "^[a-z0-9]+(?:-[a-z0-9]+)*$"
YEAR_MIN, YEAR_MAX = 1950, 2100


class ApiError(Exception):
    """An answer in the error envelope."""

    def __init__(self, status: int, code: str, message: str, details: dict | None = None,
                 *, tags: list[str] | None = None, headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.details = details or {}
        self.tags = tags or []
        self.headers = headers or {}


def not_found(message: str, tag: str | None = None) -> ApiError:
    return ApiError(404, "RESOURCE_NOT_FOUND", message, tags=[tag] if tag else [])


def invalid(parameter: str, message: str, **details) -> ApiError:
    return ApiError(400, "VALIDATION_ERROR", message, {"parameter": parameter, **details})


def forbidden() -> ApiError:
    return ApiError(403, "FORBIDDEN", "This API is served only at its public address")


def from_origin(request: "Request", settings: config.Settings) -> bool:
    """The request came through CloudFront: it carries one of the accepted X-Origin-Verify values.

    No accepted values (local development only; a deployed function refuses to start without
    them) means no check. Each comparison is constant-time.
    """
    if not settings.origin_secrets:
        return True
    sent = request.headers.get(config.ORIGIN_HEADER.lower())
    if sent is None:
        return False
    sent_bytes = sent.encode("utf-8", "replace")
    return any(hmac.compare_digest(sent_bytes, secret) for secret in settings.origin_secrets)


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    request_id: str

    @classmethod
    def from_event(cls, event: dict, context) -> "Request":
        headers = {}
        for name, values in (event.get("multiValueHeaders") or {}).items():
            if values:
                headers[name.lower()] = values[-1]
        for name, value in (event.get("headers") or {}).items():
            if value is not None:
                headers[name.lower()] = value
        query = {}
        for name, values in (event.get("multiValueQueryStringParameters") or {}).items():
            if values:
                query[name] = values[-1]
        for name, value in (event.get("queryStringParameters") or {}).items():
            if value is not None and name not in query:
                query[name] = value
        request_id = ((event.get("requestContext") or {}).get("requestId")
                      or getattr(context, "aws_request_id", None) or str(uuid.uuid4()))
        return cls(
            method=str(event.get("httpMethod") or "GET").upper(),
            path=str(event.get("path") or "/"),
            query=query,
            headers=headers,
            request_id=str(request_id),
        )


JSON = "application/json; charset=utf-8"
CALENDAR = "text/calendar; charset=utf-8"


@dataclass
class Answer:
    body: str
    tags: list[str] = field(default_factory=list)
    status: int = 200
    items: int = 1
    headers: dict = field(default_factory=dict)
    content_type: str = JSON
    ttl: int | None = None  # this answer's cache lifetime, when not its route's


# --- parameters ------------------------------------------------------------------------------
def key_param(value: str, name: str = "key") -> str:
    if len(value) > KEY_MAX_LENGTH or not KEY_RE.fullmatch(value):
        raise invalid(name, f"'{name}' must be a URL slug: lowercase letters, digits and single hyphens, "
                            f"at most {KEY_MAX_LENGTH} characters", pattern=KEY_PATTERN, maxLength=KEY_MAX_LENGTH)
    return value


def year_param(value: str) -> int:
    if not (len(value) == 4 and value.isascii() and value.isdigit() and YEAR_MIN <= int(value) <= YEAR_MAX):
        raise invalid("year", f"'year' must be a year from {YEAR_MIN} to {YEAR_MAX}", minimum=YEAR_MIN, maximum=YEAR_MAX)
    return int(value)


def int_param(request: Request, name: str, default: int | None, minimum: int, maximum: int) -> int | None:
    raw = request.query.get(name)
    if raw is None:
        return default
    raw = raw.strip()
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not minimum <= int(raw) <= maximum:
        raise invalid(name, f"'{name}' must be an integer from {minimum} to {maximum}", minimum=minimum, maximum=maximum)
    return int(raw)


def bool_param(request: Request, name: str) -> bool | None:
    raw = request.query.get(name)
    if raw is None:
        return None
    value = raw.strip().lower()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise invalid(name, f"'{name}' must be true or false", allowed=["true", "false"])


COUNTRY_RE = re.compile(r"[A-Za-z]{2}(?:-[A-Za-z0-9]{1,3})?")
MONTH_RE = re.compile(r"[0-9]{4}-[0-9]{2}")
DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def country_param(request: Request) -> str | None:
    """`country`: an ISO 3166-1 alpha-2 code (any case), or a UK home nation as the catalog has them (GB-SCT)."""
    raw = request.query.get("country")
    if raw is None:
        return None
    value = raw.strip()
    if not COUNTRY_RE.fullmatch(value):
        raise invalid("country", "'country' must be an ISO 3166-1 alpha-2 code such as DE or GB (or a UK home "
                                 "nation such as GB-SCT)", pattern="^[A-Z]{2}(-[A-Z0-9]{1,3})?$")
    return value.upper()


def _date(name: str, raw: str) -> dt.date:
    value = raw.strip()
    try:
        if DATE_RE.fullmatch(value):
            day = dt.date.fromisoformat(value)
            if YEAR_MIN <= day.year <= YEAR_MAX:
                return day
    except ValueError:
        pass
    raise invalid(name, f"'{name}' must be a date YYYY-MM-DD from {YEAR_MIN} to {YEAR_MAX}", format="date")


def dates_param(request: Request) -> tuple[dt.date | None, dt.date | None]:
    """`month` (YYYY-MM) or `from`/`to` (YYYY-MM-DD, inclusive, either may be left open): the days asked for."""
    month = request.query.get("month")
    if month is not None:
        if "from" in request.query or "to" in request.query:
            raise invalid("month", "give either 'month' or 'from'/'to', not both")
        value = month.strip()
        if not (MONTH_RE.fullmatch(value) and YEAR_MIN <= int(value[:4]) <= YEAR_MAX and 1 <= int(value[5:]) <= 12):
            raise invalid("month", f"'month' must be a month YYYY-MM from {YEAR_MIN} to {YEAR_MAX}",
                          pattern="^[0-9]{4}-(0[1-9]|1[0-2])$")
        first = dt.date(int(value[:4]), int(value[5:]), 1)
        following = dt.date(first.year + first.month // 12, first.month % 12 + 1, 1)
        return first, following - dt.timedelta(days=1)
    start = _date("from", request.query["from"]) if "from" in request.query else None
    end = _date("to", request.query["to"]) if "to" in request.query else None
    if start and end and start > end:
        raise invalid("to", "'to' must not be before 'from'")
    return start, end


def bbox_param(request: Request) -> "queries.Box | None":
    """`bbox=south,west,north,east`: the south-west and north-east corners in degrees (west > east crosses ±180)."""
    raw = request.query.get("bbox")
    if raw is None:
        return None
    bad = invalid("bbox", "'bbox' must be four numbers south,west,north,east: latitudes from -90 to 90 with "
                          "south <= north, longitudes from -180 to 180 (west > east crosses the antimeridian)",
                  format="south,west,north,east")
    parts = raw.split(",")
    if len(parts) != 4 or len(raw) > 100:
        raise bad
    try:
        south, west, north, east = (float(p) for p in parts)
    except ValueError:
        raise bad from None
    if not all(map(math.isfinite, (south, west, north, east))) or not (-90 <= south <= north <= 90) \
            or not (-180 <= west <= 180 and -180 <= east <= 180):
        raise bad
    return queries.Box(south, west, north, east)


def filters_key(request: Request, names: tuple[str, ...]) -> str:
    """The filters of a request in one canonical string (cursors are signed for a list and its filters)."""
    return urlencode(sorted((name, request.query[name].strip()) for name in names if name in request.query))


# --- answers ---------------------------------------------------------------------------------
def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def list_body(name: str, rows: list[str], count: int | None, next_cursor: str | None, **owner) -> str:
    """A list answer; `count` None (a walk's page that does not know it exactly) leaves the field out."""
    head = "".join(f"{dumps(k)}:{dumps(v)}," for k, v in owner.items())
    tail = f',"nextCursor":{dumps(next_cursor)}' if next_cursor else ""
    total = f',"count":{count}' if count is not None else ""
    return f'{{{head}"{name}":[{",".join(rows)}]{total}{tail}}}'


def redirect(request: Request, location_path: str, body: dict, tags: list[str]) -> Answer:
    location = location_path + (f"?{urlencode(sorted(request.query.items()))}" if request.query else "")
    return Answer(body=dumps({**body, "location": location}), tags=tags, status=301, items=1,
                  headers={"Location": location})


def etag_of(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def _etag_matches(header: str, etag: str) -> bool:
    if header.strip() == "*":
        return True
    candidates = [c.strip() for c in header.split(",")]
    return any((c[2:] if c.startswith("W/") else c) == etag for c in candidates)


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error_body(error: ApiError, request_id: str) -> str:
    return dumps({"error": {"code": error.code, "message": error.message, "details": error.details,
                            "timestamp": _now(), "requestId": request_id}})


def _cors_headers(request: Request, settings: config.Settings) -> dict:
    origin = request.headers.get("origin")
    if not origin or not settings.allows_origin(origin.rstrip("/")):
        return {}
    allow = "*" if "*" in settings.cors_allowed_origins else origin
    return {"Access-Control-Allow-Origin": allow, "Access-Control-Expose-Headers": EXPOSED_HEADERS}


def embedded_metrics(namespace: str, function: str, record: dict) -> dict:
    """CloudWatch embedded metric format: the log line itself carries the metrics (no API call, no cost in code).

    Dimensions are the function and the route *template* (never the raw path, which would explode cardinality).
    """
    return {
        "_aws": {
            "Timestamp": int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": [["Function", "Route"]],
                    "Metrics": [
                        {"Name": "Duration", "Unit": "Milliseconds"},
                        {"Name": "DynamoDBRequests", "Unit": "Count"},
                        {"Name": "ConsumedReadCapacity", "Unit": "Count"},
                        {"Name": "ServerErrors", "Unit": "Count"},
                    ],
                }
            ],
        },
        "Function": function,
        "Route": record["route"] or "unmatched",
        "Duration": record["durationMs"],
        "DynamoDBRequests": record["dynamodbRequests"],
        "ConsumedReadCapacity": record["consumedCapacity"] or 0,
        "ServerErrors": 1 if record["status"] >= 500 else 0,
    }


def _log(record: dict) -> None:
    sys.stdout.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
    sys.stdout.flush()


# --- routing ---------------------------------------------------------------------------------
PAGING = ("limit", "offset", "cursor")  # the query parameters of every list


@dataclass
class Route:
    template: str
    parts: tuple[str, ...]
    ttl: int
    function: object
    params: tuple[str, ...] = ()

    def check_query(self, request: Request) -> None:
        """A query parameter the route does not take is a 400 naming it (never silently ignored)."""
        unknown = sorted(name for name in request.query if name not in self.params)
        if unknown:
            takes = ", ".join(f"'{p}'" for p in self.params) or "no query parameters"
            raise invalid(unknown[0][:100], f"unknown query parameter '{unknown[0][:100]}'; {self.template} takes "
                                            f"{takes}", allowed=list(self.params))


class Router:
    """Routes of one handler module; `handle` is its Lambda entry point."""

    def __init__(self, name: str):
        self.name = name
        self.routes: list[Route] = []

    def route(self, template: str, *, ttl: int, params: tuple[str, ...] = ()):
        """Register `function` for `template`; `params` are the query parameters it takes (others: 400)."""
        def register(function):
            self.routes.append(Route(template, tuple(template.strip("/").split("/")), ttl, function, tuple(params)))
            return function
        return register

    def match(self, path: str) -> tuple[Route, dict] | None:
        segments = path.strip("/").split("/") if path.strip("/") else []
        for route in self.routes:
            if len(route.parts) != len(segments):
                continue
            params = {}
            for part, segment in zip(route.parts, segments, strict=True):
                if part.startswith("{"):
                    if not segment:
                        break
                    params[part[1:-1]] = segment
                elif part != segment:
                    break
            else:
                return route, params
        return None

    def handle(self, event: dict, context=None) -> dict:
        started = time.perf_counter()
        settings = config.settings
        queries.reset_stats()
        error_name = None
        try:
            request = Request.from_event(event if isinstance(event, dict) else {}, context)
        except (AttributeError, TypeError, ValueError):  # not an API Gateway proxy event: answer 404, never crash
            request = Request("GET", "/", {}, {}, str(uuid.uuid4()))
        matched = self.match(request.path)
        route = matched[0] if matched else None
        headers = {"Vary": "Origin", "X-Request-Id": request.request_id, **_cors_headers(request, settings)}
        try:
            if not from_origin(request, settings):  # before routing: nothing is read for a direct call
                raise forbidden()
            if route is None:
                raise not_found(f"No resource at '{request.path[:200]}'")
            if request.method == "OPTIONS":
                return self._finish(request, route, started, 204, "", {
                    **headers, **self._preflight(request, settings),
                    "Cache-Control": f"public, max-age={PREFLIGHT_MAX_AGE}"}, items=0)
            if request.method not in ("GET", "HEAD"):
                raise ApiError(405, "METHOD_NOT_ALLOWED", f"Method {request.method[:20]} is not allowed; use GET",
                               {"allowed": ["GET", "HEAD", "OPTIONS"]}, headers={"Allow": ALLOWED_METHODS})
            route.check_query(request)
            answer = route.function(request, **matched[1])
        except ApiError as error:
            answer = Answer(body=_error_body(error, request.request_id), tags=error.tags, status=error.status,
                            items=0, headers=error.headers)
            cache = f"public, max-age={ERROR_TTL}" if error.status < 500 and error.status != 403 else "no-store"
            return self._respond(request, route, started, answer, {**headers, "Cache-Control": cache}, etag=False)
        except queries.BadStartKey:
            error = invalid("cursor", "'cursor' is not a cursor of this list")
            answer = Answer(body=_error_body(error, request.request_id), status=400, items=0)
            return self._respond(request, route, started, answer,
                                 {**headers, "Cache-Control": f"public, max-age={ERROR_TTL}"}, etag=False)
        except queries.Unavailable as exc:
            error = ApiError(503, "SERVICE_UNAVAILABLE", "The data store is unavailable; retry later",
                             {"retryAfterSeconds": settings.retry_after_seconds})
            answer = Answer(body=_error_body(error, request.request_id), status=503, items=0)
            return self._respond(request, route, started, answer, {
                **headers, "Cache-Control": "no-store", "Retry-After": str(settings.retry_after_seconds)},
                etag=False, error_name=f"Unavailable:{exc}")
        except Exception as exc:  # the one place that turns any bug into a 500 that leaks nothing
            error_name = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:500]
            error = ApiError(500, "INTERNAL_ERROR", "An unexpected error occurred")
            answer = Answer(body=_error_body(error, request.request_id), status=500, items=0)
            return self._respond(request, route, started, answer, {**headers, "Cache-Control": "no-store"},
                                 etag=False, error_name=error_name)
        ttl = route.ttl if answer.ttl is None else answer.ttl
        cache = f"public, max-age={ttl}, stale-while-revalidate={ttl}, stale-if-error={STALE_IF_ERROR}"
        return self._respond(request, route, started, answer, {**headers, "Cache-Control": cache}, etag=True)

    @staticmethod
    def _preflight(request: Request, settings: config.Settings) -> dict:
        if "Access-Control-Allow-Origin" not in _cors_headers(request, settings):
            return {"Allow": ALLOWED_METHODS}
        return {"Allow": ALLOWED_METHODS, "Access-Control-Allow-Methods": ALLOWED_METHODS,
                "Access-Control-Allow-Headers": ALLOWED_REQUEST_HEADERS,
                "Access-Control-Max-Age": str(PREFLIGHT_MAX_AGE)}

    def _respond(self, request: Request, route: Route | None, started: float, answer: Answer, headers: dict,
                 *, etag: bool, error_name: str | None = None) -> dict:
        body = answer.body.encode()
        headers = {**headers, **answer.headers, "Content-Type": answer.content_type}
        if answer.tags:
            headers[cachetags.HEADER] = cachetags.header_value(answer.tags)
        status = answer.status
        if etag:
            headers["ETag"] = etag_of(body)
            if_none_match = request.headers.get("if-none-match")
            if if_none_match and _etag_matches(if_none_match, headers["ETag"]):
                status, body = 304, b""
                headers.pop("Content-Type")
        if request.method == "HEAD":
            if status != 304:  # RFC 9110 §9.3.2: the headers GET would send, the length of its content included
                headers["Content-Length"] = str(len(body))
            body = b""
        return self._finish(request, route, started, status, body.decode(), headers, answer.items, error_name)

    def _finish(self, request: Request, route: Route | None, started: float, status: int, body: str,
                headers: dict, items: int, error_name: str | None = None) -> dict:
        record = {
            "level": "ERROR" if status >= 500 else "INFO",
            "requestId": request.request_id,
            "function": self.name,
            "method": request.method[:20],
            "route": route.template if route else None,
            "status": status,
            "durationMs": round((time.perf_counter() - started) * 1000, 2),
            "items": items,
            "dynamodbRequests": queries.stats.requests,
            "consumedCapacity": queries.stats.capacity,
        }
        if error_name:
            record["error"] = error_name
        settings = config.settings
        record["service"] = settings.service_name
        if settings.tracing == "xray":
            record["traceId"] = os.environ.get(config.LAMBDA_TRACE_ID_VAR)
        if settings.metrics_namespace:
            record.update(embedded_metrics(settings.metrics_namespace, self.name, record))
        _log(record)
        return {"statusCode": status, "headers": headers, "body": body, "isBase64Encoded": False}
