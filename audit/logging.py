"""A logging filter that puts the current actor (user, `sub`, API key, source, IP) on every log record.

Installed on the console handler by the settings, so any JSON log line written while a request,
API call or command runs says who was acting, not only the audit service's own lines.
"""

import logging


class AuditContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            from .context import current  # imported late: logging is configured before the apps load
        except Exception:  # apps not ready yet (start-up messages)
            return True
        ctx = current()
        if not hasattr(record, "actor"):
            record.actor = ctx.actor_name or (ctx.user.get_username() if ctx.user is not None else "")
        for name, value in (("actor_sub", ctx.actor_sub), ("api_key", ctx.api_key_name),
                            ("actor_source", ctx.source), ("client_ip", ctx.ip)):
            if value and not hasattr(record, name):
                setattr(record, name, value)
        return True
