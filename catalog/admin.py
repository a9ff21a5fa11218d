"""The editors' admin: lists with search and filters, inline members and lineups, review actions.

Thin by design: every write calls `catalog.services`, whose ValidationError or
PermissionDenied becomes a message for the editor.
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from . import selectors, services
from .admin_ordering import OrderedRelationsAdminMixin
from .admin_scale import (
    FAST_RENDERER,
    BatchedAutocompleteInline,
    EstimatedCountPaginator,
    FastTabularInline,
    SharedInlineMediaMixin,
)
from .importer.normalize import to_key
from .models import (
    Band,
    Edition,
    Festival,
    FestivalAlias,
    Genre,
    GenreAlias,
    LineupEntry,
    Member,
    MemberRole,
    ReviewStatus,
    Role,
    RoleAlias,
)
from .signals import describe_public_state

WORKFLOW_ACTIONS = {
    # name: (service, permission action, past tense for messages)
    "submit": (services.record_submit_for_review, "submit", "submitted for review"),
    "approve": (services.record_approve, "approve", "approved"),
    "return_to_draft": (services.record_return_to_draft, "approve", "returned to draft"),
    "unpublish": (services.record_unpublish, "approve", "unpublished"),
}


# What other apps add to every reviewable record's admin (the releases app: "Add to release", a releases panel).
# Actions are admin action functions `(modeladmin, request, queryset)` with a `short_description`; panels
# are functions `(request, record) -> HTML` shown under the review panel of the record's change page.
record_actions: list = []
record_panels: list = []


class VersionedForm(forms.ModelForm):
    """Carries the version the editor started from, so a save over someone else's change is refused."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    default_renderer = FAST_RENDERER  # plain inputs and selects written in Python (the currency select: 179 options)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        expected = cleaned.get("expected_version")
        if self.instance.pk and expected is not None:
            stored = type(self.instance).objects.filter(pk=self.instance.pk).values_list("version", flat=True).first()
            if stored is not None and stored != expected:
                opts = self.instance._meta
                history = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[self.instance.pk])
                message = services.ConcurrentEditError(self.instance, expected).messages[0]
                raise ValidationError(format_html('{} <a href="{}" target="_blank">See the other change</a>.', message, history))
        return cleaned


class ReviewStatusFilter(admin.SimpleListFilter):
    title = "public copy"
    parameter_name = "public"

    def lookups(self, request, model_admin):
        return [("yes", "Published"), ("no", "Not published"), ("pending", "Published, with unapproved changes")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.published()
        if self.value() == "no":
            return queryset.filter(published_snapshot__isnull=True)
        if self.value() == "pending":
            return queryset.published().exclude(review_status=ReviewStatus.APPROVED)
        return queryset


class ReviewableAdmin(SharedInlineMediaMixin, SimpleHistoryAdmin):
    """Shared by every reviewable model: workflow actions and buttons, versioned saves, review fields."""

    form = VersionedForm
    change_form_template = "admin/catalog/change_form.html"
    object_history_template = "admin/catalog/object_history.html"
    review_fields = (
        "review_status",
        "public_state",
        "submitted_by",
        "submitted_at",
        "approved_by",
        "approved_at",
        "published_revision",
        "version",
        "updated_at",
    )
    actions = ["submit_selected", "approve_selected", "return_selected_to_draft", "unpublish_selected"]
    list_per_page = 50
    show_full_result_count = False  # a filtered list does not count the whole table too
    paginator = EstimatedCountPaginator
    # An editor typing "example.com" means https (and Django 6 will assume it too).
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    # --- permissions of the workflow ---------------------------------------------------
    def _has(self, request, action: str) -> bool:
        return request.user.has_perm(f"catalog.{action}_{self.opts.model_name}")

    def has_submit_permission(self, request):
        return self._has(request, "submit")

    def has_approve_permission(self, request):
        return self._has(request, "approve")

    def revert_disabled(self, request, obj=None):
        return not self.has_approve_permission(request)

    # --- fields --------------------------------------------------------------------------
    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj)) + list(self.review_fields)
        if obj is not None and obj.published_snapshot is not None and "key" not in readonly:
            readonly.append("key")  # renaming a published key is a deliberate action
        return readonly

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if getattr(self, "fieldsets", None):
            return list(fieldsets) + [("Review", {"fields": self.review_fields})]
        return fieldsets

    @admin.display(description="Public copy")
    def public_state(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        if obj.published_snapshot is None:
            text = "Not public."
        else:
            approved = timezone.localtime(obj.approved_at).strftime("%Y-%m-%d %H:%M") if obj.approved_at else "?"
            text = f"Public: revision {obj.published_revision}, approved {approved} by {obj.approved_by or 'the system'}."
            if obj.review_status != ReviewStatus.APPROVED:
                text += " The working copy has changes that are not public yet."
        for description in describe_public_state(obj):
            text += f" {description}"
        try:
            preview = reverse("publishing:preview", args=[obj._meta.model_name, obj.pk])
        except NoReverseMatch:
            return text
        return format_html('{} <a href="{}">Preview the public JSON and its difference from what is live</a>', text, preview)

    @admin.display(description="Updated", ordering="updated_at")
    def updated(self, obj):
        return timezone.localtime(obj.updated_at).strftime("%Y-%m-%d %H:%M") if obj.updated_at else "—"

    @admin.display(description="Review", ordering="review_status")
    def status_badge(self, obj):
        label = obj.get_review_status_display()
        if obj.published_snapshot is not None and obj.review_status != ReviewStatus.APPROVED:
            label += " (public copy live)"
        return label

    # --- saving and deleting through the services -----------------------------------------
    def save_model(self, request, obj, form, change):
        # The row is written in save_related, together with inlines, by one service call.
        pass

    def save_related(self, request, form, formsets, change):
        def save_parts(record):
            form.save_m2m()
            for formset in formsets:
                self.save_formset(request, form, formset, change=change)

        services.record_save(
            record=form.instance,
            user=request.user,
            expected_version=form.cleaned_data.get("expected_version"),
            save_related=save_parts,
        )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ConcurrentEditError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(request.path)

    def delete_model(self, request, obj):
        services.record_delete(record=obj, user=request.user)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            services.record_delete(record=obj, user=request.user)

    def delete_view(self, request, object_id, extra_context=None):
        try:
            return super().delete_view(request, object_id, extra_context)
        except ValidationError as exc:
            self.message_user(request, " ".join(exc.messages), messages.ERROR)
            return HttpResponseRedirect(reverse(f"admin:catalog_{self.opts.model_name}_change", args=[object_id]))

    # --- workflow: bulk actions -------------------------------------------------------------
    def _run_workflow(self, request, records, name: str, *, versions: dict | None = None, reason: str = "",
                      comment: str = "", override: str = "") -> None:
        """Apply one workflow step to each record; `versions` maps a pk to the version the user saw."""
        service, _, done = WORKFLOW_ACTIONS[name]
        extra = {"reason": reason} if name == "return_to_draft" and reason else {}
        if name == "approve":
            extra = {"comment": comment, "override_justification": override}
        succeeded, failures = 0, []
        for record in records:
            expected = (versions or {}).get(record.pk)
            try:
                service(record=record, user=request.user, expected_version=expected, **extra)
                succeeded += 1
            except (ValidationError, PermissionDenied) as exc:
                failures.append(f"{record}: {' '.join(getattr(exc, 'messages', [str(exc)]))}")
        if succeeded:
            noun = self.opts.verbose_name if succeeded == 1 else self.opts.verbose_name_plural
            self.message_user(request, f"{succeeded} {noun} {done}.", messages.SUCCESS)
        for failure in failures:
            self.message_user(request, failure, messages.ERROR)

    @admin.action(description="Submit selected for review", permissions=["submit"])
    def submit_selected(self, request, queryset):
        self._run_workflow(request, queryset, "submit")

    @admin.action(description="Approve selected (make them public)", permissions=["approve"])
    def approve_selected(self, request, queryset):
        """Approval names the versions approved: a confirmation page lists each record at the version the
        approver sees, and only those versions are approved (a record changed since is refused)."""
        records = list(queryset)
        comment = " ".join(request.POST.get("comment", "").split())
        override, error = self._posted_override(request)
        if request.POST.get("post") == "yes" and not error:
            self._run_workflow(request, records, "approve", versions=self._posted_versions(request, records),
                               comment=comment, override=override)
            return None
        context = self._confirmation_context(request, records, f"Approve {len(records)} {self.opts.verbose_name_plural}?",
                                             flag="approvable")
        for row in context["records"]:  # whose own change each is, under the two-pairs-of-eyes rule
            row["four_eyes"] = services.four_eyes_conflict(row["record"], request.user)
        context.update(comment=comment, error=error, override_justification=override,
                       own_changes=sum(1 for row in context["records"] if row["four_eyes"]),
                       may_override=services.may_override_four_eyes(request.user))
        return TemplateResponse(request, "admin/catalog/approve_selected.html", context)

    @staticmethod
    def _posted_override(request) -> tuple[str, str | None]:
        """(justification, error): a ticked "override" box on an approval must come with a justification."""
        if request.POST.get("override") != "on":
            return "", None
        justification = " ".join(request.POST.get("override_justification", "").split())
        if not justification:
            return "", "Not approved: overriding the two-pairs-of-eyes rule needs a justification."
        return justification, None

    @staticmethod
    def _posted_versions(request, records) -> dict:
        """The version of each record that a confirmation page showed (-1, never matching, when missing)."""
        versions = {}
        for record in records:
            raw = request.POST.get(f"version-{record.pk}", "")
            versions[record.pk] = int(raw) if raw.isdigit() else -1
        return versions

    def _confirmation_context(self, request, records, title: str, *, flag: str) -> dict:
        """A bulk step's confirmation page: each record at its version; `flag` marks those in review."""
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "records": [
                {"record": r, "change_url": reverse(f"admin:catalog_{self.opts.model_name}_change", args=[r.pk]),
                 flag: r.review_status == ReviewStatus.IN_REVIEW}
                for r in records
            ],
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }

    @admin.action(description="Return selected to draft (with a reason)", permissions=["approve"])
    def return_selected_to_draft(self, request, queryset):
        """A confirmation page asks the reason the editors will read; the records are returned only with one."""
        records = list(queryset)
        reason = " ".join(request.POST.get("reason", "").split())
        error = None
        if request.POST.get("post") == "yes":
            if reason:
                self._run_workflow(request, records, "return_to_draft", versions=self._posted_versions(request, records),
                                   reason=reason)
                return None
            error = "Say why: the editors read this reason on the record and in their queue."
        noun = self.opts.verbose_name_plural if len(records) != 1 else self.opts.verbose_name
        context = {
            **self._confirmation_context(request, records, f"Return {len(records)} {noun} to draft?", flag="returnable"),
            "reason": reason,
            "error": error,
        }
        return TemplateResponse(request, "admin/catalog/return_selected.html", context)

    @admin.action(description="Unpublish selected (remove from the public API)", permissions=["approve"])
    def unpublish_selected(self, request, queryset):
        self._run_workflow(request, queryset, "unpublish")

    def get_actions(self, request):
        actions = super().get_actions(request)
        for action in record_actions:
            actions[action.__name__] = (action, action.__name__, action.short_description)
        return actions

    # --- workflow: buttons on the change page ----------------------------------------------
    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/workflow/<str:name>/",
                self.admin_site.admin_view(self.workflow_view),
                name="%s_%s_workflow" % info,
            ),
            path(
                "suggest-key/",
                self.admin_site.admin_view(self.suggest_key_view),
                name="%s_%s_suggest_key" % info,
            ),
            path(
                "<path:object_id>/rename/",
                self.admin_site.admin_view(self.rename_view),
                name="%s_%s_rename" % info,
            ),
        ] + super().get_urls()

    def workflow_view(self, request, object_id, name):
        record = get_object_or_404(self.model, pk=object_id)
        change_url = reverse(f"admin:catalog_{self.opts.model_name}_change", args=[record.pk])
        if request.method != "POST" or name not in WORKFLOW_ACTIONS:
            return HttpResponseRedirect(change_url)
        # The button carries the version shown on the page: the step applies to that version only.
        raw = request.POST.get("version", "")
        versions = {record.pk: int(raw)} if raw.isdigit() else None
        reason = " ".join(request.POST.get("reason", "").split())
        if name == "return_to_draft" and not reason:
            self.message_user(request, "Not returned: say why, so the editors know what to fix.", messages.ERROR)
            return HttpResponseRedirect(change_url)
        override, error = self._posted_override(request) if name == "approve" else ("", None)
        if error:
            self.message_user(request, error, messages.ERROR)
            return HttpResponseRedirect(change_url)
        self._run_workflow(request, [record], name, versions=versions, reason=reason,
                           comment=request.POST.get("comment", "").strip(), override=override)
        return HttpResponseRedirect(change_url)

    def _has_key(self) -> bool:
        return any(field.name == "key" for field in self.opts.concrete_fields)

    def suggest_key_view(self, request):
        """The key the importer would give a name (same transliteration), for the add form's key field."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        return JsonResponse({"key": to_key(request.GET.get("name", ""))})

    def rename_view(self, request, object_id):
        record = get_object_or_404(self.model, pk=object_id)
        if not self._has_key():  # editions are named by festival and year: nothing to rename
            raise Http404(f"{self.opts.verbose_name_plural.capitalize()} have no key.")
        if not self.has_approve_permission(request):
            raise PermissionDenied
        change_url = reverse(f"admin:catalog_{self.opts.model_name}_change", args=[record.pk])
        error = None
        if request.method == "POST":
            try:
                services.record_rename_key(record=record, user=request.user, new_key=request.POST.get("new_key", "").strip())
            except ValidationError as exc:
                error = " ".join(exc.messages)
            else:
                self.message_user(request, f"Key renamed to “{record.key}”.", messages.SUCCESS)
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": record,
            "title": f"Rename the key of {record}",
            "error": error,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/catalog/rename_key.html", context)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            buttons = self._workflow_buttons(request, obj)
            # Approving and returning take a comment or a reason: they get a panel under the banner.
            context["workflow_buttons"] = [b for b in buttons if b["name"] not in ("approve", "return_to_draft")]
            context["review_actions"] = {b["name"]: b for b in buttons if b["name"] in ("approve", "return_to_draft")}
            context["four_eyes"] = services.four_eyes_conflict(obj, request.user)
            context["may_override"] = bool(context["four_eyes"]) and services.may_override_four_eyes(request.user)
            context["return_reason"] = selectors.last_return_reason(obj)
            context["can_rename"] = self._has_key() and self.has_approve_permission(request)
            context["record_panels"] = [html for panel in record_panels if (html := panel(request, obj))]
        elif add and "key" in context["adminform"].form.fields:
            context["suggest_key_url"] = reverse(f"admin:catalog_{self.opts.model_name}_suggest_key")
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _workflow_buttons(self, request, obj) -> list[dict]:
        possible = {
            ReviewStatus.DRAFT: ["submit"],
            ReviewStatus.IN_REVIEW: ["approve", "return_to_draft"],
            ReviewStatus.APPROVED: [],
        }[obj.review_status]
        if obj.published_snapshot is not None:
            possible.append("unpublish")
        labels = {
            "submit": "Submit for review",
            "approve": "Approve and publish",
            "return_to_draft": "Return to draft",
            "unpublish": "Unpublish",
        }
        return [
            {
                "name": name,
                "label": labels[name],
                "url": reverse(f"admin:catalog_{self.opts.model_name}_workflow", args=[obj.pk, name]),
            }
            for name in possible
            if self._has(request, WORKFLOW_ACTIONS[name][1])
        ]

    # --- history: revert through the service, inline parts shown too ---------------------------
    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """GET shows a historical version; POST reverts to it (approvers only) through the service."""
        if request.method != "POST":
            return super().history_form_view(request, object_id, version_id, extra_context)
        record = get_object_or_404(self.model, pk=object_id)
        if self.revert_disabled(request, record):
            raise PermissionDenied
        try:
            services.record_revert(record=record, user=request.user, history_id=int(version_id))
        except (ValidationError, self.model.history.model.DoesNotExist) as exc:
            self.message_user(request, f"Not reverted: {exc}", messages.ERROR)
        else:
            self.message_user(
                request, f"“{record}” reverted to the version of that date; approve it to make it public.", messages.SUCCESS
            )
        return HttpResponseRedirect(reverse(f"admin:catalog_{self.opts.model_name}_change", args=[record.pk]))

    def related_history(self, obj) -> list:
        """Historical rows of the parts edited inline (members, lineup), newest first."""
        return []

    def history_view(self, request, object_id, extra_context=None):
        obj = self.model.objects.filter(pk=object_id).first()
        extra_context = {**(extra_context or {}), "related_history": self._related_history_rows(obj) if obj else []}
        return super().history_view(request, object_id, extra_context)

    def _related_history_rows(self, obj) -> list[dict]:
        """The newest 200 changes to inline parts, each with its delta, in a fixed number of queries.

        `prev_record` and `diff_against` cost a query per row and two per many-to-many field: here each
        row's previous version is found by a subquery, and many-to-many rows are read in one query per field.
        """
        history = self.related_history(obj)
        if not hasattr(history, "annotate"):  # no inline parts with history (genres, roles, festivals)
            return []
        model = history.model
        previous = model.objects.filter(id=OuterRef("id"), history_date__lt=OuterRef("history_date"))
        records = list(
            history.annotate(prev_history_id=Subquery(previous.order_by("-history_date").values("history_id")[:1]))[:200]
        )
        prevs = model.objects.in_bulk([r.prev_history_id for r in records if r.prev_history_id], field_name="history_id")
        m2m = {f.name: self._history_m2m_values(model, f.name, [*records, *prevs.values()]) for f in model._history_m2m_fields}
        rows = []
        for record in records:
            instance = record.history_object  # its title names related rows: reuse the ones joined above
            for field in instance._meta.concrete_fields:
                if field.is_relation and model._meta.get_field(field.name).is_cached(record):
                    field.set_cached_value(instance, getattr(record, field.name))
            record.history_object = instance
            delta, prev = [], prevs.get(record.prev_history_id)
            if prev is not None:
                delta = [(c.field, c.old, c.new) for c in record.diff_against(prev, excluded_fields=m2m).changes]
                for name, values in m2m.items():
                    old, new = values.get(prev.history_id, []), values.get(record.history_id, [])
                    if old != new:
                        delta.append((name, old, new))
            rows.append({"record": record, "delta": delta})
        return rows

    @staticmethod
    def _history_m2m_values(model, name, records) -> dict[int, list[str]]:
        """history_id -> the sorted names of a many-to-many field's targets at that version (two queries)."""
        if not records:
            return {}
        through = getattr(records[0], name).model  # the historical copy of the through table
        target_model = model.instance_type._meta.get_field(name).related_model
        target = next(f for f in through._meta.fields if f.is_relation and f.related_model is target_model)
        pairs = list(
            through.objects.filter(history_id__in=[r.history_id for r in records]).values_list("history_id", target.attname)
        )
        names = {pk: str(o) for pk, o in target.related_model.objects.in_bulk({t for _, t in pairs}).items()}
        values: dict[int, list[str]] = {}
        for history_id, target_id in pairs:
            values.setdefault(history_id, []).append(names.get(target_id, f"#{target_id} (deleted)"))
        return {k: sorted(v) for k, v in values.items()}


# --- Genres and roles ----------------------------------------------------------------------------


class GenreAliasInline(admin.TabularInline):
    model = GenreAlias
    extra = 0

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("genre")  # each row's title names it


@admin.register(Genre)
class GenreAdmin(ReviewableAdmin):
    list_display = ("name", "key", "band_count", "status_badge", "updated")
    list_filter = ("review_status", ReviewStatusFilter)
    search_fields = ("name", "key", "aliases__text")
    fields = ("key", "name", "description", "expected_version")
    inlines = [GenreAliasInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(band_total=selectors.related_count(Band.genres.through, "genre"))

    @admin.display(description="Bands", ordering="band_total")
    def band_count(self, obj):
        url = reverse("admin:catalog_band_changelist") + f"?genres__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.band_total)


class RoleAliasAdminInline(BatchedAutocompleteInline, FastTabularInline):
    model = RoleAlias.roles.through
    extra = 0
    autocomplete_fields = ("rolealias",)  # not a <select> of every alias on each row
    verbose_name = "alias"
    verbose_name_plural = "aliases (free text that maps to this role)"


@admin.register(Role)
class RoleAdmin(ReviewableAdmin):
    list_display = ("name", "key", "category", "member_count", "status_badge", "updated")
    list_filter = ("category", "review_status", ReviewStatusFilter)
    search_fields = ("name", "key", "aliases__text")
    fields = ("key", "name", "category", "description", "expected_version")
    inlines = [RoleAliasAdminInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=selectors.related_count(Member.roles.through, "role"))

    @admin.display(description="Members", ordering="member_total")
    def member_count(self, obj):
        return obj.member_total


@admin.register(GenreAlias)
class GenreAliasAdmin(admin.ModelAdmin):
    list_display = ("text", "genre")
    search_fields = ("text", "genre__name")
    autocomplete_fields = ("genre",)


@admin.register(RoleAlias)
class RoleAliasAdmin(admin.ModelAdmin):
    list_display = ("text", "role_names")
    search_fields = ("text", "roles__name")
    autocomplete_fields = ("roles",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("roles")

    @admin.display(description="Roles")
    def role_names(self, obj):
        return ", ".join(r.name for r in obj.roles.all())


# --- Bands ---------------------------------------------------------------------------------------


class MemberInline(OrderedRelationsAdminMixin, BatchedAutocompleteInline, FastTabularInline):
    model = Member
    extra = 1
    fields = ("order", "name", "roles")
    autocomplete_fields = ("roles",)
    ordering = ("order", "id")

    def get_queryset(self, request):
        # The roles in their order, for every row at once (catalog.ordering.ordered reads this prefetch).
        return super().get_queryset(request).prefetch_related(
            "roles", Prefetch("role_links", queryset=MemberRole.objects.select_related("role")))


class CountryFilter(admin.SimpleListFilter):
    """Only the countries that occur, not all 250."""

    title = "country"
    parameter_name = "country"

    def lookups(self, request, model_admin):
        from django_countries import countries

        # order_by(): the model's default ordering (name) would otherwise join the DISTINCT and
        # repeat a country once per distinct name.
        codes = model_admin.model.objects.exclude(country="").order_by().values_list("country", flat=True).distinct()

        return sorted(((code, countries.name(code)) for code in codes), key=lambda c: c[1])

    def queryset(self, request, queryset):
        return queryset.filter(country=self.value()) if self.value() else queryset


@admin.register(Band)
class BandAdmin(OrderedRelationsAdminMixin, ReviewableAdmin):
    list_display = ("name", "key", "country", "genre_list", "reviewed", "edition_count", "status_badge", "updated")
    list_filter = ("review_status", ReviewStatusFilter, "reviewed", CountryFilter, "genres")
    search_fields = ("name", "key", "members__name")
    autocomplete_fields = ("genres",)
    inlines = [MemberInline]
    actions = ReviewableAdmin.actions + ["mark_reviewed", "mark_not_reviewed"]
    fieldsets = (
        (None, {"fields": ("key", "name", "country", "genres", "reviewed", "description", "expected_version")}),
        ("Images and links", {"fields": ("logo", "logo_url", "headline_image", "headline_image_url", "website", "spotify")}),
        ("Festivals", {"fields": ("plays_at",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        return super().get_readonly_fields(request, obj) + ["plays_at"]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(edition_total=selectors.related_count(LineupEntry, "band"))
            .prefetch_related("genres")
        )

    @admin.display(description="Genres")
    def genre_list(self, obj):
        return ", ".join(g.name for g in obj.genres.all())

    @admin.display(description="Editions", ordering="edition_total")
    def edition_count(self, obj):
        url = reverse("admin:catalog_edition_changelist") + f"?lineup__band__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.edition_total)

    @admin.display(description="Plays at")
    def plays_at(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        editions = selectors.band_editions(band=obj)
        if not editions:
            return "No lineups yet."
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                '<li><a href="{}">{}</a></li>',
                ((reverse("admin:catalog_edition_change", args=[e.pk]), str(e)) for e in editions),
            ),
        )

    def related_history(self, obj):
        return Member.history.filter(band_id=obj.pk).select_related("history_user").order_by("-history_date")

    def _set_reviewed(self, request, queryset, reviewed: bool):
        changed = 0
        for band in queryset:
            try:
                services.band_set_reviewed(band=band, user=request.user, reviewed=reviewed)
                changed += 1
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{band}: {exc}", messages.ERROR)
        self.message_user(request, f"{changed} bands updated; approve them to make the change public.", messages.SUCCESS)

    @admin.action(description="Mark selected as reviewed", permissions=["change"])
    def mark_reviewed(self, request, queryset):
        self._set_reviewed(request, queryset, True)

    @admin.action(description="Mark selected as not reviewed", permissions=["change"])
    def mark_not_reviewed(self, request, queryset):
        self._set_reviewed(request, queryset, False)


# --- Festivals and editions ------------------------------------------------------------------------


class FestivalAliasInline(admin.TabularInline):
    model = FestivalAlias
    extra = 0
    readonly_fields = ("key", "created_at")
    can_delete = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("festival")  # each row's title names it

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Festival)
class FestivalAdmin(ReviewableAdmin):
    list_display = ("name", "key", "city", "country", "edition_count", "status_badge", "updated")
    list_filter = ("review_status", ReviewStatusFilter, CountryFilter)
    search_fields = ("name", "key", "city", "aliases__key")
    inlines = [FestivalAliasInline]
    fieldsets = (
        (None, {"fields": ("key", "name", "city", "country", "latitude", "longitude", "description", "expected_version")}),
        ("Images and links", {"fields": ("poster", "poster_url", "website")}),
        ("Editions", {"fields": ("edition_links",)}),
    )

    def get_readonly_fields(self, request, obj=None):
        return super().get_readonly_fields(request, obj) + ["edition_links"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(edition_total=selectors.related_count(Edition, "festival"))

    @admin.display(description="Editions", ordering="edition_total")
    def edition_count(self, obj):
        url = reverse("admin:catalog_edition_changelist") + f"?festival__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.edition_total)

    @admin.display(description="Editions")
    def edition_links(self, obj):
        if obj is None or obj.pk is None:
            return "—"
        add_url = reverse("admin:catalog_edition_add") + f"?festival={obj.pk}"
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> · {} · {}</li>',
            (
                (reverse("admin:catalog_edition_change", args=[e.pk]), e.year, e.get_status_display(), e.get_review_status_display())
                for e in obj.editions.order_by("-year")
            ),
        )
        return format_html('<ul>{}</ul><a href="{}">Add an edition</a>', items, add_url)


class LineupInline(BatchedAutocompleteInline, FastTabularInline):
    model = LineupEntry
    extra = 0  # rows come from "Add another lineup entry", not three empty ones on every form
    fields = ("order", "band", "billing_size")
    autocomplete_fields = ("band",)
    ordering = ("order", "id")
    form_validated_fields = ("billing_size",)  # its choices are the constraint's range: no query a row to check it

    def get_queryset(self, request):
        # Each row's title is "band @ festival year": without these, three queries a row. The edition (with its
        # festival) is the same for every row: fetched once and shared, not joined into each of 300 rows.
        return (
            super()
            .get_queryset(request)
            .select_related("band")
            .prefetch_related(Prefetch("edition", queryset=Edition.objects.select_related("festival")))
        )


class UpcomingFilter(admin.SimpleListFilter):
    title = "when"
    parameter_name = "when"

    def lookups(self, request, model_admin):
        return [("upcoming", "Upcoming (not ended)"), ("past", "Past")]

    def queryset(self, request, queryset):
        if self.value() == "upcoming":
            return queryset.upcoming()
        if self.value() == "past":
            return queryset.past()
        return queryset


class EditionForm(VersionedForm):
    class Meta:
        model = Edition
        fields = "__all__"

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The end date cannot be before the start date.")
        if cleaned.get("ticket_price") is not None and not cleaned.get("currency"):
            self.add_error("currency", "A ticket price needs its currency.")
        return cleaned


@admin.register(Edition)
class EditionAdmin(ReviewableAdmin):
    form = EditionForm
    # "Frostfall Open Air 2027" names the festival and year already: one column for both, one for the dates.
    list_display = ("__str__", "dates", "status", "band_count", "status_badge")
    list_filter = (UpcomingFilter, "status", "review_status", ReviewStatusFilter, "year", "festival")
    search_fields = ("festival__name", "festival__key", "year", "lineup__band__name")
    autocomplete_fields = ("festival",)
    inlines = [LineupInline]
    date_hierarchy = "start_date"
    list_select_related = ("festival",)
    fieldsets = (
        (None, {"fields": ("festival", "year", "start_date", "end_date", "status", "expected_version")}),
        ("Tickets", {"fields": ("ticket_price", "currency")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(band_total=selectors.related_count(LineupEntry, "edition"))

    @admin.display(description="Bands", ordering="band_total")
    def band_count(self, obj):
        return obj.band_total

    @admin.display(description="Dates", ordering="start_date")
    def dates(self, obj):
        start, end = obj.start_date, obj.end_date
        if start == end:
            return f"{start.day} {start:%b %Y}"
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}–{end.day} {end:%b %Y}"
        return f"{start.day} {start:%b} – {end.day} {end:%b %Y}"

    def related_history(self, obj):
        return (
            LineupEntry.history.filter(edition_id=obj.pk)
            .select_related("history_user", "band", "edition__festival")
            .order_by("-history_date")
        )


@admin.register(FestivalAlias)
class FestivalAliasAdmin(admin.ModelAdmin):
    list_display = ("key", "festival", "created_at")
    search_fields = ("key", "festival__name")
    autocomplete_fields = ("festival",)


# The review queue page itself is served by the admin site (metalfests.admin_site), using catalog.selectors.
