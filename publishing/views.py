"""Admin pages of publishing: the public preview of a record, and retrying a failed task."""

import difflib
import json

from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from . import fan_view
from .models import PublishTask
from .selectors import public_state

PREVIEWABLE = {"genre", "role", "band", "festival", "edition"}


def _record(request, model_name: str, pk: int):
    if model_name not in PREVIEWABLE:
        raise Http404("not a publishable model")
    model = apps.get_model("catalog", model_name)
    if not request.user.has_perm(f"catalog.view_{model_name}"):
        raise PermissionDenied
    return get_object_or_404(model, pk=pk)


def _pretty(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False, sort_keys=False) if value is not None else ""


@staff_member_required
def preview(request, model_name: str, pk: int):
    """The record as fans will see it if approved now: a fan-view page, the changes against what is live,
    the public URLs the approval refreshes, and (folded) the exact public JSON and item-level differences."""
    record = _record(request, model_name, pk)
    from .services import preview as build_preview  # the projector and DynamoDB writer: loaded on first use

    result = build_preview(record)
    changes = []
    for item in result.changed:
        diff = difflib.unified_diff(_pretty(item.live).splitlines(), _pretty(item.proposed).splitlines(),
                                    "live", "if approved", lineterm="", n=2)
        changes.append({"pk": item.pk, "sk": item.sk, "change": item.change, "diff": "\n".join(diff)})
    from catalog.snapshots import build_snapshot  # the working copy's public fields, against the live copy

    context = {
        **admin.site.each_context(request),
        "title": f"Public preview of {record}",
        "record": record,
        "fan": fan_view.fan_view(model_name, result.documents),
        "field_changes": fan_view.change_list(record.published_snapshot, build_snapshot(record)),
        "refreshed": [settings.PUBLIC_API_BASE_URL.rstrip("/") + p for p in fan_view.refreshed_paths(result.changed)],
        "preview": result,
        "documents": [(path, _pretty(doc)) for path, doc in result.documents.items()],
        "changes": changes,
        "change_url": reverse(f"admin:catalog_{model_name}_change", args=[pk]),
    }
    return TemplateResponse(request, "publishing/preview.html", context)


@staff_member_required
def state(request, model_name: str, pk: int):
    """A record's public state as JSON (for admin scripts and widgets)."""
    return JsonResponse(public_state(_record(request, model_name, pk)), json_dumps_params={"default": str})


@staff_member_required
@require_POST
def retry(request, task_id: int):
    if not request.user.has_perm("publishing.publish_publishtask"):
        raise PermissionDenied
    from .worker import task_retry_now

    task = get_object_or_404(PublishTask, pk=task_id)
    if task_retry_now(task):
        _drain_if_local()
        messages.success(request, f"Task #{task.pk} will be retried now.")
    else:
        messages.info(request, f"Task #{task.pk} is not failed; nothing to retry.")
    return HttpResponseRedirect(_same_site(request, request.POST.get("next"))
                                or _same_site(request, request.META.get("HTTP_REFERER"))
                                or reverse("admin:publishing_publishtask_changelist"))


def _same_site(request, url: str | None) -> str | None:
    """`url` when it stays on this site (as Django's login view checks `next`), else None."""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()},
                                               require_https=request.is_secure()):
        return url
    return None


def _drain_if_local() -> None:
    from django.conf import settings

    if settings.PUBLISH_ON_COMMIT:
        from .outbox import drain_after_commit

        drain_after_commit()
