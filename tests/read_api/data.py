"""A small public catalog in the API's own shapes, and the items the builders make of it.

Dates are relative to today (UTC) so that "upcoming" has something to find on any day.
"""

import datetime as dt

from read_api import items, queries, schema

TODAY = dt.datetime.now(dt.UTC).date()


def _d(days: int) -> str:
    return (TODAY + dt.timedelta(days=days)).isoformat()


def _year(days: int) -> int:
    return (TODAY + dt.timedelta(days=days)).year


GENRES = {
    "heavy-metal": {"key": "heavy-metal", "name": "Heavy Metal", "description": "A genre of rock music."},
    "thrash-metal": {"key": "thrash-metal", "name": "Thrash Metal", "description": "Fast and aggressive."},
    "power-metal": {"key": "power-metal", "name": "Power Metal", "description": "Anthems."},
}
ROLES = {
    "vocals": {"key": "vocals", "name": "Vocals", "category": "voice", "description": "Lead or backing vocals"},
    "guitar": {"key": "guitar", "name": "Guitar", "category": "string", "description": "Six strings"},
    "drums": {"key": "drums", "name": "Drums", "category": "percussion", "description": "Kit"},
}


COUNTRY_CODES = {"United Kingdom": "GB", "United States": "US", "Sweden": "SE", "Finland": "FI", "Germany": "DE",
                 "France": "FR", "Belgium": "BE", "Norway": "NO"}


def _band(key, name, country, genre_keys, members, reviewed, **extra):
    return {
        "band": {
            "key": key, "name": name, "country": country, "countryCode": COUNTRY_CODES[country],
            "description": f"{name} is a band.",
            "logo": f"https://example.com/{key}.png", "headlineImage": None, "website": None, "spotify": None,
            "genreKeys": genre_keys,
            "members": [{"name": n, "roleKeys": r} for n, r in members],
            "reviewed": reviewed, **extra,
        },
        "genres": [GENRES[g] for g in genre_keys],
        "roles": [
            {"key": r, "name": ROLES[r]["name"], "category": ROLES[r]["category"]}
            for r in dict.fromkeys(role for _, roles in members for role in roles)
        ],
    }


BANDS = {
    "iron-maiden": _band("iron-maiden", "Iron Maiden", "United Kingdom", ["heavy-metal"],
                         [("Bruce Dickinson", ["vocals"]), ("Dave Murray", ["guitar"]), ("Nicko McBrain", ["drums"])], True),
    "metallica": _band("metallica", "Metallica", "United States", ["heavy-metal", "thrash-metal"],
                       [("James Hetfield", ["vocals", "guitar"]), ("Lars Ulrich", ["drums"])], True),
    # An empty description as the catalog stores it (""): the public answer says null (one rule for empty text).
    "sabaton": _band("sabaton", "Sabaton", "Sweden", ["power-metal"], [("Joakim Brodén", ["vocals"])], False,
                     description=""),
    "motörhead-tribute": None,  # placeholder removed below (keys are slugs)
}
del BANDS["motörhead-tribute"]
# Filler bands for paging: band-001 … band-030, unreviewed, power metal, one guitarist each.
for n in range(1, 31):
    key = f"band-{n:03d}"
    BANDS[key] = _band(key, f"Band {n:03d}", "Finland", ["power-metal"], [(f"Player {n}", ["guitar"])], False)


# A band named in a lineup that has no public page (a draft placeholder): its entry still carries
# its key, and following the key is a 404.
NOT_PUBLIC = "unsigned-heroes"


def _lineup(*keys, size=0):
    return [{"key": k, "name": BANDS[k]["band"]["name"], "size": size} for k in keys]


def _edition(year, start, end, bands, price=None, currency=None, status="announced"):
    return {"year": year, "dates": {"start": start, "end": end}, "bands": bands,
            "ticketPrice": price, "currency": currency, "status": status}


def _festival(key, name, location, editions, lat=None, lng=None):
    country = location.rsplit(", ", 1)[-1] if location else None
    return {
        "festival": {
            "key": key, "name": name, "location": location, "countryCode": COUNTRY_CODES.get(country),
            "coordinates": {"lat": lat, "lng": lng} if lat is not None else None,
            "website": f"https://{key}.example.com", "poster": None, "description": f"{name}, a festival.",
        },
        "editions": editions,
    }


FESTIVALS = {
    "wacken": _festival("wacken", "Wacken Open Air", "Wacken, Germany", [
        _edition(2025, "2025-07-30", "2025-08-02", _lineup("iron-maiden", "sabaton"), 333, "EUR", "completed"),
        _edition(_year(200), _d(200), _d(203), _lineup("metallica", "band-001", size=1), 349.5, "EUR"),
    ], 54.0214, 9.3769),
    "hellfest": _festival("hellfest", "Hellfest", "Clisson, France", [
        _edition(2023, "2023-06-15", "2023-06-18", _lineup("metallica")),
        _edition(_year(-1), _d(-1), _d(2), _lineup("iron-maiden", "metallica"), 259, "EUR", "confirmed"),
    ], 47.0889, -1.2806),
    "graspop": _festival("graspop", "Graspop Metal Meeting", "Dessel, Belgium", [
        _edition(_year(30), _d(30), _d(33), _lineup("sabaton") + [
            {"key": NOT_PUBLIC, "name": "Unsigned Heroes", "size": 3}]),
    ]),
    "long-fest": _festival("long-fest", "Long Fest", "Tampere, Finland", [
        _edition(_year(-50), _d(-50), _d(10), _lineup("band-002")),
    ]),
    "yesterday-fest": _festival("yesterday-fest", "Yesterday Fest", "Oslo, Norway", [
        _edition(_year(-3), _d(-3), _d(-1), _lineup("band-003")),
    ]),
    "old-fest": _festival("old-fest", "Old Fest", "", [
        _edition(2019, "2019-05-01", "2019-05-02", _lineup("band-004")),
    ]),
}
ALIASES = {"wacken-open-air": "wacken"}
UPCOMING_ORDER = ["long-fest", "hellfest", "graspop", "wacken"]


def band_festivals(band_key: str) -> list[dict]:
    rows = []
    for fkey, detail in sorted(FESTIVALS.items()):
        for edition in detail["editions"]:
            for entry in edition["bands"]:
                if entry["key"] == band_key:
                    rows.append({
                        "festivalKey": fkey, "festivalName": detail["festival"]["name"],
                        "location": detail["festival"]["location"],
                        "coordinates": detail["festival"]["coordinates"], "website": detail["festival"]["website"],
                        "year": edition["year"],
                        "dates": edition["dates"], "size": entry["size"], "status": edition["status"],
                    })
    return rows


def band_row(band_key: str) -> dict:
    return items.band_row(BANDS[band_key], band_festivals(band_key))


def genre_bands(genre_key: str) -> list[dict]:
    return [band_row(k) for k, d in sorted(BANDS.items()) if genre_key in d["band"]["genreKeys"]]


def role_members(role_key: str) -> list[dict]:
    rows = []
    for bkey, detail in sorted(BANDS.items()):
        for position, member in enumerate(detail["band"]["members"]):
            if role_key in member["roleKeys"]:
                rows.append({"bandKey": bkey, "bandName": detail["band"]["name"], "name": member["name"],
                             "roleKeys": member["roleKeys"], "position": position})
    return rows


def all_items() -> list:
    built = []
    for detail in FESTIVALS.values():
        built += items.festival_items(detail, rev=1)
    for old, new in ALIASES.items():
        built += items.festival_alias_items(old, new, rev=1)
    for key, detail in BANDS.items():
        built += items.band_items(detail, band_festivals(key), rev=1)
    for key, genre in GENRES.items():
        built += items.genre_items(genre, genre_bands(key), rev=1)
    for key, role in ROLES.items():
        built += items.role_items(role, role_members(key), rev=1)
    reviewed = sum(1 for d in BANDS.values() if d["band"]["reviewed"])
    built += [
        items.summary_item(schema.FESTIVALS_PK, len(FESTIVALS)),
        items.summary_item(schema.BANDS_PK, len(BANDS)),
        items.summary_item(schema.BANDS_REVIEWED_PK, reviewed),
        items.summary_item(schema.BANDS_UNREVIEWED_PK, len(BANDS) - reviewed),
        items.summary_item(schema.GENRES_PK, len(GENRES)),
        items.summary_item(schema.ROLES_PK, len(ROLES)),
    ]
    built += items.country_count_items(schema.FESTIVAL_COUNTRIES_PK,
                                       items.country_counts(d["festival"] for d in FESTIVALS.values()))
    built += items.country_count_items(schema.BAND_COUNTRIES_PK, items.country_counts(d["band"] for d in BANDS.values()))
    built += items.upcoming_count_items(upcoming_ends(FESTIVALS.values()), queries.today())
    return built


def dated_festival(key: str, start: dt.date, end: dt.date, *, country: str | None = "NO", poster: str | None = None,
                   location: str = "Oslo, Norway") -> dict:
    """A festival's details with one edition from `start` to `end` and no lineup (list and count tests)."""
    return {"festival": {"key": key, "name": key.upper(), "location": location, "countryCode": country,
                         "coordinates": None, "website": None, "poster": poster, "description": None},
            "editions": [{"year": start.year, "dates": {"start": start.isoformat(), "end": end.isoformat()},
                          "bands": [], "ticketPrice": None, "currency": None, "status": "announced"}]}


def upcoming_ends(details) -> dict:
    """{(country code, end date): editions ending that day} of festival details: what publishing counts."""
    ends: dict = {}
    for detail in details:
        for edition in detail["editions"]:
            key = (detail["festival"].get("countryCode"), edition["dates"]["end"])
            ends[key] = ends.get(key, 0) + 1
    return ends


def write(built) -> None:
    from read_api.schema import Item
    from read_api.table import admin_timeouts

    with admin_timeouts(), Item.batch_write() as batch:
        for item in built:
            batch.save(item)
