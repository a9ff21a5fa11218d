"""iCalendar (RFC 5545) feeds of festival editions, built with the `icalendar` library from items the read tier has.

One all-day event per edition: DTSTART;VALUE=DATE on the first day and DTEND the day after
the last (DTEND is exclusive for dates), SUMMARY "<festival> <year>", LOCATION, GEO when the
festival has coordinates, URL (the festival's website), STATUS from the edition's status.
The UID is `<festival key>-<year>@metalfests`: the same event in every feed (a festival's,
a band's, the upcoming one), so a calendar that subscribed replaces it when it changes.
DTSTAMP is the start of today (UTC): RFC 5545 asks for when the information was revised, which
the items do not record, and a value that changes once a day keeps the ETag (and 304s) stable
between publishes. The library folds lines at 75 octets and escapes text (commas,
semicolons, backslashes, newlines) as §3.1 and §3.3.11 require.

Handlers import this module only inside their calendar routes: `icalendar` takes a few
hundred milliseconds to import, which the JSON routes' cold starts should not pay.
"""

import datetime as dt
import json

from icalendar import Calendar, Event, vText

from . import queries

PRODID = "-//Metal Fests//Public API//EN"
UID_DOMAIN = "metalfests"
STATUS = {"announced": "TENTATIVE", "confirmed": "CONFIRMED", "completed": "CONFIRMED", "cancelled": "CANCELLED"}


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


def _stamp() -> dt.datetime:
    return dt.datetime.combine(queries.today(), dt.time(), tzinfo=dt.UTC)


def _event(*, festival_key: str, festival_name: str, year: int, dates: dict, location: str | None = None,
           coordinates: dict | None = None, website: str | None = None, status: str | None = None,
           description: str | None = None) -> Event:
    event = Event()
    event.add("uid", uid(festival_key, year))
    event.add("dtstamp", _stamp())
    event.add("summary", f"{festival_name} {int(year)}")
    event.add("dtstart", dt.date.fromisoformat(dates["start"]))
    event.add("dtend", dt.date.fromisoformat(dates["end"]) + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")  # a festival does not make its fans busy in a free/busy sense
    if location:
        event.add("location", location)
    if coordinates and coordinates.get("lat") is not None and coordinates.get("lng") is not None:
        event.add("geo", (float(coordinates["lat"]), float(coordinates["lng"])))
    if website:
        event.add("url", website)
    if status in STATUS:
        event.add("status", STATUS[status])
    if description:
        event.add("description", description)
    return event


def _text(calendar: Calendar) -> str:
    return calendar.to_ical().decode("utf-8")


def festival_calendar(detail: dict) -> str:
    """Every edition of a festival, from its detail body (GET /api/festivals/{key})."""
    festival = detail["festival"]
    calendar = _calendar(festival["name"])
    for edition in sorted(detail.get("editions") or [], key=lambda e: int(e["year"])):
        names = [entry["name"] for entry in edition.get("bands") or []]
        calendar.add_component(_event(
            festival_key=festival["key"], festival_name=festival["name"], year=edition["year"],
            dates=edition["dates"], location=festival.get("location"), coordinates=festival.get("coordinates"),
            website=festival.get("website"), status=edition.get("status"),
            description=f"Lineup: {', '.join(names)}" if names else None,
        ))
    return _text(calendar)


def band_calendar(band_key: str, rows: list[str]) -> str:
    """A band's festival appearances, from its /festivals rows (no coordinates or website there: no GEO, no URL)."""
    calendar = _calendar(f"{band_key} at festivals")
    for row in map(json.loads, rows):
        calendar.add_component(_event(
            festival_key=row["festivalKey"], festival_name=row["festivalName"], year=row["year"],
            dates=row["dates"], location=row.get("location"), status=row.get("status"),
        ))
    return _text(calendar)


def upcoming_calendar(rows: list[str], name: str) -> str:
    """Upcoming editions, from /api/festivals/upcoming rows (each row's `latestEdition` is its edition)."""
    calendar = _calendar(name)
    for row in map(json.loads, rows):
        edition = row["latestEdition"]
        calendar.add_component(_event(
            festival_key=row["festivalKey"], festival_name=row["festivalName"], year=edition["year"],
            dates=edition["dates"], location=row.get("location"), coordinates=row.get("coordinates"),
            website=row.get("website"),
        ))
    return _text(calendar)
