"""The public shape of each record, as the public API shows it (camelCase, keys not ids).

`build_snapshot(record)` reads the working copy. On approval the result is stored in
`published_snapshot`, so the whole public tier can be rebuilt from the database
alone; publishing joins snapshots (band names in lineups, genre details in bands)
and adds counts. Field names here are part of the public contract.
"""

from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch

from catalog.models import MemberRole


def _file_or_url(file_field, url: str) -> str | None:
    if file_field:
        location = file_field.url
        if location.startswith("/"):
            location = settings.PUBLIC_MEDIA_BASE_URL.rstrip("/") + location
        return location
    return url or None


def _number(value: Decimal | None) -> float | None:
    return float(value) if value is not None else None


def genre_snapshot(genre) -> dict:
    return {"key": genre.key, "name": genre.name, "description": genre.description}


def role_snapshot(role) -> dict:
    return {"key": role.key, "name": role.name, "category": role.category, "description": role.description}


def band_snapshot(band) -> dict:
    """Genres and each member's roles in the editors' order (their `position`), not alphabetically."""
    role_links = Prefetch("role_links", queryset=MemberRole.objects.select_related("role").order_by("position", "id"))
    members = band.members.prefetch_related(role_links).order_by("order", "id")
    genre_links = band.genre_links.select_related("genre").order_by("position", "id")
    return band_snapshot_of(band, genre_keys=[link.genre.key for link in genre_links],
                            members=[(m.name, [link.role.key for link in m.role_links.all()]) for m in members])


def band_snapshot_of(band, *, genre_keys: list[str], members: list[tuple[str, list[str]]]) -> dict:
    """A band's snapshot from its row and its parts given in order (a bulk writer has them in memory)."""
    return {
        "key": band.key,
        "name": band.name,
        "country": band.country.name if band.country else None,
        "countryCode": band.country.code if band.country else None,
        "description": band.description,
        "logo": _file_or_url(band.logo, band.logo_url),
        "headlineImage": _file_or_url(band.headline_image, band.headline_image_url),
        "website": band.website or None,
        "spotify": band.spotify or None,
        "genreKeys": list(genre_keys),
        "members": [{"name": name, "roleKeys": list(role_keys)} for name, role_keys in members],
        "reviewed": band.reviewed,
    }


def festival_snapshot(festival) -> dict:
    has_coordinates = festival.latitude is not None and festival.longitude is not None
    return {
        "key": festival.key,
        "name": festival.name,
        "location": festival.location,
        "city": festival.city,
        "country": festival.country.name if festival.country else None,
        "countryCode": festival.country.code if festival.country else None,
        "coordinates": (
            {"lat": _number(festival.latitude), "lng": _number(festival.longitude)} if has_coordinates else None
        ),
        "website": festival.website or None,
        "poster": _file_or_url(festival.poster, festival.poster_url),
        "description": festival.description,
    }


def edition_snapshot(edition) -> dict:
    """Every lineup entry names its band's key, also for a band with no public page (yet)."""
    lineup = edition.lineup.order_by("order", "id").values_list("band__key", "band__name", "billing_size")
    return edition_snapshot_of(edition, lineup=list(lineup))


def edition_snapshot_of(edition, *, lineup: list[tuple[str, str, int | None]]) -> dict:
    """An edition's snapshot from its row and its lineup given in order as (band key, band name, billing size)."""
    return {
        "festivalKey": edition.festival.key,
        "year": edition.year,
        "dates": {"start": edition.start_date.isoformat(), "end": edition.end_date.isoformat()},
        "bands": [{"key": key, "name": name, "size": size} for key, name, size in lineup],
        "ticketPrice": _number(edition.ticket_price),
        "currency": edition.currency or None,
        "status": edition.status,
    }


_BUILDERS = {
    "genre": genre_snapshot,
    "role": role_snapshot,
    "band": band_snapshot,
    "festival": festival_snapshot,
    "edition": edition_snapshot,
}


def build_snapshot(record) -> dict:
    """The public fields of any reviewable record's working copy."""
    return _BUILDERS[record._meta.model_name](record)


def snapshot_changes(before: dict | None, after: dict | None) -> dict:
    """Field-level difference of two snapshots: {field: [before, after]}."""
    before, after = before or {}, after or {}
    return {
        field: [before.get(field), after.get(field)]
        for field in sorted(set(before) | set(after))
        if before.get(field) != after.get(field)
    }
