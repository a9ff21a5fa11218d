"""Who is acting and from where, for the current request, API call, command or worker run.

The middleware (admin), the API authentication and the management commands set it;
`audit.services.audit_record` reads it, so services need not pass requests around.
"""

import contextlib
import contextvars
from dataclasses import dataclass, replace

from .models import AuditSource


@dataclass(frozen=True)
class AuditContext:
    source: str = AuditSource.SYSTEM
    user: object | None = None
    actor_name: str = ""
    actor_sub: str = ""
    api_key_name: str = ""
    ip: str | None = None
    user_agent: str = ""


_current: contextvars.ContextVar[AuditContext] = contextvars.ContextVar(
    "audit_context", default=AuditContext()  # noqa: B039 (frozen: the shared default cannot be mutated)
)


def current() -> AuditContext:
    return _current.get()


@contextlib.contextmanager
def audit_context(**values):
    """Run a block with the given actor/source; values not given are kept from the outer context."""
    token = _current.set(replace(_current.get(), **values))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def client_ip(request) -> str | None:
    # Behind API Gateway/CloudFront the client is the first X-Forwarded-For hop.
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded:
        return forwarded.split(",")[0].strip() or None
    return request.META.get("REMOTE_ADDR") or None


def context_from_request(request, *, source: str = AuditSource.ADMIN) -> dict:
    user = getattr(request, "user", None)
    authenticated = user is not None and user.is_authenticated
    return {
        "source": source,
        "user": user if authenticated else None,
        "actor_name": user.get_username() if authenticated else "",
        "actor_sub": request.session.get("oidc_sub", "") if hasattr(request, "session") else "",
        "ip": client_ip(request),
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:512],
    }
