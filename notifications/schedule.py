"""Entry points of the scheduled Lambdas (Zappa `events`): each calls one service and returns its summary."""

from .services import send_publishing_alerts, send_review_digest


def digest(event, context):
    return send_review_digest()


def alerts(event, context):
    return send_publishing_alerts()
