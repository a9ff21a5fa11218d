"""`{% load publishing %}{% public_state record %}`: a record's public state panel, for the catalog's admin pages.

The catalog's templates use it without the catalog's Python importing publishing.
"""

from django import template

from ..selectors import public_state as select_public_state

register = template.Library()


@register.inclusion_tag("publishing/public_state.html", takes_context=True)
def public_state(context, record):
    request = context.get("request")
    can_retry = bool(request and request.user.has_perm("publishing.publish_publishtask"))
    return {"state": select_public_state(record), "can_retry": can_retry, "record": record,
            "csrf_token": context.get("csrf_token")}
