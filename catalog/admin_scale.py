"""What keeps the admin's pages flat at catalog scale (170,000 bands, lineups of 300).

Inlines whose autocomplete fields cost one query per formset, not one per row: Django's autocomplete widget looks up the label of each row's selected value on its own: a lineup of
300 bands made 300 queries for the band names, and members' roles one more per member. Here the
formset gathers every row's selected values, fetches them in one query per field, and hands the
labels to each row's widget.
"""

from django.contrib import admin
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple
from django.core.paginator import Paginator
from django.db import connections
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property


class _KnownLabelsMixin:
    """An autocomplete widget that renders from labels given to it, when it has them all."""

    known_labels: dict | None = None  # str(pk) -> (pk, label)

    def optgroups(self, name, value, attr=None):
        selected = {str(v) for v in value if str(v) not in self.choices.field.empty_values}
        if self.known_labels is None or not selected <= self.known_labels.keys():
            return super().optgroups(name, value, attr)
        default = (None, [], 0)
        if not self.is_required and not self.allow_multiple_selected:
            default[1].append(self.create_option(name, "", "", False, 0))
        for key in sorted(selected, key=lambda k: self.known_labels[k][1]):
            pk, label = self.known_labels[key]
            default[1].append(self.create_option(name, pk, label, selected, len(default[1])))
        return [default]


class BatchedAutocompleteSelect(_KnownLabelsMixin, AutocompleteSelect):
    pass


class BatchedAutocompleteSelectMultiple(_KnownLabelsMixin, AutocompleteSelectMultiple):
    pass


class BatchedAutocompleteFormSet(BaseInlineFormSet):
    @cached_property
    def forms(self):
        forms = super().forms
        for name in self.form.base_fields:
            widgets = [w for form in forms if isinstance(w := _inner_widget(form.fields[name]), _KnownLabelsMixin)]
            if not widgets:
                continue
            values = set()
            for form in forms:
                value = form[name].value()
                for v in value if isinstance(value, (list, tuple)) else [value]:
                    if v not in (None, ""):
                        values.add(str(v.pk if hasattr(v, "pk") else v))
            field = forms[0].fields[name]
            labels = {str(obj.pk): (obj.pk, field.label_from_instance(obj)) for obj in field.queryset.filter(pk__in=values)}
            for widget in widgets:
                widget.known_labels = labels
        return forms


def _inner_widget(field):
    widget = field.widget
    return getattr(widget, "widget", widget)  # the admin wraps it in RelatedFieldWidgetWrapper


class BatchedAutocompleteInline(admin.options.InlineModelAdmin):
    """Mix into a TabularInline/StackedInline: its `autocomplete_fields` render in one query per field."""

    formset = BatchedAutocompleteFormSet

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = BatchedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = BatchedAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class EstimatedCountPaginator(Paginator):
    """On PostgreSQL, an unfiltered changelist of a large table counts from the planner's statistics.

    `SELECT COUNT(*)` of 170,000 bands reads the whole table on every page view; `pg_class.reltuples`
    (kept by autovacuum and ANALYZE) answers at once and is close enough for "about N bands" and the page
    links. Filtered lists, small tables and other databases count exactly.
    """

    exact_below = 20_000

    @cached_property
    def count(self):
        query = getattr(self.object_list, "query", None)
        if query is not None and not query.where and not query.distinct:
            connection = connections[self.object_list.db]
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [query.model._meta.db_table])
                    row = cursor.fetchone()
                if row and row[0] >= self.exact_below:
                    return int(row[0])
        return super().count
