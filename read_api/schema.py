"""The DynamoDB single table: key patterns, the PynamoDB models of every item family, and its indexes.

This module is the contract between the read tier (which reads these items) and
`publishing` (which writes them, through the pure builders in `read_api.items`).
Key formats and discriminator values below are FROZEN once items exist in a table:
changing one needs a migration plan (a full `republish` that deletes the old keys).

Table `DYNAMODB_TABLE_NAME` (default `MetalFests`), on-demand billing, keys `PK`/`SK`
(strings), four GSIs with `ALL` projection: `GSI1` (GSI1PK/GSI1SK, dates: upcoming
editions), `GSI2` (GSI2PK/GSI2SK, country: festival rows, upcoming rows and band rows
by ISO country code), `GSI3` (GSI3PK/GSI3SK, band review status), `GSI4` (GSI4PK/GSI4SK,
geo: festival rows with coordinates by latitude).

Every item carries:
  PK, SK        its key (patterns below)
  kind          the discriminator (values below)
  body          the ready-to-serve JSON text (compact, UTF-8): a detail item's body is the
                whole HTTP answer; a row's body is one element of a list answer
  rev           Number; publishing conditions its writes on it (never replace a higher rev)
  content_hash  sha256 hex of (kind, body, index keys, count, ends): skip unchanged writes
  count         summaries only: the number of rows in their collection
  ends          upcoming rows only: the edition's last day (YYYY-MM-DD), filtered on
  since         upcoming counts only: the first day (YYYY-MM-DD) whose count the item holds
  lat, lng      festival rows and upcoming rows of a festival with coordinates: filtered on
                by the map filter (`bbox`)
  published     when publishing last wrote the item (UTC, `YYYY-MM-DDTHH:MM:SSZ`; the writer
                stamps each put, and puts only changed items): a calendar event's DTSTAMP.
                In no content hash.

| kind              | PK                          | SK                          | GSI                                   | serves |
|-------------------|-----------------------------|-----------------------------|---------------------------------------|--------|
| festival          | FESTIVAL#<key>              | METADATA                    | -                                     | /api/festivals/{key} |
| festival_alias    | FESTIVAL#<old>              | METADATA                    | -                                     | 301 from /api/festivals/{old} |
| festival_alias    | FESTIVAL#<old>#EDITIONS     | ~ALIAS                      | -                                     | 301 from /api/festivals/{old}/editions[/{year}] |
| festival_row      | METADATA#FESTIVALS          | FESTIVAL#<key>              | GSI2: FESTIVALS#COUNTRY#<CC> / FESTIVAL#<key>; GSI4: FESTIVALS#GEO / <lat+90>#<key> | /api/festivals (?country, ?bbox) |
| summary           | METADATA#FESTIVALS          | #SUMMARY                    | -                                     | its `count` |
| summary           | FESTIVAL#<key>#EDITIONS     | #SUMMARY                    | -                                     | /editions count, 404 when absent |
| edition           | FESTIVAL#<key>#EDITIONS     | EDITION#<yyyy>              | -                                     | /editions, /editions/{year} |
| upcoming          | FESTIVAL#<key>              | UPCOMING#<yyyy>             | GSI1: UPCOMING / <sortdate>#<key>#<yyyy>; GSI2: EDITIONS#COUNTRY#<CC> / the same | /api/festivals/upcoming, date filters, calendars |
| band              | BAND#<key>                  | METADATA                    | -                                     | /api/bands/{key} |
| band_row          | METADATA#BANDS              | BAND#<key>                  | GSI3: BANDS#REVIEWED or BANDS#UNREVIEWED / BAND#<key>; GSI2: BANDS#COUNTRY#<CC> / BAND#<key> | /api/bands (?country), /reviewed, /unreviewed |
| summary           | METADATA#BANDS              | #SUMMARY                    | -                                     | /api/bands count |
| summary           | METADATA#BANDS#REVIEWED     | #SUMMARY                    | GSI3: BANDS#REVIEWED / #SUMMARY        | /reviewed count |
| summary           | METADATA#BANDS#UNREVIEWED   | #SUMMARY                    | GSI3: BANDS#UNREVIEWED / #SUMMARY      | /unreviewed count |
| summary           | BAND#<key>#FESTIVALS        | #SUMMARY                    | -                                     | band's festivals count |
| band_festival     | BAND#<key>#FESTIVALS        | FESTIVAL#<festival>#<yyyy>  | -                                     | /api/bands/{key}/festivals |
| genre             | GENRE#<key>                 | METADATA                    | -                                     | /api/genres/{key} |
| genre_row         | METADATA#GENRES             | GENRE#<key>                 | -                                     | /api/genres |
| summary           | METADATA#GENRES             | #SUMMARY                    | -                                     | its count |
| summary           | GENRE#<key>#BANDS           | #SUMMARY                    | -                                     | genre's bands count |
| genre_band        | GENRE#<key>#BANDS           | BAND#<band>                 | -                                     | /api/genres/{key}/bands |
| role              | ROLE#<key>                  | METADATA                    | -                                     | /api/roles/{key} |
| role_row          | METADATA#ROLES              | ROLE#<key>                  | -                                     | /api/roles |
| summary           | METADATA#ROLES              | #SUMMARY                    | -                                     | its count |
| summary           | METADATA#FESTIVALS#COUNTRIES | COUNTRY#<CC> (and #SUMMARY) | GSI2: FESTIVALS#COUNTRY#<CC> / #SUMMARY | /api/festivals?country count |
| summary           | METADATA#BANDS#COUNTRIES    | COUNTRY#<CC> (and #SUMMARY) | GSI2: BANDS#COUNTRY#<CC> / #SUMMARY    | /api/bands?country count |
| summary           | METADATA#UPCOMING           | MONTH#<yyyy-mm>             | GSI1: UPCOMING / <yyyy-mm>             | /api/festivals/upcoming count (see below) |
| summary           | METADATA#UPCOMING#COUNTRIES | COUNTRY#<CC>#<yyyy-mm>      | GSI2: EDITIONS#COUNTRY#<CC> / <yyyy-mm> | /api/festivals/upcoming?country count |
| summary           | ROLE#<key>#MEMBERS          | #SUMMARY                    | -                                     | role's members count |
| role_member       | ROLE#<key>#MEMBERS          | MEMBER#<band>#<nnn>         | -                                     | /api/roles/{key}/members |
| change            | CHANGES                     | <ms>#<token>#<shard>#<n>    | -                                     | /api/changes (TTL: `expires`, see read_api.feed) |
| search_row        | SEARCH#<prefix>             | <0|1>#<99999-count>#<name>#<band|festival>#<key> | -            | /api/search?q= |
| search_manifest   | BAND#<key> / FESTIVAL#<key> | SEARCH                      | -                                     | (publishing: the search rows it owns) |

Why collections have their own partition with a `#SUMMARY` item: `#` sorts before every
row prefix, so the one Query that reads a list's first page returns the collection's
count (and, for sub-collections, proof that the owner exists) first; a change of count
rewrites one small item, never the rows. Later pages (cursor) carry the count in the cursor.
Upcoming rows sort by start date: <sortdate> is the start date, or end − 31 days for an
edition longer than that, so that the read's key condition (GSI1SK ≥ today − 31 days) plus
a filter on `ends` finds exactly the editions that have not ended.

Upcoming counts (issue 12.5): "not ended" moves with the day, so no one count serves
/upcoming. The count item of month M (GSI1SK `<yyyy-mm>`, which sorts just before that month's
rows) holds, for each day d whose read starts in M (d − 31 days falls in M: from M-01 + 31
days, one day per day of M), how many upcoming rows end on or after d (`body`:
`{"since": <first such day>, "counts": [...]}`). Page 1 of /upcoming on day d reads GSI1 from
the month of d − 31 days on: the first item is that month's count, which the filter keeps
(`since ≤ d`) while it drops every later month's (`since > d`) and, having no `ends`, never
keeps one among the rows. The number for a day does not change with the day, only with a
publish, so publishing writes these items (from SQL over the published editions) for every
month from the one today's read starts in to the month of the last edition's end, and deletes
earlier months' (never read again). `METADATA#UPCOMING#COUNTRIES` holds the same per country,
indexed in GSI2 `EDITIONS#COUNTRY#<CC>` where that country's upcoming rows are.

Filters (issue 15.2) are index reads. GSI2 is overloaded by prefix: `FESTIVALS#COUNTRY#<CC>`
(festival rows), `EDITIONS#COUNTRY#<CC>` (upcoming rows, sorted as in GSI1, so a country
and a date window are one key condition) and `BANDS#COUNTRY#<CC>` (band rows); <CC> is the
ISO 3166 code the catalog stores (`countryCode`), so a record without one is in no country
partition (sparse). GSI4 holds only festival rows with coordinates, under one key, sorted by
latitude (`<lat + 90, 000.00000>#<key>`): a map box is one Query of its latitude band with a
filter on `lng`. Each country partition of festival and band rows has a count: a summary item (one partition
per list, `METADATA#FESTIVALS#COUNTRIES` / `METADATA#BANDS#COUNTRIES`, SK `COUNTRY#<CC>`) indexed
at GSI2SK `#SUMMARY`, first in the country's Query as a collection's `#SUMMARY` is in its own;
a country with no rows has none, and `#SUMMARY` of each of these partitions (the number of
records with a country) marks the counts as complete, so publishing may count from them.
GSI2PK was `LOCATION#<lower-case country name>` (read by no endpoint); a
`republish` rewrites every festival row with the new value (their content hash changes).

Search (issue 15.1): a band or festival is indexed under every normalised prefix of its name
(`read_api.search`), one `search_row` per prefix in `SEARCH#<prefix>`, sorted by rank: `0` for
the record whose whole name is the prefix, then 99999 − its festival count (a band) or edition
count (a festival), then its normalised name, kind and key. A row's `term` is the indexed text
the prefix came from (a query longer than the partition's prefix filters on it). The rows of
one record live in partitions its key does not name, so the record's own partition holds a
`search_manifest` whose `refs` (one string of sorted "<PK>\t<SK>" lines: a string set's order
is not kept by DynamoDB) lists them: publishing reads the
manifest with the record's partition and the rows it names, and deletes those no longer built.
"""

import datetime as dt

from pynamodb.attributes import DiscriminatorAttribute, NumberAttribute, UnicodeAttribute
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from . import config

# --- key patterns (the only place they are spelled) ----------------------------------------
METADATA = "METADATA"
SUMMARY = "#SUMMARY"
ALIAS = "~ALIAS"
FESTIVALS_PK = "METADATA#FESTIVALS"
BANDS_PK = "METADATA#BANDS"
BANDS_REVIEWED_PK = "METADATA#BANDS#REVIEWED"
BANDS_UNREVIEWED_PK = "METADATA#BANDS#UNREVIEWED"
GENRES_PK = "METADATA#GENRES"
ROLES_PK = "METADATA#ROLES"
FESTIVAL_COUNTRIES_PK = "METADATA#FESTIVALS#COUNTRIES"  # the count of each country's festival rows (GSI2)
UPCOMING_COUNTS_PK = "METADATA#UPCOMING"  # the upcoming counts by month (GSI1)
UPCOMING_COUNTRIES_PK = "METADATA#UPCOMING#COUNTRIES"  # the same for each country (GSI2)
BAND_COUNTRIES_PK = "METADATA#BANDS#COUNTRIES"  # the count of each country's band rows (GSI2)
UPCOMING_GSI1PK = "UPCOMING"
REVIEWED_GSI3PK = "BANDS#REVIEWED"
UNREVIEWED_GSI3PK = "BANDS#UNREVIEWED"
GEO_GSI4PK = "FESTIVALS#GEO"
MAX_EDITION_DAYS = 31  # longer editions sort at end − 31 days in GSI1 (see module docstring)

FESTIVAL_ROW_PREFIX = "FESTIVAL#"
EDITION_PREFIX = "EDITION#"
UPCOMING_PREFIX = "UPCOMING#"
BAND_ROW_PREFIX = "BAND#"
GENRE_ROW_PREFIX = "GENRE#"
ROLE_ROW_PREFIX = "ROLE#"
MEMBER_PREFIX = "MEMBER#"
SEARCH_MANIFEST = "SEARCH"  # a band's or festival's search manifest (SK in its own partition)
SEARCH_PREFIX = "SEARCH#"
REF_SEPARATOR = "\t"


def festival_pk(key: str) -> str:
    return f"FESTIVAL#{key}"


def festival_editions_pk(key: str) -> str:
    return f"FESTIVAL#{key}#EDITIONS"


def edition_sk(year: int) -> str:
    return f"EDITION#{int(year):04d}"


def upcoming_sk(year: int) -> str:
    return f"UPCOMING#{int(year):04d}"


def festival_row_sk(key: str) -> str:
    return f"FESTIVAL#{key}"


def country_festivals_gsi2pk(code: str) -> str:
    return f"FESTIVALS#COUNTRY#{code}"


def country_editions_gsi2pk(code: str) -> str:
    return f"EDITIONS#COUNTRY#{code}"


def country_bands_gsi2pk(code: str) -> str:
    return f"BANDS#COUNTRY#{code}"


COUNTRY_PREFIX = "COUNTRY#"


def country_sk(code: str) -> str:
    """The SK of a country's count in FESTIVAL_COUNTRIES_PK / BAND_COUNTRIES_PK."""
    return f"{COUNTRY_PREFIX}{code}"


MONTH_PREFIX = "MONTH#"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(day: dt.date) -> dt.date:
    return (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def month_key(month: dt.date) -> str:
    """An upcoming count item's index sort key: YYYY-MM, just before that month's rows (YYYY-MM-DD#…)."""
    return month.isoformat()[:7]


def upcoming_read_start(day: dt.date) -> dt.date:
    """The month whose count answers for `day`: that of day − MAX_EDITION_DAYS, where page 1 of
    `day`'s upcoming editions starts reading (the first of it)."""
    return month_start(day - dt.timedelta(days=MAX_EDITION_DAYS))


def upcoming_count_days(month: dt.date) -> tuple[dt.date, int]:
    """(first day, days): the days whose read starts in `month` (a first of the month), one per day of it."""
    return month + dt.timedelta(days=MAX_EDITION_DAYS), (next_month(month) - month).days


def upcoming_count_sk(month: str, code: str | None = None) -> str:
    """The SK of the upcoming count of `month` (YYYY-MM): in UPCOMING_COUNTS_PK, or a country's in
    UPCOMING_COUNTRIES_PK."""
    return f"{MONTH_PREFIX}{month}" if code is None else f"{COUNTRY_PREFIX}{code}#{month}"


def latitude_key(lat: float) -> str:
    """A latitude as a string that sorts as the number: lat + 90, zero-padded, 5 decimals (about 1 m)."""
    return f"{float(lat) + 90:09.5f}"


def geo_gsi4sk(lat: float, key: str) -> str:
    return f"{latitude_key(lat)}#{key}"


def band_pk(key: str) -> str:
    return f"BAND#{key}"


def band_festivals_pk(key: str) -> str:
    return f"BAND#{key}#FESTIVALS"


def band_festival_sk(festival_key: str, year: int) -> str:
    return f"FESTIVAL#{festival_key}#{int(year):04d}"


def band_row_sk(key: str) -> str:
    return f"BAND#{key}"


def reviewed_gsi3pk(reviewed: bool) -> str:
    return REVIEWED_GSI3PK if reviewed else UNREVIEWED_GSI3PK


def genre_pk(key: str) -> str:
    return f"GENRE#{key}"


def genre_bands_pk(key: str) -> str:
    return f"GENRE#{key}#BANDS"


def genre_row_sk(key: str) -> str:
    return f"GENRE#{key}"


def role_pk(key: str) -> str:
    return f"ROLE#{key}"


def role_members_pk(key: str) -> str:
    return f"ROLE#{key}#MEMBERS"


def role_row_sk(key: str) -> str:
    return f"ROLE#{key}"


def role_member_sk(band_key: str, position: int) -> str:
    return f"MEMBER#{band_key}#{int(position):03d}"


def search_pk(prefix: str) -> str:
    return f"{SEARCH_PREFIX}{prefix}"


def ref(pk: str, sk: str) -> str:
    """An item key as a line of a manifest's `refs`."""
    return f"{pk}{REF_SEPARATOR}{sk}"


def refs_text(keys) -> str:
    """A manifest's `refs`: its keys as sorted lines."""
    return "\n".join(sorted(ref(pk, sk) for pk, sk in keys))


def parse_refs(text: str | None) -> list[tuple[str, str]]:
    """The (PK, SK) keys a manifest's `refs` names."""
    return [(pk, sk) for line in (text or "").split("\n") if line for pk, _, sk in [line.partition(REF_SEPARATOR)]]


# --- discriminator values (frozen) -----------------------------------------------------------
class Kind:
    FESTIVAL = "festival"
    FESTIVAL_ALIAS = "festival_alias"
    FESTIVAL_ROW = "festival_row"
    EDITION = "edition"
    UPCOMING = "upcoming"
    BAND = "band"
    BAND_ROW = "band_row"
    BAND_FESTIVAL = "band_festival"
    GENRE = "genre"
    GENRE_ROW = "genre_row"
    GENRE_BAND = "genre_band"
    ROLE = "role"
    ROLE_ROW = "role_row"
    ROLE_MEMBER = "role_member"
    SUMMARY = "summary"
    CHANGE = "change"  # the change feed's entries (read_api.feed)
    SEARCH_ROW = "search_row"
    SEARCH_MANIFEST = "search_manifest"


# --- the models ----------------------------------------------------------------------------
class GSI1(GlobalSecondaryIndex):
    """Dates: upcoming editions sorted by start date."""

    class Meta:
        index_name = "GSI1"
        projection = AllProjection()

    GSI1PK = UnicodeAttribute(hash_key=True)
    GSI1SK = UnicodeAttribute(range_key=True)


class GSI2(GlobalSecondaryIndex):
    """Country: festival rows, upcoming rows (by date) and band rows by ISO country code."""

    class Meta:
        index_name = "GSI2"
        projection = AllProjection()

    GSI2PK = UnicodeAttribute(hash_key=True)
    GSI2SK = UnicodeAttribute(range_key=True)


class GSI3(GlobalSecondaryIndex):
    """Band review status: reviewed / unreviewed band rows (and their summaries)."""

    class Meta:
        index_name = "GSI3"
        projection = AllProjection()

    GSI3PK = UnicodeAttribute(hash_key=True)
    GSI3SK = UnicodeAttribute(range_key=True)


class GSI4(GlobalSecondaryIndex):
    """Geo: festival rows with coordinates, by latitude (the map filter)."""

    class Meta:
        index_name = "GSI4"
        projection = AllProjection()

    GSI4PK = UnicodeAttribute(hash_key=True)
    GSI4SK = UnicodeAttribute(range_key=True)


class Item(Model):
    """Base of every item family; `kind` selects the subclass when PynamoDB reads an item."""

    class Meta:
        table_name = config.settings.table_name
        host = config.settings.endpoint_url
        region = config.settings.region
        billing_mode = "PAY_PER_REQUEST"
        connect_timeout_seconds = config.settings.connect_timeout_seconds
        read_timeout_seconds = config.settings.read_timeout_seconds
        max_retry_attempts = config.settings.max_retry_attempts

    PK = UnicodeAttribute(hash_key=True)
    SK = UnicodeAttribute(range_key=True)
    kind = DiscriminatorAttribute(attr_name="kind")
    body = UnicodeAttribute()
    rev = NumberAttribute(default=0)
    content_hash = UnicodeAttribute()
    count = NumberAttribute(null=True)
    ends = UnicodeAttribute(null=True)
    since = UnicodeAttribute(null=True)
    GSI1PK = UnicodeAttribute(null=True)
    GSI1SK = UnicodeAttribute(null=True)
    GSI2PK = UnicodeAttribute(null=True)
    GSI2SK = UnicodeAttribute(null=True)
    GSI3PK = UnicodeAttribute(null=True)
    GSI3SK = UnicodeAttribute(null=True)
    GSI4PK = UnicodeAttribute(null=True)
    GSI4SK = UnicodeAttribute(null=True)
    lat = NumberAttribute(null=True)
    lng = NumberAttribute(null=True)
    published = UnicodeAttribute(null=True)
    term = UnicodeAttribute(null=True)
    refs = UnicodeAttribute(null=True)

    gsi1 = GSI1()
    gsi2 = GSI2()
    gsi3 = GSI3()
    gsi4 = GSI4()

    @property
    def key(self) -> tuple[str, str]:
        return (self.PK, self.SK)

    @staticmethod
    def key_of(item: "Item") -> tuple[str, str]:
        return (item.PK, item.SK)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.PK} {self.SK}>"


class FestivalItem(Item, discriminator=Kind.FESTIVAL):
    pass


class FestivalAliasItem(Item, discriminator=Kind.FESTIVAL_ALIAS):
    pass


class FestivalRowItem(Item, discriminator=Kind.FESTIVAL_ROW):
    pass


class EditionItem(Item, discriminator=Kind.EDITION):
    pass


class UpcomingItem(Item, discriminator=Kind.UPCOMING):
    pass


class BandItem(Item, discriminator=Kind.BAND):
    pass


class BandRowItem(Item, discriminator=Kind.BAND_ROW):
    pass


class BandFestivalItem(Item, discriminator=Kind.BAND_FESTIVAL):
    pass


class GenreItem(Item, discriminator=Kind.GENRE):
    pass


class GenreRowItem(Item, discriminator=Kind.GENRE_ROW):
    pass


class GenreBandItem(Item, discriminator=Kind.GENRE_BAND):
    pass


class RoleItem(Item, discriminator=Kind.ROLE):
    pass


class RoleRowItem(Item, discriminator=Kind.ROLE_ROW):
    pass


class RoleMemberItem(Item, discriminator=Kind.ROLE_MEMBER):
    pass


class SummaryItem(Item, discriminator=Kind.SUMMARY):
    pass


class ChangeItem(Item, discriminator=Kind.CHANGE):
    """An entry of the change feed; DynamoDB's TTL deletes it after `expires` (epoch seconds)."""

    expires = NumberAttribute(null=True)


class SearchRowItem(Item, discriminator=Kind.SEARCH_ROW):
    pass


class SearchManifestItem(Item, discriminator=Kind.SEARCH_MANIFEST):
    pass


def _all_models() -> list[type[Item]]:
    found, todo = [], [Item]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo.extend(cls.__subclasses__())
    return found


def bind(settings: "config.Settings") -> None:
    """Point every model at the configured table, endpoint, region, timeouts and retries."""
    meta = Item.Meta
    meta.table_name = settings.table_name
    meta.host = settings.endpoint_url
    meta.region = settings.region
    meta.connect_timeout_seconds = settings.connect_timeout_seconds
    meta.read_timeout_seconds = settings.read_timeout_seconds
    meta.max_retry_attempts = settings.max_retry_attempts
    for cls in _all_models():
        cls._connection = None
