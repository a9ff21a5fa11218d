"""The admin API's error envelope: {"error": {"code", "message", "details", "timestamp", "requestId"}}.

Every failure, ours or the framework's, leaves in this shape with the status codes of the API
specification: 400 bad request, 401 no or bad credentials, 403 not allowed, 404 not found,
409 conflict (duplicate, still referenced, edited meanwhile, wrong workflow state),
413 body larger than `DATA_UPLOAD_MAX_MEMORY_SIZE`, 422 validation failed (unknown references,
rules of the record), 428 an approval that names no version, 429 too many failed authentications,
500 otherwise.
"""

import logging
import math
import re
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.response import Response

from catalog.services import (
    ConcurrentEditError,
    FourEyesError,
    VersionRequiredError,
    WorkflowError,
    may_override_four_eyes,
)

logger = logging.getLogger("metalfests.api")


class ApiError(exceptions.APIException):
    """An error with an explicit code, status and details."""

    def __init__(self, *, status_code: int, code: str, message: str, details: dict | None = None):
        super().__init__(message)
        self.status_code = status_code
        self.code = code
        self.details = details or {}


def request_id(request) -> str:
    existing = getattr(request, "api_request_id", None)
    if existing:
        return existing
    meta = getattr(request, "META", {})
    value = meta.get("HTTP_X_REQUEST_ID") or meta.get("HTTP_X_AMZN_REQUESTID") or str(uuid.uuid4())
    value = value[:100]
    try:
        request.api_request_id = value
    except AttributeError:
        pass
    return value


def envelope(request, *, code: str, message: str, details=None) -> dict:
    return {
        "error": {
            "code": code,
            "message": message,
            "details": details or {},
            "timestamp": timezone.now().replace(microsecond=0).isoformat().replace("+00:00", "Z"),
            "requestId": request_id(request),
        }
    }


# The catalog's database constraints in the words the admin form uses, under the API field they concern.
# Django names a violated check constraint by its database name ("Constraint “…” is violated."); an API
# caller gets these instead (tests/api/test_errors.py checks that every constraint of the catalog is here).
CONSTRAINT_WORDS = {
    "edition_end_not_before_start": ("dates", "The end date cannot be before the start date."),
    "edition_price_not_negative": ("ticketPrice", "A ticket price cannot be negative."),
    "edition_price_has_currency": ("currency", "A ticket price needs its currency."),
    "edition_one_per_festival_and_year": ("year", "This festival already has an edition that year."),
    "festival_latitude_range": ("coordinates", "The latitude must be between -90 and 90."),
    "festival_longitude_range": ("coordinates", "The longitude must be between -180 and 180."),
    "festival_coordinates_both_or_neither": ("coordinates", "Give both latitude and longitude, or neither."),
    "lineup_one_entry_per_band_and_edition": ("bands", "A band appears twice in the lineup."),
    "lineup_billing_size_range": ("bands", "A billing size is 0 (headliner) to 3 (small)."),
}
_CONSTRAINT_MESSAGE = re.compile(r"^Constraint “(?P<name>[\w-]+)” is violated\.$")


def _in_words(exc: DjangoValidationError) -> DjangoValidationError:
    """The same errors, each constraint violation replaced by its words under its field."""
    if not hasattr(exc, "error_dict"):
        return exc
    fields: dict[str, list] = {}
    for field, errors in exc.error_dict.items():
        for error in errors:
            text = error.message % error.params if error.params else error.message
            match = _CONSTRAINT_MESSAGE.match(str(text))
            if match:
                target, words = CONSTRAINT_WORDS.get(
                    match["name"], (field, "The record breaks one of the catalog's rules.")
                )
                fields.setdefault(target, []).append(DjangoValidationError(words, code="constraint"))
            else:
                fields.setdefault(field, []).append(error)
    return DjangoValidationError(fields)


def _stored(record):
    """The record as stored now (None if it is gone): a conflict names it by its stored name, not the request's."""
    return type(record)._default_manager.filter(pk=record.pk).first() if record.pk else None


def _concurrent_edit(exc: ConcurrentEditError) -> tuple[int, str, str, dict]:
    stored = _stored(exc.record) or exc.record
    kind = exc.record._meta.verbose_name
    message = (
        f"{kind.capitalize()} “{stored}” was changed by someone else while you were editing it (your copy: "
        f"version {exc.expected_version}, stored: version {stored.version}). Nothing was saved. Read it again, "
        f"reapply your change and send the new version."
    )
    return 409, "CONCURRENT_EDIT", message, {"expectedVersion": exc.expected_version, "currentVersion": stored.version}


def _django_validation(exc: DjangoValidationError) -> tuple[int, str, str, dict]:
    if isinstance(exc, ConcurrentEditError):
        return _concurrent_edit(exc)
    if isinstance(exc, VersionRequiredError):
        return 428, "PRECONDITION_REQUIRED", "; ".join(exc.messages), {"currentVersion": exc.record.version}
    exc = _in_words(exc)
    codes = {getattr(e, "code", None) for e in exc.error_list} if hasattr(exc, "error_list") else set()
    details = exc.message_dict if hasattr(exc, "error_dict") else {"errors": exc.messages}
    message = "; ".join(exc.messages)
    if isinstance(exc, WorkflowError):
        return 409, "WORKFLOW_STATE_CONFLICT", message, {}
    if "referenced" in codes:
        return 409, "REFERENTIAL_INTEGRITY_ERROR", message, {}
    if "key_taken" in codes or "unique" in codes:
        return 409, "RESOURCE_ALREADY_EXISTS", message, details
    return 422, "VALIDATION_ERROR", message, details


def exception_handler(exc, context):
    request = context.get("request")
    if isinstance(exc, ApiError):
        status_code, code, message, details = exc.status_code, exc.code, str(exc.detail), exc.details
    elif isinstance(exc, DjangoValidationError):
        status_code, code, message, details = _django_validation(exc)
    elif isinstance(exc, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        status_code, code, details = 413, "PAYLOAD_TOO_LARGE", {"maxBytes": limit}
        message = f"The request body is larger than the {limit / 1024 / 1024:.1f} MB ({limit} bytes) the admin API accepts."
    elif isinstance(exc, SuspiciousOperation):  # e.g. too many form fields (DATA_UPLOAD_MAX_NUMBER_FIELDS)
        logger.warning("suspicious request to the admin API", extra={"error": str(exc)[:200]})
        status_code, code, message, details = 400, "BAD_REQUEST", "The request is malformed.", {}
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        status_code, code, message, details = 401, "UNAUTHORIZED", str(exc.detail), {}
    elif isinstance(exc, FourEyesError):
        user = getattr(request, "user", None)
        status_code, code, message = 403, "FOUR_EYES", "; ".join(exc.messages)
        details = {"why": exc.why, "mayOverride": may_override_four_eyes(user),
                   "override": "send overrideJustification with the approval (full admins; audited)"}
    elif isinstance(exc, (exceptions.PermissionDenied, DjangoPermissionDenied)):
        message = str(getattr(exc, "detail", "") or exc) or "You may not do this."
        status_code, code, details = 403, "FORBIDDEN", {}
    elif isinstance(exc, (exceptions.NotFound, Http404)):
        status_code, code, message, details = 404, "RESOURCE_NOT_FOUND", str(exc) or "Not found.", {}
    elif isinstance(exc, exceptions.ValidationError):
        status_code, code, message, details = 400, "VALIDATION_ERROR", "The request is not valid.", exc.detail
    elif isinstance(exc, exceptions.ParseError):
        status_code, code, message, details = 400, "BAD_REQUEST", str(exc.detail), {}
    elif isinstance(exc, exceptions.Throttled):
        retry_after = max(1, math.ceil(exc.wait or 1))
        status_code, code, details = 429, "RATE_LIMIT_EXCEEDED", {"retryAfterSeconds": retry_after}
        message = str(exc.detail)
    elif isinstance(exc, exceptions.APIException):
        status_code, code, message, details = exc.status_code, exc.default_code.upper(), str(exc.detail), {}
    else:
        logger.exception("unexpected error in the admin API", extra={"request_id": request_id(request)})
        status_code, code, message, details = 500, "INTERNAL_ERROR", "Unexpected server error.", {}
    response = Response(envelope(request, code=code, message=message, details=details), status=status_code)
    if status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Bearer realm="metalfests-admin-api"'
    if status_code == status.HTTP_429_TOO_MANY_REQUESTS:
        response["Retry-After"] = str(details["retryAfterSeconds"])
    response["X-Request-Id"] = request_id(request)
    return response


def not_found(request, exception=None, path=""):
    """Unknown paths under /api/admin/ answer in the envelope too."""
    body = envelope(request, code="RESOURCE_NOT_FOUND", message=f"No admin API endpoint at {request.path}.")
    return JsonResponse(body, status=404)
