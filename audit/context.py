"""Who is acting and from where, for the current request, API call, command or worker run.

The middleware (admin), the API authentication and the management commands set it;
`audit.services.audit_record` reads it, so services need not pass requests around.
"""

import contextlib
import contextvars
import ipaddress
from dataclasses import dataclass, replace

from django.conf import settings

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
    """The address of the client as the deployment saw it, validated; None when unknown or not an address.

    `X-Forwarded-For` is written by the client: only hops appended by proxies we run count.
    In order of trust:

    1. Under Zappa, the API Gateway request context (`requestContext.identity.sourceIp`, or
       `requestContext.http.sourceIp` for HTTP APIs), which Zappa passes as `environ["lambda.event"]`.
       Zappa's own REMOTE_ADDR is the second-to-last X-Forwarded-For hop, which a client can
       write when the API is regional, so it is not used there.
    2. With `TRUSTED_PROXY_COUNT` = N > 0 (N proxies of ours in front, each appending the address
       it saw), the N-th hop from the right of X-Forwarded-For; fewer hops than N means the request
       did not come through them, and REMOTE_ADDR is used.
    3. REMOTE_ADDR.
    """
    meta = getattr(request, "META", {})
    event = meta.get("lambda.event")
    if isinstance(event, dict):
        context = event.get("requestContext") or {}
        source = (context.get("identity") or {}).get("sourceIp") or (context.get("http") or {}).get("sourceIp")
        if source:
            return valid_ip(source)
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if proxies > 0:
        hops = [hop.strip() for hop in meta.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= proxies:
            return valid_ip(hops[-proxies])
    return valid_ip(meta.get("REMOTE_ADDR"))


def valid_ip(value) -> str | None:
    """`value` as a normalised IPv4/IPv6 address, or None: nothing else is ever stored or logged."""
    if not isinstance(value, str) or not value or len(value) > 64:
        return None
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


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
