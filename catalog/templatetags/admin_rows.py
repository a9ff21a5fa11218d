"""The `tabular_rows` filter: a tabular inline's rows written in Python (see catalog.admin_scale)."""

from django import template

from catalog import admin_scale

register = template.Library()


@register.filter
def tabular_rows(admin_formset):
    return admin_scale.tabular_rows(admin_formset)
