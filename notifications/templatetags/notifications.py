"""`{% waiting_for_you %}`: the admin index's panel of what waits for the signed-in person."""

from django import template

from ..selectors import waiting_for

register = template.Library()


@register.inclusion_tag("notifications/waiting_panel.html", takes_context=True)
def waiting_for_you(context):
    user = context["request"].user
    return {"waiting": waiting_for(user), "user": user}
