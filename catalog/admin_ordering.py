"""The admin side of ordered many-to-many fields (`catalog.ordering`): the autocomplete keeps the editors' order.

Select2 adds each value chosen to the end of the field, so the submitted order is the
order of the selection; the field saves it as the relation's order, and the widget shows
the stored order when the page is opened again (Django's own shows the values alphabetically).
"""

from django.contrib.admin.widgets import AutocompleteSelectMultiple
from django.utils.text import capfirst

from .ordering import OrderedModelMultipleChoiceField, ordered_pks, set_ordered


class OrderedAutocompleteSelectMultiple(AutocompleteSelectMultiple):
    """The admin's autocomplete, showing the chosen values in the relation's order (not alphabetically)."""

    def optgroups(self, name, value, attr=None):
        groups = super().optgroups(name, value, attr)
        position = {str(v): i for i, v in enumerate(value)}
        for _, options, _ in groups:
            options.sort(key=lambda option: position.get(str(option["value"]), len(position)))
            for index, option in enumerate(options):
                option["index"] = str(index)
        return groups


class OrderedRelationsAdminMixin:
    """For a ModelAdmin or an inline: edit ordered many-to-many fields with an autocomplete that keeps order.

    Django's admin cannot put a many-to-many with its own through model in a form, so each
    one gets a form field of its own (`ordered_relations`: form field name → model field name),
    named in `fields`/`fieldsets` instead of the model field, and saved with `set_ordered`.
    """

    ordered_relations: dict[str, str] = {}

    @property
    def form(self):
        base = super().form
        cache = self.__dict__.setdefault("_ordered_forms", {})
        if base not in cache:
            cache[base] = ordered_relations_form(base, self.model, self.ordered_relations, self.admin_site)
        return cache[base]


def ordered_relations_form(base, model, relations: dict[str, str], admin_site):
    """A subclass of the ModelForm `base` with one ordered autocomplete field per relation."""
    attrs = {}
    for form_name, field_name in relations.items():
        db_field = model._meta.get_field(field_name)
        attrs[form_name] = OrderedModelMultipleChoiceField(
            queryset=db_field.remote_field.model._default_manager.all(),
            required=False,
            label=capfirst(db_field.verbose_name),
            help_text="In the order given here (the public order); new choices are added at the end.",
            widget=OrderedAutocompleteSelectMultiple(db_field, admin_site),
        )

    def __init__(self, *args, **kwargs):
        base.__init__(self, *args, **kwargs)
        for form_name, field_name in relations.items():
            if self.instance.pk is not None and form_name not in self.initial:
                self.initial[form_name] = ordered_pks(getattr(self.instance, field_name))

    def _save_m2m(self):
        base._save_m2m(self)
        for form_name, field_name in relations.items():
            if form_name in self.cleaned_data:
                set_ordered(getattr(self.instance, field_name), self.cleaned_data[form_name])

    attrs.update(__init__=__init__, _save_m2m=_save_m2m, __module__=__name__)
    return type(f"Ordered{base.__name__}", (base,), attrs)
