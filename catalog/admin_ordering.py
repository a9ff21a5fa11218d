"""The admin side of ordered many-to-many fields (`catalog.ordering`): the autocomplete keeps the editors' order.

Select2 adds each value chosen to the end of the field, so the submitted order is the
order of the selection; the field saves it as the relation's order, and the widget shows
the stored order when the page is opened again (Django's own shows the values alphabetically).
Dragging is not offered: to move a value, remove it and choose it again (it goes to the end).
"""

from django.contrib.admin.widgets import AutocompleteSelectMultiple

from .admin_scale import BatchedAutocompleteInline, BatchedAutocompleteSelectMultiple
from .ordering import OrderedManyToManyField


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


class OrderedBatchedAutocompleteSelectMultiple(OrderedAutocompleteSelectMultiple, BatchedAutocompleteSelectMultiple):
    """In a batched inline (`catalog.admin_scale`): the labels of the whole formset in one query, shown in the
    relation's order (the batched widget lists them by label; the ordered one then puts them back in order)."""


class OrderedRelationsAdminMixin:
    """For a ModelAdmin or an inline with ordered many-to-many fields (`catalog.ordering`).

    Django's admin leaves out a many-to-many with its own through model (admin.E013, and no
    form field), because it could not fill the through model's other columns. Ours has only a
    `position`, which the field's `save_form_data` writes: so the field is put back, with the
    ordered autocomplete when it is in `autocomplete_fields`, and E013 is waived for it alone.
    """

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not isinstance(db_field, OrderedManyToManyField):
            return super().formfield_for_manytomany(db_field, request, **kwargs)
        using = kwargs.get("using")
        if "widget" not in kwargs and db_field.name in self.get_autocomplete_fields(request):
            widget = (OrderedBatchedAutocompleteSelectMultiple if isinstance(self, BatchedAutocompleteInline)
                      else OrderedAutocompleteSelectMultiple)
            kwargs["widget"] = widget(db_field, self.admin_site, using=using)
        if "queryset" not in kwargs:
            queryset = self.get_field_queryset(using, db_field, request)
            if queryset is not None:
                kwargs["queryset"] = queryset
        return db_field.formfield(**kwargs)

    def check(self, **kwargs):
        ordered_names = {f"'{f.name}'" for f in self.model._meta.many_to_many if isinstance(f, OrderedManyToManyField)}
        return [error for error in super().check(**kwargs)
                if not (error.id == "admin.E013" and any(name in error.msg for name in ordered_names))]
