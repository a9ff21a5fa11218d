"""The releases admin: the release page (content, state, time, problems, the steps) and its preview page,
plus what every catalog record's admin gains: the bulk action "Add to release" and a releases panel.

Thin: every step calls `releases.services`; its ValidationError or PermissionDenied becomes a message.
"""

import functools
import zoneinfo
from datetime import datetime

from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone

from catalog import admin as catalog_admin
from catalog.models import ReviewStatus

from . import clock, selectors, services
from .models import Release, ReleaseState

STEPS = ("approve", "reschedule", "unschedule", "cancel", "remove")


def time_zones() -> list[str]:
    return list(_time_zones())


@functools.cache
def _time_zones() -> tuple[str, ...]:
    """The zone names, read once a process: `available_timezones` walks the zone files on disk (about 20 ms,
    on every record's change page, for the releases panel)."""
    return tuple(sorted(zoneinfo.available_timezones()))


def _posted_moment(request):
    """The go-live time a form posted: a local date-time read in the posted zone; empty means now."""
    raw = request.POST.get("publish_at", "").strip()
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw)
    except ValueError as exc:
        raise ValidationError(f"“{raw}” is not a date and time (e.g. 2027-01-15 10:00).") from exc


def _errors(exc) -> str:
    return " ".join(getattr(exc, "messages", None) or [str(exc)])


def _release_url(release) -> str:
    return reverse("admin:releases_release_change", args=[release.pk])


@admin.register(Release)
class ReleaseAdmin(admin.ModelAdmin):
    list_display = ("name", "state", "goes_public", "record_count", "created_by", "created_at")
    list_filter = ("state",)
    search_fields = ("name", "items__label")
    fields = ("name", "description")
    change_form_template = "admin/releases/release/change_form.html"

    def get_queryset(self, request):
        from django.db.models import Count

        return super().get_queryset(request).annotate(item_total=Count("items")).select_related("created_by")

    @admin.display(description="Records", ordering="item_total")
    def record_count(self, obj):
        return obj.item_total

    @admin.display(description="Goes public", ordering="publish_at")
    def goes_public(self, obj):
        moment = services.local_time(obj)
        return f"{moment:%Y-%m-%d %H:%M %Z}" if moment else "—"

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.state == ReleaseState.DRAFT)

    def has_delete_permission(self, request, obj=None):
        return False  # cancelled, never deleted: the audit trail and the records' history name it

    def save_model(self, request, obj, form, change):
        if change:
            obj.version += 1
            obj.save(update_fields=["name", "description", "version"])
        else:
            created = services.release_create(name=obj.name, description=obj.description, user=request.user)
            obj.pk, obj.version, obj.created_at = created.pk, created.version, created.created_at

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("add-records/", view(self.add_records_view), name="releases_release_add_records"),
            path("schedule-record/", view(self.schedule_record_view), name="releases_release_schedule_record"),
            path("<int:pk>/step/<str:name>/", view(self.step_view), name="releases_release_step"),
            path("<int:pk>/preview/", view(self.preview_view), name="releases_release_preview"),
        ] + super().get_urls()

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self._release_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _release_context(self, request, release) -> dict:
        records = services.release_records(release)
        problems = services.release_problems(release, frozen=release.state != ReleaseState.DRAFT) \
            if release.state in (ReleaseState.DRAFT, ReleaseState.SCHEDULED) else []
        approver = request.user.has_perm("releases.approve_release")
        conflicts = [str(r) for _, r in records if r is not None and services.catalog.four_eyes_conflict(r, request.user)]
        from publishing.releases import is_done

        return {
            "release": release,
            "rows": [{"item": item, "record": record,
                      "change_url": reverse(f"admin:catalog_{item.content_type.model}_change", args=[item.object_pk])
                      if record is not None else None} for item, record in records],
            "problems": problems,
            "fingerprint": services.release_fingerprint(release),
            "local_time": services.local_time(release),
            "is_draft": release.state == ReleaseState.DRAFT,
            "is_scheduled": release.state == ReleaseState.SCHEDULED,
            "is_live": release.state == ReleaseState.LIVE,
            "public_done": is_done(release.publish_task_id),
            "can_approve": approver,
            "can_edit": request.user.has_perm("releases.change_release"),
            "four_eyes": conflicts,
            "may_override": bool(conflicts) and services.catalog.may_override_four_eyes(request.user),
            "time_zones": time_zones(),
            "zone": release.time_zone if release.publish_at else "",
            "now_utc": timezone.localtime(clock.now(), zoneinfo.ZoneInfo("UTC")),
            "preview_url": reverse("admin:releases_release_preview", args=[release.pk]),
        }

    # --- steps ----------------------------------------------------------------------------------
    def step_view(self, request, pk, name):
        release = get_object_or_404(Release, pk=pk)
        if request.method != "POST" or name not in STEPS:
            return HttpResponseRedirect(_release_url(release))
        raw_version = request.POST.get("version", "")
        version = int(raw_version) if raw_version.isdigit() else None
        zone = request.POST.get("time_zone", "") or "UTC"
        try:
            if name == "approve":
                override = ""
                if request.POST.get("override") == "on":
                    override = " ".join(request.POST.get("override_justification", "").split())
                    if not override:
                        raise ValidationError("Overriding the two-pairs-of-eyes rule needs a justification.")
                services.release_approve(
                    release=release, user=request.user, fingerprint=request.POST.get("fingerprint", ""),
                    publish_at=_posted_moment(request), time_zone=zone, comment=request.POST.get("comment", "").strip(),
                    override_justification=override)
                when = services.local_time(release)
                done = f"Approved: “{release}” goes public at {when:%Y-%m-%d %H:%M %Z}."
            elif name == "reschedule":
                services.release_reschedule(release=release, user=request.user, publish_at=_posted_moment(request),
                                            time_zone=zone, expected_version=version)
                done = f"Rescheduled: “{release}” goes public at {services.local_time(release):%Y-%m-%d %H:%M %Z}."
            elif name == "unschedule":
                services.release_unschedule(release=release, user=request.user, expected_version=version)
                done = f"Unscheduled: “{release}” is a draft again and its records are back in review."
            elif name == "cancel":
                services.release_cancel(release=release, user=request.user, expected_version=version)
                done = f"“{release}” is cancelled."
            else:
                item = request.POST.get("item", "")
                services.release_remove_item(release=release, item_id=int(item) if item.isdigit() else 0,
                                             user=request.user, expected_version=version)
                done = "Removed from the release."
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, f"Nothing changed: {_errors(exc)}", messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(_release_url(release))

    def preview_view(self, request, pk):
        release = get_object_or_404(Release, pk=pk)
        if not self.has_view_permission(request, release):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": f"Preview of {release}",
            "release": release,
            "preview": selectors.release_preview(release),
            "change_url": _release_url(release),
            "local_time": services.local_time(release),
        }
        return TemplateResponse(request, "admin/releases/release/preview.html", context)

    # --- from the catalog: add records, schedule one record ------------------------------------
    def add_records_view(self, request):
        """POST from a record's panel: add that record to a draft release (or a new one)."""
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:releases_release_changelist"))
        content_type = get_object_or_404(ContentType, pk=request.POST.get("content_type") or 0)
        record = get_object_or_404(content_type.model_class(), pk=request.POST.get("object_pk") or 0)
        release = add_to_release_from_post(self, request, [record])
        back = reverse(f"admin:catalog_{content_type.model}_change", args=[record.pk])
        return HttpResponseRedirect(_release_url(release) if release and request.POST.get("open") else back)

    def schedule_record_view(self, request):
        """POST from a record's panel: approve this record alone now, to go public at a time (a one-record release)."""
        content_type = get_object_or_404(ContentType, pk=request.POST.get("content_type") or 0)
        record = get_object_or_404(content_type.model_class(), pk=request.POST.get("object_pk") or 0)
        back = reverse(f"admin:catalog_{content_type.model}_change", args=[record.pk])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        raw = request.POST.get("version", "")
        try:
            release = services.record_schedule(
                record=record, user=request.user, expected_version=int(raw) if raw.isdigit() else None,
                publish_at=_posted_moment(request), time_zone=request.POST.get("time_zone", "") or "UTC",
                comment=request.POST.get("comment", "").strip())
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, f"Not scheduled: {_errors(exc)}", messages.ERROR)
        else:
            self.message_user(request, f"Approved: “{record}” goes public at "
                                       f"{services.local_time(release):%Y-%m-%d %H:%M %Z}.", messages.SUCCESS)
        return HttpResponseRedirect(back)


def add_to_release_from_post(modeladmin, request, records):
    """Add `records` to the posted release (`release` id) or a new one (`new_name`); report in messages."""
    try:
        raw = request.POST.get("release", "")
        if raw.isdigit():
            release = get_object_or_404(Release, pk=int(raw))
        else:
            release = services.release_create(name=request.POST.get("new_name", ""), user=request.user)
        added = services.release_add_records(release=release, records=records, user=request.user)
    except (ValidationError, PermissionDenied) as exc:
        modeladmin.message_user(request, f"Not added: {_errors(exc)}", messages.ERROR)
        return None
    modeladmin.message_user(request, f"{len(added)} record{'s' if len(added) != 1 else ''} added to “{release}”.",
                            messages.SUCCESS)
    return release


# --- what every catalog record's admin gains ----------------------------------------------------------


def add_to_release(modeladmin, request, queryset):
    """Bulk action: a page to pick a draft release (or name a new one), then the records are added."""
    if not request.user.has_perm("releases.change_release"):
        modeladmin.message_user(request, "You may not change releases.", messages.ERROR)
        return None
    records = list(queryset)
    if request.POST.get("post") == "yes":
        release = add_to_release_from_post(modeladmin, request, records)
        return HttpResponseRedirect(_release_url(release)) if release else None
    context = {
        **modeladmin.admin_site.each_context(request),
        "opts": modeladmin.opts,
        "title": f"Add {len(records)} {modeladmin.opts.verbose_name_plural if len(records) != 1 else modeladmin.opts.verbose_name} to a release",
        "records": records,
        "drafts": Release.objects.filter(state=ReleaseState.DRAFT).order_by("-id")[:50],
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "admin/releases/add_to_release.html", context)


add_to_release.short_description = "Add selected to a release (to go public together)"


def releases_panel(request, record) -> str:
    """On a record's change page: the open release that holds it, or forms to add it to one or schedule it alone."""
    if not request.user.has_perm("releases.view_release"):
        return ""
    release = services.release_for_record(record)
    context = {
        "record": record,
        "release": release,
        "release_url": _release_url(release) if release else "",
        "local_time": services.local_time(release) if release else None,
        "content_type": ContentType.objects.get_for_model(record).pk,
        "drafts": Release.objects.filter(state=ReleaseState.DRAFT).order_by("-id")[:50] if release is None else [],
        "can_edit": request.user.has_perm("releases.change_release"),
        "can_schedule": (release is None and record.review_status == ReviewStatus.IN_REVIEW
                         and request.user.has_perm("releases.approve_release")
                         and request.user.has_perm(f"catalog.approve_{record._meta.model_name}")),
        "time_zones": time_zones(),
    }
    return render_to_string("admin/releases/record_panel.html", context, request=request)


if add_to_release not in catalog_admin.record_actions:
    catalog_admin.record_actions.append(add_to_release)
if releases_panel not in catalog_admin.record_panels:
    catalog_admin.record_panels.append(releases_panel)
