"""What keeps the admin's pages flat at catalog scale (170,000 bands, lineups of 300).

Saving a formset is batched too: each row's chosen band, and the row itself, are found among objects
fetched once for the formset (Django asks the database once per row for each), and a foreign key
chosen from a field's queryset is not checked to exist a second time by model validation.

And rows render fast: Django renders each widget through its template engine (a select of one band
is five template renders), about 2 ms a widget, and a lineup row has six. `FastWidgetRenderer` writes
the plain inputs and selects of inline rows in Python, byte for byte what the templates write
(a test renders the page both ways and compares), and leaves every other template to Django.

Inlines whose autocomplete fields cost one query per formset, not one per row: Django's autocomplete widget looks up the label of each row's selected value on its own: a lineup of
300 bands made 300 queries for the band names, and members' roles one more per member. Here the
formset gathers every row's selected values, fetches them in one query per field, and hands the
labels to each row's widget.
"""

import copy
import copyreg
import enum
import functools
import itertools
import re
from html import escape as _html_escape

from django import forms
from django.contrib import admin
from django.contrib.admin import helpers
from django.contrib.admin.templatetags.admin_modify import cell_count
from django.contrib.admin.templatetags.admin_urls import admin_urlname, admin_urlquote
from django.contrib.admin.widgets import AutocompleteSelect, AutocompleteSelectMultiple, RelatedFieldWidgetWrapper
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.core.paginator import Paginator
from django.db import connections, models
from django.db.models import Q
from django.forms.models import BaseInlineFormSet, InlineForeignKeyField
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from django.utils import translation
from django.utils.choices import BaseChoiceIterator
from django.utils.formats import localize
from django.utils.functional import Promise, cached_property
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

FAST_WIDGETS = True  # tests switch it off to compare with Django's templates
FAST_FIELD_COPIES = True  # and this one, to compare with copy.deepcopy

_INPUT_TEMPLATES = {f"django/forms/widgets/{name}.html" for name in ("input", "number", "hidden", "checkbox", "text")}
_SELECT_TEMPLATE = "django/forms/widgets/select.html"
_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _escape(value) -> str:
    """What `conditional_escape` writes, without the lazy-string wrapper around Django's `escape` (a tenth of
    a 300-row page went to that wrapper): text with `__html__` as it is, any other text through `html.escape`."""
    if type(value) is str:
        return _html_escape(value)
    if isinstance(value, Promise):
        value = str(value)
    if hasattr(value, "__html__"):
        return value.__html__()
    return _html_escape(str(value))


def _text(value) -> str:
    """What `{{ value }}` writes (localized, escaped)."""
    return _escape(value if type(value) is str else str(localize(value)))


def _attrs(attrs: dict) -> str:
    """What django/forms/widgets/attrs.html writes."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        out.append(f" {_text(name)}")
        if value is not True:
            out.append(f'="{_escape(str(value))}"')
    return "".join(out)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_escape(str(widget["value"]))}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _select(widget: dict) -> str | None:
    out = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _ in widget["optgroups"]:
        if group_name:
            out.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            if option["template_name"] != _OPTION_TEMPLATE:
                return None
            out.append(
                f'\n  <option value="{_escape(str(option["value"]))}"{_attrs(option["attrs"])}>'
                f"{_text(option['label'])}</option>\n"
            )
        if group_name:
            out.append("\n  </optgroup>")
    out.append("\n</select>")
    return "".join(out)


_WRAPPER_TEMPLATE = "admin/widgets/related_widget_wrapper.html"
_WIDGET_MARK, _NAME_MARK = "\x00widget\x00", "\x00name\x00"


class FastWidgetRenderer(DjangoTemplates):
    """Django's form renderer, with the plain input and select widgets written in Python (same HTML), and
    the admin's related-object links (the same for every row but for the row's name) rendered once a field."""

    def __init__(self):
        super().__init__()
        self._wrappers: dict[tuple, str] = {}

    def render(self, template_name, context, request=None):
        if FAST_WIDGETS and "widget" in context:
            html = None
            if template_name in _INPUT_TEMPLATES:
                html = _input(context["widget"])
            elif template_name == _SELECT_TEMPLATE:
                html = _select(context["widget"])
            if html is not None:
                return mark_safe(html)
        if FAST_WIDGETS and template_name == _WRAPPER_TEMPLATE and request is None:
            return self._wrapper(context)
        return super().render(template_name, context, request)

    def _wrapper(self, context: dict) -> str:
        """The wrapper's template rendered once with marks for the row's widget and name, then filled in."""
        rest = tuple(sorted((k, repr(v)) for k, v in context.items() if k not in ("rendered_widget", "name")))
        key = (translation.get_language(), rest)
        if key not in self._wrappers:
            marked = {**context, "rendered_widget": mark_safe(_WIDGET_MARK), "name": _NAME_MARK}
            self._wrappers[key] = super().render(_WRAPPER_TEMPLATE, marked)
        html = self._wrappers[key].replace(_NAME_MARK, _escape(context["name"]))
        return mark_safe(html.replace(_WIDGET_MARK, context["rendered_widget"]))


FAST_RENDERER = FastWidgetRenderer()


class _KnownLabelsMixin:
    """An autocomplete widget that renders from labels given to it, when it has them all."""

    known_labels: dict | None = None  # str(pk) -> (pk, label)

    def render(self, name, value, attrs=None, renderer=None):
        # The admin's wrapper renders this widget without a renderer: use the fast one.
        return super().render(name, value, attrs, renderer or FAST_RENDERER)

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


class _OnceUrlMixin:
    """The autocomplete view's URL reversed once for the formset, not once a row: each row's widget is a
    shallow copy of the formset's (made anew for each request), and shares its `_urls`."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._urls = {}

    def get_url(self):
        if None not in self._urls:
            self._urls[None] = super().get_url()
        return self._urls[None]


class BatchedAutocompleteSelect(_OnceUrlMixin, _KnownLabelsMixin, AutocompleteSelect):
    pass


class BatchedAutocompleteSelectMultiple(_OnceUrlMixin, _KnownLabelsMixin, AutocompleteSelectMultiple):
    pass


class OnceUrlRelatedWidgetWrapper(RelatedFieldWidgetWrapper):
    """The admin's add/change/delete links of a related field, reversed once for the formset, not once a row
    (`_urls` is set on the formset's widget, and each row's shallow copy shares it)."""

    _urls: dict | None = None

    def get_related_url(self, info, action, *args):
        urls = self._urls if self._urls is not None else self.__dict__.setdefault("_urls", {})
        key = (info, action, args)
        if key not in urls:
            urls[key] = super().get_related_url(info, action, *args)
        return urls[key]


class BatchedModelChoiceField(forms.ModelChoiceField):
    """Finds a submitted value with `lookup` (objects fetched once for the formset) before asking the database."""

    lookup = None  # callable: str(value) -> object or None

    def to_python(self, value):
        by_pk = self.to_field_name in (None, "pk", self.queryset.model._meta.pk.attname)
        if self.lookup is not None and by_pk and value not in self.empty_values:
            key = str(value.pk if isinstance(value, self.queryset.model) else value)
            found = self.lookup(key)
            if found is not None:
                return found
        return super().to_python(value)

    def __deepcopy__(self, memo):
        # Each row's copy shares the formset's queryset (a lazy description, never evaluated in place here)
        # instead of cloning it: 300 rows cloned two querysets each, a tenth of a 300-row save.
        result = super(forms.ChoiceField, self).__deepcopy__(memo)
        result._queryset = self._queryset
        result.widget.choices = result.choices
        return result


def _shallow(obj):
    """What copy.copy makes of a plain object (no __copy__, __reduce__, __getstate__ or __slots__ of its own),
    without the pickle protocol's detour."""
    new = object.__new__(type(obj))
    new.__dict__.update(obj.__dict__)
    return new


@functools.cache
def _plain(cls) -> bool:
    """Whether copy.copy of a `cls` instance is `_shallow`'s: its state is its __dict__ and nothing else."""
    return (
        cls.__reduce_ex__ is object.__reduce_ex__
        and cls.__reduce__ is object.__reduce__
        and cls.__getstate__ is object.__getstate__
        and not hasattr(cls, "__setstate__")
        and not hasattr(cls, "__copy__")
        and "__slots__" not in {k for c in cls.__mro__ for k in vars(c)}
        and cls.__new__ is object.__new__
        and cls not in copyreg.dispatch_table
    )


_ATOMS = (str, int, float, bool, type(None))


def _deep(value, memo):
    """copy.deepcopy(value, memo) for what a choice field's choices are made of: text, numbers, lazy text, enum
    members and classes as they are (deepcopy keeps them), tuples of those as they are, new lists, and plain
    choice iterators (Django's BlankChoiceIterator) rebuilt from copies of their attributes. Anything else goes
    to copy.deepcopy."""
    cls = type(value)
    if cls in _ATOMS or isinstance(value, (Promise, enum.Enum, type)):
        return value
    if id(value) in memo:
        return copy.deepcopy(value, memo)
    if cls is tuple:
        items = [_deep(item, memo) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else copy.deepcopy(value, memo)
    if cls is list:
        result = []
        memo[id(value)] = result
        result.extend(_deep(item, memo) for item in value)
        memo.setdefault(id(memo), []).append(value)  # deepcopy keeps what it copied alive in the memo
        return result
    if isinstance(value, BaseChoiceIterator) and _plain(cls):
        result = object.__new__(cls)
        memo[id(value)] = result
        result.__dict__.update({name: _deep(item, memo) for name, item in value.__dict__.items()})
        memo.setdefault(id(memo), []).append(value)
        return result
    return copy.deepcopy(value, memo)


def _copy_widget(widget, memo):
    """copy.deepcopy(widget, memo) for the widgets of inline rows, each as its class's own __deepcopy__ does it."""
    cls = type(widget)
    if id(widget) in memo or not _plain(cls):
        return copy.deepcopy(widget, memo)
    if cls.__deepcopy__ is forms.Widget.__deepcopy__:
        obj = _shallow(widget)
        obj.attrs = widget.attrs.copy()
        memo[id(widget)] = obj
        return obj
    if cls.__deepcopy__ is forms.widgets.ChoiceWidget.__deepcopy__:
        obj = _shallow(widget)
        obj.attrs = widget.attrs.copy()
        obj.choices = copy.copy(widget.choices)
        memo[id(widget)] = obj
        return obj
    if cls.__deepcopy__ is RelatedFieldWidgetWrapper.__deepcopy__:
        obj = _shallow(widget)
        obj.widget = _copy_widget(widget.widget, memo)
        obj.attrs = widget.widget.attrs
        memo[id(widget)] = obj
        return obj
    return copy.deepcopy(widget, memo)


def _copy_field(field, memo):
    """copy.deepcopy(field, memo) for the fields of inline rows, each as its class's own __deepcopy__ does it
    (Field, ChoiceField and BatchedModelChoiceField), with the shallow copies made directly. Any other class,
    or one whose copy is not plain, goes to copy.deepcopy."""
    cls = type(field)
    deepcopy = cls.__deepcopy__
    if id(field) in memo or not _plain(cls) or deepcopy not in _FIELD_COPIES:
        return copy.deepcopy(field, memo)
    result = _shallow(field)
    memo[id(field)] = result
    result.widget = _copy_widget(field.widget, memo)
    result.error_messages = field.error_messages.copy()
    result.validators = field.validators[:]
    if deepcopy is forms.ChoiceField.__deepcopy__:
        result._choices = _deep(field._choices, memo)
    elif deepcopy is BatchedModelChoiceField.__deepcopy__:
        result._queryset = field._queryset
        result.widget.choices = result.choices
    return result


class _RowFields(dict):
    """An inline form class's base fields, which every row's form deep-copies (Django's BaseForm.__init__):
    copied by `_copy_field`, a third of a row's construction faster than copy.deepcopy's generic walk.
    The copy is a plain dict, as deepcopy's is."""

    def __deepcopy__(self, memo):
        return {name: _copy_field(field, memo) for name, field in self.items()}


_FIELD_COPIES = (forms.Field.__deepcopy__, forms.ChoiceField.__deepcopy__, BatchedModelChoiceField.__deepcopy__)


class BatchedInlineForm(forms.ModelForm):
    """A row whose model validation skips what its form fields have already established.

    `form_validated_fields` (set by the inline) names fields whose form field admits only values the
    model's constraints allow (a choice field of the model's choices): their CheckConstraint is not
    asked of the database again, once a row. Foreign keys resolved by their ModelChoiceField exist:
    their existence check is skipped too. Uniqueness across rows is still checked by the formset.
    """

    form_validated_fields: tuple = ()
    _skip_model_validation: frozenset = frozenset()
    default_renderer = FAST_RENDERER

    def _post_clean(self):
        resolved = {
            name
            for name, field in self.fields.items()
            if type(field) in (forms.ModelChoiceField, BatchedModelChoiceField)
            and isinstance(self.cleaned_data.get(name), field.queryset.model)
        }
        self._skip_model_validation = frozenset(resolved | set(self.form_validated_fields) & set(self.cleaned_data))
        self.instance.get_constraints = self._constraints_to_check
        try:
            super()._post_clean()
        finally:
            self._skip_model_validation = frozenset()
            del self.instance.get_constraints

    def _constraints_to_check(self):
        """The model's constraints but those on a field excluded from validation, which Django would build,
        find the field excluded and skip, every row: a check constraint on such a field (its query built and
        thrown away, a millisecond a row) and a unique constraint of fields one of which is excluded (it returns
        at that field, before any query). The exclusions are those `_post_clean` passes to model validation:
        the form's, and the inline's foreign key to the parent (a lineup row's edition)."""
        skip = self._get_validation_exclusions() | {
            name for name, field in self.fields.items() if isinstance(field, InlineForeignKeyField)
        }
        return [
            (model, [c for c in constraints if not self._skipped(c, skip)])
            for model, constraints in type(self.instance).get_constraints(self.instance)
        ]

    @staticmethod
    def _skipped(constraint, skip: set) -> bool:
        if isinstance(constraint, models.CheckConstraint):
            return bool(Q(constraint.condition).referenced_base_fields & skip)
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
            return bool(set(constraint.fields) & skip)
        return False

    def _get_validation_exclusions(self):
        return super()._get_validation_exclusions() | self._skip_model_validation


class BatchedAutocompleteFormSet(BaseInlineFormSet):
    def add_fields(self, form, index):
        super().add_fields(form, index)
        pk = form.fields.get(self._pk_field.name)
        if form.is_bound and type(pk) is forms.ModelChoiceField:
            # The row's own object: from the formset's queryset (one query), not one query per row. The field
            # takes over Django's field's queryset (a copy of its own, never evaluated in place) as it is.
            field = BatchedModelChoiceField(None, initial=pk.initial, required=False, widget=pk.widget)
            field._queryset = pk.queryset
            field.widget.choices = field.choices
            field.lookup = self._existing_row
            form.fields[self._pk_field.name] = field

    def _existing_row(self, key: str):
        try:
            return self._existing_object(self._pk_field.to_python(key))
        except (TypeError, ValueError, forms.ValidationError):
            return None

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
            objects = self._joined_targets(name, field, values)
            if missing := values - objects.keys():
                objects.update({str(obj.pk): obj for obj in field.queryset.filter(pk__in=missing)})
            labels = {key: (obj.pk, field.label_from_instance(obj)) for key, obj in objects.items()}

            for widget in widgets:
                widget.known_labels = labels
            for form in forms:
                if isinstance(form.fields[name], BatchedModelChoiceField):
                    form.fields[name].lookup = objects.get
        return forms


    def _joined_targets(self, name: str, field, values: set) -> dict:
        """str(pk) -> object, for the `values` of foreign key `name` that the rows already hold (the inline's
        queryset joined them): not fetched a second time. Only when the field offers every row of its model
        (its queryset neither filtered, annotated nor deferred), as the rows' objects are then the field's."""
        rows = self.get_queryset()
        try:
            fk = self.model._meta.get_field(name)
        except FieldDoesNotExist:
            return {}
        query = field.queryset.query
        plain = not (query.where or query.annotations or query.extra or query.deferred_loading[0])
        if not (plain and fk.many_to_one and fk.related_model is field.queryset.model and rows._result_cache):
            return {}
        found = {}
        for row in rows._result_cache:
            if fk.is_cached(row) and (obj := fk.get_cached_value(row)) is not None and str(obj.pk) in values:
                found[str(obj.pk)] = obj
        return found


def _inner_widget(field):
    widget = field.widget
    return getattr(widget, "widget", widget)  # the admin wraps it in RelatedFieldWidgetWrapper


class BatchedAutocompleteInline(admin.options.InlineModelAdmin):
    """Mix into a TabularInline/StackedInline: its `autocomplete_fields` render in one query per field."""

    formset = BatchedAutocompleteFormSet
    form = BatchedInlineForm
    form_validated_fields: tuple = ()

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.form.form_validated_fields = self.form_validated_fields
        if FAST_FIELD_COPIES:
            formset.form.base_fields = _RowFields(formset.form.base_fields)
        return formset

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if field is not None and type(field.widget) is RelatedFieldWidgetWrapper:
            field.widget.__class__ = OnceUrlRelatedWidgetWrapper
            field.widget._urls = {}
        return field

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = BatchedAutocompleteSelect(db_field, self.admin_site, using=kwargs.get("using"))
            kwargs.setdefault("form_class", BatchedModelChoiceField)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            kwargs["widget"] = BatchedAutocompleteSelectMultiple(db_field, self.admin_site, using=kwargs.get("using"))
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class _SharedMediaInlineAdminFormSet(helpers.InlineAdminFormSet):
    """Django merges every row's media into the inline's, one Media merge per row (a quarter of a second
    for a 300-row lineup). Every row has the same widgets and fieldsets: one row's media is all of it."""

    @property
    def media(self):
        media = self.opts.media + self.formset.media
        for inline_form in itertools.islice(self, 1):
            media += inline_form.media
        return media


class SharedInlineMediaMixin:
    """Mix into a ModelAdmin: its inlines gather their rows' media from one row (see above), and each inline's
    formset gets its copy of the posted data made by QueryDict.__copy__ rather than .copy(), a deepcopy that
    walks each of the 1,500 values of a 300-row lineup to copy text as it is (the copies are equal: new lists
    of the same text)."""

    def get_inline_formsets(self, request, formsets, inline_instances, obj=None):
        inline_formsets = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in inline_formsets:
            inline_formset.__class__ = _SharedMediaInlineAdminFormSet
        return inline_formsets

    def get_formset_kwargs(self, request, obj, inline, prefix):
        if request.method != "POST":
            return super().get_formset_kwargs(request, obj, inline, prefix)
        # Django's ModelAdmin.get_formset_kwargs, but for the copy.
        return {
            "instance": obj,
            "prefix": prefix,
            "queryset": inline.get_queryset(request),
            "data": copy.copy(request.POST),
            "files": request.FILES,
            "save_as_new": "_saveasnew" in request.POST,
        }


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
                    cursor.execute(
                        "SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [query.model._meta.db_table]
                    )
                    row = cursor.fetchone()
                if row and row[0] >= self.exact_below:
                    return int(row[0])
        return super().count


def _cell(field) -> str:
    """One field's cell of a tabular row, as Django's tabular.html writes it."""
    about = field.field  # a BoundField, or a readonly field's dict
    name, hidden = (about["name"], about["is_hidden"]) if isinstance(about, dict) else (about.name, about.is_hidden)
    css = f"field-{_text(name)}" if name else ""
    if hidden:
        css += " hidden"
    if field.is_readonly:
        body = f"\n                  <p>{_escape(field.contents())}</p>\n              "
    else:
        errors = about.errors.as_ul() if about.errors else ""
        body = f"\n                  {errors}\n                  {about}\n              "
    return f'\n              <td class="{css}">\n              {body}\n              </td>\n            '


def _original(admin_formset, inline_form) -> str:
    """The row's first cell: what the row is (and links), its hidden primary and foreign key."""
    out = []
    if inline_form.original or inline_form.show_url:
        out.append("<p>\n          ")
        if inline_form.original:
            out.append(f"\n          {_text(inline_form.original)}\n          ")
            model_admin = inline_form.model_admin
            if model_admin.show_change_link and model_admin.has_registered_model:
                url = reverse(
                    admin_urlname(model_admin.opts, "change"),
                    args=[admin_urlquote(inline_form.original.pk)],
                    current_app=model_admin.admin_site.name,
                )
                change = admin_formset.has_change_permission
                label = gettext("Change") if change else gettext("View")
                out.append(
                    f'<a href="{_text(url)}" class="{"inlinechangelink" if change else "inlineviewlink"}">{label}</a>'
                )
            out.append("\n          ")
        out.append("\n          ")
        if inline_form.show_url:
            out.append(f'<a href="{_text(inline_form.absolute_url)}">{gettext("View on site")}</a>')
        out.append("\n            </p>")
    out.append("\n          ")
    if inline_form.needs_explicit_pk_field():
        out.append(str(inline_form.pk_field().field))
    out.append("\n          ")
    fk = inline_form.fk_field()
    if fk:
        out.append(str(fk.field))
    return "".join(out)


def tabular_rows(admin_formset) -> str:
    """Every row of a tabular inline (and its empty template row), written in Python: the HTML Django's
    admin/edit_inline/tabular.html writes for its rows, without a template engine pass per cell."""
    formset = admin_formset.formset
    can_delete = formset.can_delete and admin_formset.has_delete_permission
    forms = list(admin_formset)
    out = []
    for index, inline_form in enumerate(forms):
        empty = index == len(forms) - 1 and admin_formset.has_add_permission
        out.append("\n        ")
        errors = inline_form.form.non_field_errors()
        if errors:
            out.append(
                f'\n        <tr class="row-form-errors"><td colspan="{cell_count(inline_form)}">{errors}</td></tr>\n        '
            )
        shown = "has_original" if inline_form.original or inline_form.show_url else ""
        out.append(
            f'\n        <tr class="form-row {shown}{" empty-form" if empty else ""}"\n'
            f'             id="{_text(formset.prefix)}-{"empty" if empty else _text(index)}">\n'
            f'        <td class="original">\n          {_original(admin_formset, inline_form)}\n        </td>\n        '
        )
        for fieldset in inline_form:
            out.append("\n          ")
            for line in fieldset:
                out.append("\n            ")
                out.extend(_cell(field) for field in line)
                out.append("\n          ")
            out.append("\n        ")
        deletion = str(inline_form.deletion_field().field) if can_delete and inline_form.original else ""
        out.append(f'\n        <td class="delete">{deletion}</td>\n        </tr>\n     ')
    return mark_safe("".join(out))


_ROWS = re.compile(r"\{% for inline_admin_form in inline_admin_formset %\}.*\{% endfor %\}(?=\s*</tbody>)", re.S)


@functools.cache
def _fast_tabular_template():
    """Django's own admin/edit_inline/tabular.html with its row loop replaced by `tabular_rows`."""
    from django.template import engines

    engine = engines["django"].engine
    source = engine.get_template("admin/edit_inline/tabular.html").source
    fast, found = _ROWS.subn("{{ inline_admin_formset|tabular_rows }}", source)
    if found != 1:
        raise ImproperlyConfigured("admin/edit_inline/tabular.html has changed: its row loop was not found")
    return engine.from_string("{% load admin_rows %}" + fast)


class FastTabularInline(admin.TabularInline):
    """A tabular inline whose rows are written by `tabular_rows` (a 300-row lineup: 0.35 s of template engine)."""

    @property
    def template(self):
        return _fast_tabular_template() if FAST_WIDGETS else "admin/edit_inline/tabular.html"
