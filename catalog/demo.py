"""A small demo catalog of our own making (fictional bands and festivals) for `make run`.

Created through the same services editors use, so it arrives reviewed, approved and
published like real content. Idempotent: existing keys are left alone.
"""

from datetime import date

from django.contrib.auth import get_user_model
from django.db import transaction

from audit.context import audit_context

from . import services
from .models import Band, Edition, Festival, Genre, LineupEntry, Member, Role

GENRES = [
    ("heavy-metal", "Heavy Metal", "Riff-driven metal in the classic tradition."),
    ("doom-metal", "Doom Metal", "Slow, heavy and mournful."),
    ("power-metal", "Power Metal", "Fast, melodic and anthemic."),
    ("black-metal", "Black Metal", "Tremolo riffs, blast beats and cold atmospheres."),
]
ROLES = [
    ("vocals", "Vocals", "voice"),
    ("guitar", "Guitar", "string"),
    ("bass", "Bass", "string"),
    ("drums", "Drums", "percussion"),
    ("keyboards", "Keyboards", "keys"),
]
BANDS = [
    ("iron-lantern", "Iron Lantern", "SE", ["heavy-metal", "power-metal"], True,
     [("Alva Stenberg", ["vocals"]), ("Jonas Ek", ["guitar"]), ("Mira Holm", ["bass"]), ("Per Lind", ["drums"])]),
    ("grave-orchard", "Grave Orchard", "FI", ["doom-metal"], True,
     [("Eero Salo", ["vocals", "guitar"]), ("Kaisa Aho", ["bass"]), ("Timo Rinne", ["drums"])]),
    ("northern-vigil", "Northern Vigil", "NO", ["black-metal"], False,
     [("Skald", ["vocals"]), ("Frost", ["guitar", "bass"]), ("Hel", ["drums"])]),
    ("crimson-oath", "Crimson Oath", "DE", ["power-metal", "heavy-metal"], True,
     [("Lena Brandt", ["vocals"]), ("Kai Vogel", ["guitar"]), ("Ute Kern", ["keyboards"]), ("Jan Ott", ["drums"])]),
]
FESTIVALS = [
    ("lantern-fest", "Lantern Fest", "Karlshamn", "SE", 56.1706, 14.8619,
     [(2025, date(2025, 6, 12), date(2025, 6, 14), 1450, "SEK", "completed", ["iron-lantern", "grave-orchard"]),
      (2027, date(2027, 6, 10), date(2027, 6, 12), 1590, "SEK", "announced", ["iron-lantern", "crimson-oath", "northern-vigil"])]),
    ("doomsday-open-air", "Doomsday Open Air", "Tampere", "FI", 61.4978, 23.7610,
     [(2027, date(2027, 7, 22), date(2027, 7, 24), 129, "EUR", "confirmed", ["grave-orchard", "northern-vigil"])]),
]

LOCAL_ADMIN_USERNAME = "admin"
LOCAL_ADMIN_PASSWORD = "metalfests-local"


def _approve(record) -> None:
    services.record_approve(record=record, user=None, skip_review=True)


@transaction.atomic
def demo_load() -> dict:
    """Create the demo catalog where its keys are missing; returns how many of each were created."""
    created = {"genres": 0, "roles": 0, "bands": 0, "festivals": 0, "editions": 0}
    with audit_context(source="command", actor_name="load_demo"):
        for key, name, description in GENRES:
            if not Genre.objects.filter(key=key).exists():
                _approve(services.record_save(record=Genre(key=key, name=name, description=description), user=None))
                created["genres"] += 1
        for key, name, category in ROLES:
            if not Role.objects.filter(key=key).exists():
                _approve(services.record_save(record=Role(key=key, name=name, category=category), user=None))
                created["roles"] += 1
        for key, name, country, genre_keys, reviewed, members in BANDS:
            if Band.objects.filter(key=key).exists():
                continue

            def parts(band, genre_keys=genre_keys, members=members):
                band.genres.set(Genre.objects.filter(key__in=genre_keys))
                for order, (member_name, role_keys) in enumerate(members):
                    member = Member.objects.create(band=band, name=member_name, order=order)
                    member.roles.set(Role.objects.filter(key__in=role_keys))

            band = Band(key=key, name=name, country=country, reviewed=reviewed,
                        description=f"{name} is a fictional band made up for the Metal Fests demo.")
            _approve(services.record_save(record=band, user=None, save_related=parts))
            created["bands"] += 1
        for key, name, city, country, lat, lng, editions in FESTIVALS:
            festival = Festival.objects.filter(key=key).first()
            if festival is None:
                festival = Festival(key=key, name=name, city=city, country=country, latitude=lat, longitude=lng,
                                    description=f"{name} is a fictional festival made up for the Metal Fests demo.")
                _approve(services.record_save(record=festival, user=None))
                created["festivals"] += 1
            for year, start, end, price, currency, status, band_keys in editions:
                if Edition.objects.filter(festival=festival, year=year).exists():
                    continue

                def lineup(edition, band_keys=band_keys):
                    for order, band_key in enumerate(band_keys):
                        LineupEntry.objects.create(
                            edition=edition, band=Band.objects.get(key=band_key), order=order, billing_size=min(order, 3)
                        )

                edition = Edition(festival=festival, year=year, start_date=start, end_date=end,
                                  ticket_price=price, currency=currency, status=status)
                _approve(services.record_save(record=edition, user=None, save_related=lineup))
                created["editions"] += 1
    return created


def local_admin_ensure() -> bool:
    """Create the local superuser for `make run` if missing. Never in production (settings refuse it)."""
    User = get_user_model()
    if User.objects.filter(username=LOCAL_ADMIN_USERNAME).exists():
        return False
    User.objects.create_superuser(LOCAL_ADMIN_USERNAME, "admin@localhost", LOCAL_ADMIN_PASSWORD)
    return True
