"""Small factories for catalog records and users in each admin group (plain functions, no magic)."""

import itertools
from datetime import date

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from catalog import services
from catalog.models import Band, Edition, Festival, Genre, LineupEntry, Member, Role
from catalog.ordering import set_ordered

_seq = itertools.count(1)


def user_in(group: str | None, username: str | None = None, password: str = "pw-for-tests"):
    username = username or f"{(group or 'nobody').lower()}-{next(_seq)}"
    user = get_user_model().objects.create_user(username, password=password, is_staff=group is not None)
    if group:
        user.groups.add(Group.objects.get(name=group))
    return user


def genre(key=None, name=None, **fields) -> Genre:
    n = next(_seq)
    return services.record_save(record=Genre(key=key or f"genre-{n}", name=name or f"Genre {n}", **fields), user=None)


def role(key=None, name=None, category="other", **fields) -> Role:
    n = next(_seq)
    return services.record_save(
        record=Role(key=key or f"role-{n}", name=name or f"Role {n}", category=category, **fields), user=None
    )


def band(key=None, name=None, genres=(), members=(), **fields) -> Band:
    """members: [(name, [roles])]."""
    n = next(_seq)

    def parts(record):
        set_ordered(record.genres, genres)  # in the order given, as an editor gives them
        for order, (member_name, roles) in enumerate(members):
            member = Member.objects.create(band=record, name=member_name, order=order)
            set_ordered(member.roles, roles)

    record = Band(key=key or f"band-{n}", name=name or f"Band {n}", **fields)
    return services.record_save(record=record, user=None, save_related=parts)


def festival(key=None, name=None, **fields) -> Festival:
    n = next(_seq)
    fields.setdefault("city", "Clisson")
    fields.setdefault("country", "FR")
    return services.record_save(record=Festival(key=key or f"festival-{n}", name=name or f"Festival {n}", **fields), user=None)


def edition(festival, year=2027, start=None, end=None, bands=(), **fields) -> Edition:
    start = start or date(year, 6, 18)
    end = end or date(year, 6, 21)

    def lineup(record):
        for order, band in enumerate(bands):
            LineupEntry.objects.create(edition=record, band=band, order=order, billing_size=min(order, 3))

    record = Edition(festival=festival, year=year, start_date=start, end_date=end, **fields)
    return services.record_save(record=record, user=None, save_related=lineup)


def approved(record):
    """Approve through the workflow (submit, then approve), as the system."""
    services.record_submit_for_review(record=record, user=None)
    services.record_approve(record=record, user=None)
    record.refresh_from_db()
    return record
