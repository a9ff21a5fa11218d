"""iCalendar (RFC 5545) feeds of festival editions, from items the read tier has.

One all-day event per edition: DTSTART;VALUE=DATE on the first day and DTEND the day after
the last (DTEND is exclusive for dates), SUMMARY "<festival> <year>", LOCATION, GEO when the
festival has coordinates, URL (the festival's website), STATUS from the edition's status, in
every feed (a band's festival rows carry the festival's coordinates and website too).
The UID is `<festival key>-<year>@metalfests`: the same event in every feed (a festival's,
a band's, the upcoming one), so a calendar that subscribed replaces it when it changes.
DTSTAMP and LAST-MODIFIED are when publishing wrote the item the event comes from (its
`published` attribute: the last change of its content), so an answer, and its ETag, stays
the same until a publish changes it; an item written before publishing stamped its puts has
the start of today (UTC) instead.

The calendar's head (PRODID, VERSION, the calendar's name) is built with the `icalendar`
library; each event's lines are written here, directly: building a library component per
event cost about 0.8 ms (each property an object, each line folded by a per-character loop),
most of a 500-event feed. The rules they follow, and the tests check by parsing them back
with the library: TEXT escapes backslash, semicolon, comma and newline (§3.3.11), a line
longer than 75 octets folds with CRLF and one space and never inside a UTF-8 character (§3.1),
dates are `YYYYMMDD`, DTSTAMP a UTC date-time (§3.8.7.2).

Handlers import this module only inside their calendar routes: `icalendar` takes a few
hundred milliseconds to import, which the JSON routes' cold starts should not pay.
"""

import datetime as dt
import json
import re

from icalendar import Calendar, vText

from . import queries

PRODID = "-//Metal Fests//Public API//EN"
UID_DOMAIN = "metalfests"
STATUS = {"announced": "TENTATIVE", "confirmed": "CONFIRMED", "completed": "CONFIRMED", "cancelled": "CANCELLED"}
LINE_OCTETS = 75
PUBLISHED_RE = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # TEXT keeps tabs; newlines are escaped
_TEXT_ESCAPES = str.maketrans({"\\": "\\\\", ";": "\\;", ",": "\\,", "\n": "\\n"})


def uid(festival_key: str, year: int) -> str:
    return f"{festival_key}-{int(year)}@{UID_DOMAIN}"


def _calendar(name: str) -> Calendar:
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", vText(name))  # an X- property is untyped: vText escapes it as TEXT
    return calendar


def stamp(published: str | None) -> str:
    """DTSTAMP's UTC date-time from an item's `published` (YYYY-MM-DDTHH:MM:SSZ); without one, today's start."""
    match = PUBLISHED_RE.fullmatch(published or "")
    if match is None:
        return queries.today().strftime("%Y%m%dT000000Z")
    year, month, day, hour, minute, second = match.groups()
    return f"{year}{month}{day}T{hour}{minute}{second}Z"


def _text(value: str) -> str:
    """A TEXT value (§3.3.11): CRLF and CR are newlines, other control characters are dropped."""
    value = value.replace("\r\n", "\n").replace("\r", "\n")
    return _TEXT_CONTROL.sub("", value).translate(_TEXT_ESCAPES)


def _fold(line: str) -> str:
    """The content line with CRLF, folded at 75 octets (§3.1) without splitting a UTF-8 character."""
    if len(line) <= LINE_OCTETS and (line.isascii() or len(line.encode()) <= LINE_OCTETS):
        return line + "\r\n"
    parts, current, size, room = [], [], 0, LINE_OCTETS
    for char in line:
        octets = len(char.encode())
        if size + octets > room:
            parts.append("".join(current))
            current, size, room = [], 0, LINE_OCTETS - 1  # a continuation line starts with one space
        current.append(char)
        size += octets
    parts.append("".join(current))
    return "\r\n ".join(parts) + "\r\n"


def _date(iso: str, days: int = 0) -> str:
    """An iCalendar DATE (YYYYMMDD) `days` after the ISO date `iso`."""
    return (dt.date.fromisoformat(iso) + dt.timedelta(days=days)).isoformat().replace("-", "")


def _event(*, festival_key: str, festival_name: str, year: int, dates: dict, published: str | None,
           location: str | None = None, coordinates: dict | None = None, website: str | None = None,
           status: str | None = None, description: str | None = None) -> str:
    when = stamp(published)
    lines = [
        "BEGIN:VEVENT",
        f"UID:{_text(uid(festival_key, year))}",
        f"DTSTAMP:{when}",
        f"LAST-MODIFIED:{when}",
        f"SUMMARY:{_text(f'{festival_name} {int(year)}')}",
        f"DTSTART;VALUE=DATE:{_date(dates['start'])}",
        f"DTEND;VALUE=DATE:{_date(dates['end'], 1)}",
        "TRANSP:TRANSPARENT",  # a festival does not make its fans busy in a free/busy sense
    ]
    if location:
        lines.append(f"LOCATION:{_text(location)}")
    if coordinates and coordinates.get("lat") is not None and coordinates.get("lng") is not None:
        lines.append(f"GEO:{float(coordinates['lat'])!r};{float(coordinates['lng'])!r}")
    if website:
        lines.append(f"URL:{_CONTROL.sub('', website)}")  # a URI: not TEXT, nothing to escape
    if status in STATUS:
        lines.append(f"STATUS:{STATUS[status]}")
    if description:
        lines.append(f"DESCRIPTION:{_text(description)}")
    lines.append("END:VEVENT")
    return "".join(map(_fold, lines))


def _feed(name: str, events: list[str]) -> str:
    head = _calendar(name).to_ical().decode("utf-8")
    end = "END:VCALENDAR\r\n"
    return head[: -len(end)] + "".join(events) + end


def festival_calendar(detail: dict, published: str | None = None) -> str:
    """Every edition of a festival, from its detail body (GET /api/festivals/{key}) and when it was published."""
    festival = detail["festival"]
    events = []
    for edition in sorted(detail.get("editions") or [], key=lambda e: int(e["year"])):
        names = [entry["name"] for entry in edition.get("bands") or []]
        events.append(_event(
            festival_key=festival["key"], festival_name=festival["name"], year=edition["year"],
            dates=edition["dates"], published=published, location=festival.get("location"),
            coordinates=festival.get("coordinates"), website=festival.get("website"), status=edition.get("status"),
            description=f"Lineup: {', '.join(names)}" if names else None,
        ))
    return _feed(festival["name"], events)


def band_calendar(band_key: str, rows: list[tuple[str, str | None]]) -> str:
    """A band's festival appearances, from its /festivals rows: (body, published) each."""
    events = []
    for body, published in rows:
        row = json.loads(body)
        events.append(_event(
            festival_key=row["festivalKey"], festival_name=row["festivalName"], year=row["year"],
            dates=row["dates"], published=published, location=row.get("location"),
            coordinates=row.get("coordinates"), website=row.get("website"), status=row.get("status"),
        ))
    return _feed(f"{band_key} at festivals", events)


def upcoming_calendar(rows: list[tuple[str, str | None]], name: str) -> str:
    """Upcoming editions, from /api/festivals/upcoming rows (each row's `latestEdition` is its edition)."""
    events = []
    for body, published in rows:
        row = json.loads(body)
        edition = row["latestEdition"]
        events.append(_event(
            festival_key=row["festivalKey"], festival_name=row["festivalName"], year=edition["year"],
            dates=edition["dates"], published=published, location=row.get("location"),
            coordinates=row.get("coordinates"), website=row.get("website"),
        ))
    return _feed(name, events)
