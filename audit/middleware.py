"""Sets the audit context for every admin request (the API sets its own after authenticating)."""

from .context import audit_context, context_from_request


class AuditContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with audit_context(**context_from_request(request)):
            return self.get_response(request)
