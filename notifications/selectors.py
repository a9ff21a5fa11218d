"""Who is told what: recipients by preference and permission, and what waits for one person."""

from django.contrib.auth import get_user_model
from django.db.models import Q

from catalog import selectors as catalog_selectors
from catalog.models import REVIEWABLE_MODELS
from catalog.services import four_eyes_conflict

from .models import NotificationPreference


def preference_for(user) -> NotificationPreference:
    """A person's preferences (the defaults until they change them)."""
    preference = NotificationPreference.objects.filter(user=user).first()
    return preference or NotificationPreference(user=user)


def wants(user, what: str) -> bool:
    """Whether `user` can receive e-mail and asked for `what` (a NotificationPreference field)."""
    return bool(user is not None and user.is_active and user.email and getattr(preference_for(user), what))


def may_approve_anything(user) -> bool:
    return any(user.has_perm(f"catalog.approve_{model._meta.model_name}") for model in REVIEWABLE_MODELS)


def approvers():
    """Active people who may approve records of some kind."""
    users = get_user_model().objects.filter(is_active=True).filter(Q(is_superuser=True) | Q(is_staff=True))
    return [user for user in users.order_by("pk") if may_approve_anything(user)]


def on_duty_emails() -> list[str]:
    """Who hears about publishing failures: people on duty by preference, plus PUBLISHING_ALERT_EMAILS."""
    from django.conf import settings

    people = NotificationPreference.objects.filter(
        publishing_alerts=True, user__is_active=True).exclude(user__email="").select_related("user")
    emails = [p.user.email for p in people.order_by("user_id")]
    return list(dict.fromkeys([*emails, *settings.PUBLISHING_ALERT_EMAILS]))


def review_waiting_for(user) -> dict:
    """Records in review, split into those `user` may approve and those another approver must (two pairs of eyes)."""
    yours, others = [], []
    for kind in catalog_selectors.review_queue():
        if not user.has_perm(f"catalog.approve_{kind['model_name']}"):
            continue
        for record in kind["records"]:
            row = {"record": record, "model_name": kind["model_name"],
                   "kind": record._meta.verbose_name, "submitted_by": record.submitted_by}
            (others if four_eyes_conflict(record, user) else yours).append(row)
    return {"yours": yours, "others": others}


def waiting_for(user) -> dict:
    """What the admin's index page shows one person: reviews to do, their returned drafts, failed publishing."""
    from publishing.models import PublishTask, TaskStatus

    review = review_waiting_for(user) if may_approve_anything(user) else {"yours": [], "others": []}
    returned = [
        {**row, "model_name": kind["model_name"], "kind": row["record"]._meta.verbose_name}
        for kind in catalog_selectors.returned_drafts()
        for row in kind["records"]
        if user.pk in (row["record"].submitted_by_id, row["record"].last_edited_by_id)
    ]
    mine_in_review = [
        {"record": record, "model_name": kind["model_name"], "kind": record._meta.verbose_name}
        for kind in catalog_selectors.review_queue()
        for record in kind["records"]
        if record.submitted_by_id == user.pk
    ]
    failed = 0
    if user.has_perm("publishing.view_publishtask"):
        failed = PublishTask.objects.filter(status=TaskStatus.FAILED).count()
    return {"review": review["yours"], "review_others": review["others"], "returned": returned,
            "mine_in_review": mine_in_review, "failed_tasks": failed}
