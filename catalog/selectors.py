"""Reads of the catalog that more than one place needs (admin, admin API, commands)."""

from django.db.models import Count, IntegerField, OuterRef, Subquery
from django.db.models.functions import Coalesce

from .models import REVIEWABLE_MODELS, Edition, ReviewStatus


def related_count(model, field: str):
    """An annotation: how many `model` rows point at this row through `field`, counted per row shown.

    A correlated subquery instead of `Count()` over a join: on a page of 50 of 170,000 bands it counts
    50 bands' rows, where a join with GROUP BY aggregates every band before the page is cut.
    """
    rows = model.objects.filter(**{field: OuterRef("pk")}).order_by().values(field).annotate(n=Count("*")).values("n")
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def review_queue(*, limit_per_kind: int = 100) -> list[dict]:
    """Records waiting for review, per kind, oldest submission first."""
    queue = []
    for model in REVIEWABLE_MODELS:
        records = model.objects.in_review().select_related("submitted_by").order_by("submitted_at", "pk")
        if model is Edition:
            records = records.select_related("festival")
        queue.append(
            {
                "model_name": model._meta.model_name,
                "verbose_name_plural": model._meta.verbose_name_plural,
                "records": list(records[:limit_per_kind]),
                "total": records.count(),
            }
        )
    return queue


def review_counts() -> list[dict]:
    """Per kind: how many drafts, in review, approved, and published with unapproved changes."""
    rows = []
    for model in REVIEWABLE_MODELS:
        by_status = dict(model.objects.values_list("review_status").annotate(n=Count("pk")).order_by())
        rows.append(
            {
                "model_name": model._meta.model_name,
                "verbose_name_plural": model._meta.verbose_name_plural,
                "draft": by_status.get(ReviewStatus.DRAFT, 0),
                "in_review": by_status.get(ReviewStatus.IN_REVIEW, 0),
                "approved": by_status.get(ReviewStatus.APPROVED, 0),
                "published": model.objects.published().count(),
                "pending_changes": model.objects.published().exclude(review_status=ReviewStatus.APPROVED).count(),
            }
        )
    return rows


def band_editions(*, band) -> list[Edition]:
    """The editions whose lineup lists the band, newest first."""
    return list(Edition.objects.filter(lineup__band=band).select_related("festival").order_by("-start_date"))


def festival_list_upcoming(*, today=None):
    """Festivals with an edition that has not ended yet."""
    from .models import Festival

    return Festival.objects.filter(editions__in=Edition.objects.upcoming(today)).distinct()


def _last_returns(model, pks) -> dict:
    """pk → the latest return to draft ({reason, by, at}) of each record whose last review step was a return."""
    from django.contrib.contenttypes.models import ContentType

    from audit.models import AuditAction, AuditEntry

    steps = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(model),
            object_pk__in=[str(pk) for pk in pks],
            action__in=[AuditAction.SUBMIT, AuditAction.RETURN_TO_DRAFT],
        )
        .order_by("-at", "-pk")
        .values("object_pk", "action", "detail", "actor_name", "at")
    )
    latest: dict = {}
    for step in steps:
        latest.setdefault(step["object_pk"], step)
    return {
        int(pk): {"reason": (step["detail"] or {}).get("reason", ""), "by": step["actor_name"], "at": step["at"]}
        for pk, step in latest.items()
        if step["action"] == AuditAction.RETURN_TO_DRAFT
    }


def last_return_reason(record) -> dict | None:
    """Why a draft was last returned to its editors ({reason, by, at}), or None if it was not (or was resubmitted)."""
    if record is None or record.pk is None or record.review_status != ReviewStatus.DRAFT:
        return None
    return _last_returns(type(record), [record.pk]).get(record.pk)


def returned_drafts(*, limit_per_kind: int = 100) -> list[dict]:
    """Drafts that a reviewer sent back, per kind, with the reason: what waits for the editors."""
    rows = []
    for model in REVIEWABLE_MODELS:
        drafts = model.objects.filter(review_status=ReviewStatus.DRAFT).order_by("-updated_at", "pk")
        if model is Edition:
            drafts = drafts.select_related("festival")
        drafts = list(drafts[:500])
        returns = _last_returns(model, [d.pk for d in drafts]) if drafts else {}
        records = [{"record": d, **returns[d.pk]} for d in drafts if d.pk in returns][:limit_per_kind]
        rows.append({
            "model_name": model._meta.model_name,
            "verbose_name_plural": model._meta.verbose_name_plural,
            "records": records,
        })
    return rows
