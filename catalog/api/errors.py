"""The admin API's error envelope: {"error": {"code", "message", "details", "timestamp", "requestId"}}.

Every failure, ours or the framework's, leaves in this shape with the status codes of the API
specification: 400 bad request, 401 no or bad credentials, 403 not allowed, 404 not found,
409 conflict (duplicate, still referenced, edited meanwhile, wrong workflow state),
413 body larger than `DATA_UPLOAD_MAX_MEMORY_SIZE`, 422 validation failed (unknown references,
rules of the record), 429 too many failed authentications, 500 otherwise.
"""

import logging
import uuid

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, JsonResponse
from django.utils import timezone
from rest_framework import exceptions, status
from rest_framework.response import Response

from catalog.services import ConcurrentEditError, WorkflowError

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


def _django_validation(exc: DjangoValidationError) -> tuple[int, str, str, dict]:
    codes = {getattr(e, "code", None) for e in exc.error_list} if hasattr(exc, "error_list") else set()
    details = exc.message_dict if hasattr(exc, "error_dict") else {"errors": exc.messages}
    message = "; ".join(exc.messages)
    if isinstance(exc, ConcurrentEditError):
        return 409, "CONCURRENT_EDIT", message, {"expectedVersion": exc.expected_version, "currentVersion": exc.record.version}
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
    elif isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        status_code, code, message, details = 401, "UNAUTHORIZED", str(exc.detail), {}
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
        status_code, code, message, details = 429, "RATE_LIMIT_EXCEEDED", str(exc.detail), {}
    elif isinstance(exc, exceptions.APIException):
        status_code, code, message, details = exc.status_code, exc.default_code.upper(), str(exc.detail), {}
    else:
        logger.exception("unexpected error in the admin API", extra={"request_id": request_id(request)})
        status_code, code, message, details = 500, "INTERNAL_ERROR", "Unexpected server error.", {}
    response = Response(envelope(request, code=code, message=message, details=details), status=status_code)
    if status_code == status.HTTP_401_UNAUTHORIZED:
        response["WWW-Authenticate"] = 'Bearer realm="metalfests-admin-api"'
    response["X-Request-Id"] = request_id(request)
    return response


def not_found(request, exception=None, path=""):
    """Unknown paths under /api/admin/ answer in the envelope too."""
    body = envelope(request, code="RESOURCE_NOT_FOUND", message=f"No admin API endpoint at {request.path}.")
    return JsonResponse(body, status=404)
