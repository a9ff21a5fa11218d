"""Many-to-many relations whose order is data: a band's genres and a member's roles, in the editors' order.

The through models (`BandGenre`, `MemberRole` in `catalog.models`) carry a `position`.
`OrderedManyToManyField` makes forms read and save the relation in that order, and
`set_ordered` / `ordered` are what code outside forms uses: Django's own `.set()` and
`.add()` still work (position 0, order then by row id), but they do not keep an order.
Nothing here imports the models, so `catalog.models` can import it.
"""

from django import forms
from django.db import models, router
from django.db.models.signals import m2m_changed


def _parts(manager):
    return manager.through, manager.source_field_name, manager.target_field_name


def ordered(manager) -> list:
    """The related objects of a many-to-many manager, in their stored order."""
    through, source, target = _parts(manager)
    if manager.instance.pk is None:
        return []
    # The through rows prefetched on the instance (e.g. `Prefetch("role_links", ...)` in a list), if any.
    accessor = through._meta.get_field(source).remote_field.get_accessor_name()
    prefetched = getattr(manager.instance, "_prefetched_objects_cache", {}).get(accessor)
    if prefetched is not None:
        rows = sorted(prefetched, key=lambda row: (row.position, row.pk))
    else:
        rows = (through.objects.filter(**{source: manager.instance}).select_related(target)
                .order_by("position", "pk"))
    return [getattr(row, target) for row in rows]


def ordered_pks(manager) -> list:
    through, source, target = _parts(manager)
    return list(through.objects.filter(**{source: manager.instance}).order_by("position", "pk")
                .values_list(f"{target}_id", flat=True))


def set_ordered(manager, objects) -> bool:
    """Make the relation hold exactly `objects` (instances or primary keys), in that order.

    Writes only what differs and tells simple-history (through `m2m_changed`, as Django's
    own `.set()` does) so the record's history holds the new order. Returns whether anything changed.
    """
    through, source, target = _parts(manager)
    instance = manager.instance
    wanted = list(dict.fromkeys(o if isinstance(o, int) else o.pk for o in objects))
    rows = list(through.objects.filter(**{source: instance}).order_by("position", "pk"))
    by_target = {getattr(row, f"{target}_id"): row for row in rows}
    if [(getattr(r, f"{target}_id"), r.position) for r in rows] == [(pk, i) for i, pk in enumerate(wanted)]:
        return False
    removed = [pk for pk in by_target if pk not in set(wanted)]
    if removed:
        through.objects.filter(pk__in=[by_target[pk].pk for pk in removed]).delete()
    changed = set()
    for position, pk in enumerate(wanted):
        row = by_target.get(pk)
        if row is None:
            through.objects.create(**{source: instance, f"{target}_id": pk, "position": position})
            changed.add(pk)
        elif row.position != position:
            through.objects.filter(pk=row.pk).update(position=position)
            changed.add(pk)
    using = router.db_for_write(through, instance=instance)
    for action, pks in (("post_remove", set(removed)), ("post_add", changed)):
        if pks:
            m2m_changed.send(sender=through, instance=instance, action=action, reverse=False,
                             model=manager.model, pk_set=pks, using=using)
    return True


class OrderedModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Cleans to a list in the order the values were submitted (the order of the selection)."""

    def clean(self, value):
        chosen = super().clean(value)
        key = self.to_field_name or "pk"
        position = {str(v): i for i, v in enumerate(value or [])}
        return sorted(chosen, key=lambda obj: position.get(str(getattr(obj, key)), len(position)))

    def has_changed(self, initial, data):
        if self.disabled:
            return False
        initial = [str(v) for v in self.prepare_value(initial or [])]
        return initial != [str(v) for v in (data or [])]


class OrderedManyToManyField(models.ManyToManyField):
    """A many-to-many through a model with a `position`: model forms show and save it in order.

    (The admin does not put such a field in its forms; see `catalog.admin_ordering`.)
    """

    def value_from_object(self, obj):
        return ordered(getattr(obj, self.attname)) if obj.pk else []

    def save_form_data(self, instance, data):
        set_ordered(getattr(instance, self.attname), data)

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": OrderedModelMultipleChoiceField, **kwargs})
