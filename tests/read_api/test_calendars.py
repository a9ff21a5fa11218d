"""Issue 15.4: iCalendar feeds, parsed back with the library and checked against RFC 5545's rules."""

import datetime as dt
import re

import pytest
from icalendar import Calendar, Event

from read_api import calendars, http

from . import data

pytestmark = pytest.mark.dynamodb

CONTENT_LINE_OCTETS = 75  # RFC 5545 §3.1: lines SHOULD NOT be longer than 75 octets, excluding the line break


def parse(text: str) -> Calendar:
    check_rfc_5545(text)
    return Calendar.from_ical(text)


def check_rfc_5545(text: str) -> None:
    """The rules a consumer relies on: CRLF lines of at most 75 octets, folded with one space, one VCALENDAR."""
    assert text.endswith("\r\n")
    lines = text[:-2].split("\r\n")
    assert "\n" not in "".join(lines) and "\r" not in "".join(lines)
    for line in lines:
        assert len(line.encode("utf-8")) <= CONTENT_LINE_OCTETS, line
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-1] == "END:VCALENDAR"
    unfolded = re.sub(r"\r\n[ \t]", "", text)
    assert "VERSION:2.0\r\n" in unfolded and f"PRODID:{calendars.PRODID}\r\n" in unfolded
    for event in re.findall(r"BEGIN:VEVENT\r\n(.*?)END:VEVENT", unfolded, re.S):
        names = [line.split(":", 1)[0].split(";", 1)[0] for line in event.split("\r\n") if line]
        for required in ("UID", "DTSTAMP", "DTSTART"):  # §3.6.1: UID and DTSTAMP once, DTSTART when no METHOD...
            assert names.count(required) == 1, (required, event)
        for once in ("DTEND", "SUMMARY", "LOCATION", "GEO", "URL", "STATUS", "DESCRIPTION"):
            assert names.count(once) <= 1, (once, event)
        assert re.search(r"^DTSTART;VALUE=DATE:\d{8}\r$", event, re.M), event
        assert re.search(r"^DTEND;VALUE=DATE:\d{8}\r$", event, re.M), event
        assert re.search(r"^DTSTAMP:\d{8}T\d{6}Z\r$", event, re.M), event  # UTC, §3.8.7.2


def events(calendar: Calendar) -> dict[str, object]:
    return {str(event["UID"]): event for event in calendar.walk("VEVENT")}


def test_a_festival_calendar_has_every_edition_as_an_all_day_event(seeded, api, dynamo_calls):
    response = api("/api/festivals/wacken/calendar.ics")
    assert response.status == 200 and dynamo_calls == ["GetItem"]
    assert response.header("Content-Type") == "text/calendar; charset=utf-8"
    assert response.header("Cache-Tag") == "festival:wacken"
    assert response.header("Cache-Control").startswith("public, max-age=1800")
    found = events(parse(response.body))
    editions = data.FESTIVALS["wacken"]["editions"]
    assert set(found) == {f"wacken-{e['year']}@metalfests" for e in editions}
    for edition in editions:
        event = found[f"wacken-{edition['year']}@metalfests"]
        assert event.decoded("DTSTART") == dt.date.fromisoformat(edition["dates"]["start"])
        assert event.decoded("DTEND") == dt.date.fromisoformat(edition["dates"]["end"]) + dt.timedelta(days=1)
        assert str(event["SUMMARY"]) == f"Wacken Open Air {edition['year']}"
        assert str(event["LOCATION"]) == "Wacken, Germany"
        assert (event["GEO"].latitude, event["GEO"].longitude) == (54.0214, 9.3769)
        assert str(event["URL"]) == "https://wacken.example.com"
        assert event.decoded("DTSTAMP") == dt.datetime.combine(data.TODAY, dt.time(), tzinfo=dt.UTC)
    assert str(found["wacken-2025@metalfests"]["STATUS"]) == "CONFIRMED"  # completed
    assert str(found[f"wacken-{editions[1]['year']}@metalfests"]["STATUS"]) == "TENTATIVE"  # announced
    assert str(found["wacken-2025@metalfests"]["DESCRIPTION"]) == "Lineup: Iron Maiden, Sabaton"


def test_no_geo_without_coordinates_and_the_answer_is_cacheable(seeded, api):
    response = api("/api/festivals/graspop/calendar.ics")
    (event,) = parse(response.body).walk("VEVENT")
    assert "GEO" not in event and str(event["LOCATION"]) == "Dessel, Belgium"
    assert response.header("ETag") == http.etag_of(response.body.encode())
    again = api("/api/festivals/graspop/calendar.ics", headers={"If-None-Match": response.header("ETag")})
    assert again.status == 304 and again.body == ""


def test_a_band_calendar_uses_the_same_uids_as_the_festival_calendars(seeded, api, dynamo_calls):
    response = api("/api/bands/iron-maiden/calendar.ics")
    assert response.status == 200 and dynamo_calls == ["Query"]
    assert response.header("Cache-Tag") == "band:iron-maiden"
    found = events(parse(response.body))
    expected = {f"{row['festivalKey']}-{row['year']}@metalfests" for row in data.band_festivals("iron-maiden")}
    assert set(found) == expected
    wacken = events(parse(api("/api/festivals/wacken/calendar.ics").body))
    shared = found["wacken-2025@metalfests"]
    for name in ("DTSTART", "DTEND", "SUMMARY", "LOCATION", "URL", "STATUS"):
        assert shared.decoded(name) == wacken["wacken-2025@metalfests"].decoded(name), name
    # GEO and URL as in the festival's calendar: the band's festival rows carry them
    assert (shared["GEO"].latitude, shared["GEO"].longitude) == (54.0214, 9.3769)
    assert str(shared["URL"]) == "https://wacken.example.com"


def test_upcoming_calendar_in_start_order_and_by_country(seeded, api, dynamo_calls):
    response = api("/api/festivals/upcoming.ics")
    assert response.status == 200 and dynamo_calls == ["Query"]
    assert response.header("Cache-Tag") == "upcoming"
    uids = [str(event["UID"]) for event in parse(response.body).walk("VEVENT")]
    assert [uid.rsplit("-", 1)[0] for uid in uids] == data.UPCOMING_ORDER
    french = parse(api("/api/festivals/upcoming.ics", query={"country": "fr"}).body)
    assert [str(e["UID"]) for e in french.walk("VEVENT")] == [f"hellfest-{data._year(-1)}@metalfests"]
    assert "Upcoming metal festivals (FR)" in str(french["X-WR-CALNAME"])


@pytest.mark.parametrize("path,status", [
    ("/api/festivals/nowhere/calendar.ics", 404),
    ("/api/bands/nobody/calendar.ics", 404),
    ("/api/festivals/Bad_Key/calendar.ics", 400),
])
def test_errors_are_json_in_the_envelope(seeded, api, path, status):
    response = api(path)
    assert response.status == status
    assert response.header("Content-Type") == "application/json; charset=utf-8"
    assert response.json()["error"]["code"] in ("RESOURCE_NOT_FOUND", "VALIDATION_ERROR")


def test_a_renamed_festival_redirects_its_calendar(seeded, api):
    response = api("/api/festivals/wacken-open-air/calendar.ics")
    assert response.status == 301 and response.header("Location") == "/api/festivals/wacken/calendar.ics"


@pytest.mark.parametrize("path,query", [
    ("/api/festivals/upcoming.ics", {"month": "2026-07"}),
    ("/api/festivals/wacken/calendar.ics", {"limit": "1"}),
    ("/api/bands/iron-maiden/calendar.ics", {"country": "GB"}),
])
def test_calendars_take_no_other_parameters(seeded, api, dynamo_calls, path, query):
    response = api(path, query=query)
    assert response.status == 400 and dynamo_calls == []


def test_text_is_escaped_and_long_lines_folded():
    """Commas, semicolons, backslashes and newlines in names survive the round trip (§3.3.11); folding (§3.1)."""
    name = 'Rock; Roll, "Metal" \\ Fest\nNight ' + "é" * 60
    detail = {"festival": {"key": "odd", "name": name, "location": "Town, Land; Region",
                           "coordinates": {"lat": -33.5, "lng": 151.25}, "website": "https://odd.example.com/a?b=c;d"},
              "editions": [{"year": 2026, "dates": {"start": "2026-12-31", "end": "2027-01-01"},
                            "bands": [{"key": "a", "name": "AC, DC"}], "status": "cancelled"}]}
    text = calendars.festival_calendar(detail)
    unfolded = re.sub(r"\r\n[ \t]", "", text)
    assert "\r\nSUMMARY:Rock\\; Roll\\, \"Metal\" \\\\ Fest\\nNight" in unfolded
    assert "\r\nX-WR-CALNAME:Rock\\; Roll\\, \"Metal\" \\\\ Fest\\nNight" in unfolded  # an X- property too
    calendar = parse(text)
    (event,) = calendar.walk("VEVENT")
    assert str(event["SUMMARY"]) == f"{name} 2026"
    assert str(event["LOCATION"]) == "Town, Land; Region"
    assert str(event["DESCRIPTION"]) == "Lineup: AC, DC"
    assert str(event["STATUS"]) == "CANCELLED"
    assert event.decoded("DTEND") == dt.date(2027, 1, 2)  # exclusive, across the year's end
    assert (event["GEO"].latitude, event["GEO"].longitude) == (-33.5, 151.25)


def test_dtstamp_is_when_the_item_was_published_so_the_answer_stays_the_same(seeded, api, monkeypatch):
    """DTSTAMP and LAST-MODIFIED come from the item's `published` (the writer stamps each put), not the request."""
    from read_api import items, queries

    festival, = [i for i in items.festival_items(data.FESTIVALS["graspop"], rev=1) if i.SK == "METADATA"]
    festival.published = "2026-05-04T03:02:01Z"
    data.write([festival])
    try:
        first = api("/api/festivals/graspop/calendar.ics")
        (event,) = parse(first.body).walk("VEVENT")
        assert event.decoded("DTSTAMP") == dt.datetime(2026, 5, 4, 3, 2, 1, tzinfo=dt.UTC)
        assert event.decoded("LAST-MODIFIED") == event.decoded("DTSTAMP")
        monkeypatch.setattr(queries, "today", lambda: data.TODAY + dt.timedelta(days=3))  # days later, same item
        later = api("/api/festivals/graspop/calendar.ics")
        assert later.body == first.body and later.header("ETag") == first.header("ETag")
    finally:
        data.write([i for i in items.festival_items(data.FESTIVALS["graspop"], rev=1) if i.SK == "METADATA"])


def _library_event(*, festival_key, festival_name, year, dates, published, location=None, coordinates=None,
                   website=None, status=None, description=None):
    """The same event built property by property with the icalendar library: the reference the lines must match."""
    event = Event()
    when = dt.datetime.strptime(calendars.stamp(published), "%Y%m%dT%H%M%SZ").replace(tzinfo=dt.UTC)
    event.add("uid", calendars.uid(festival_key, year))
    event.add("dtstamp", when)
    event.add("last-modified", when)
    event.add("summary", f"{festival_name} {int(year)}")
    event.add("dtstart", dt.date.fromisoformat(dates["start"]))
    event.add("dtend", dt.date.fromisoformat(dates["end"]) + dt.timedelta(days=1))
    event.add("transp", "TRANSPARENT")
    if location:
        event.add("location", location)
    if coordinates:
        event.add("geo", (float(coordinates["lat"]), float(coordinates["lng"])))
    if website:
        event.add("url", website)
    if status in calendars.STATUS:
        event.add("status", calendars.STATUS[status])
    if description:
        event.add("description", description)
    return event


@pytest.mark.parametrize("name,location", [
    ("Hellfest", "Clisson, France"),
    ('Rock; Roll, "Metal" \\ Fest\nNight\r\nAfter\tparty ' + "é" * 60, "Town, Land; Region " + "ø€" * 40),
    ("x" * 74, "🤘" * 30),  # folds exactly at the boundary; four-octet characters are never split
])
def test_the_direct_lines_parse_back_to_what_the_library_builds(name, location):
    fields = {"festival_key": "odd-fest", "festival_name": name, "year": 2027,
              "dates": {"start": "2027-06-18", "end": "2027-06-21"}, "published": "2026-11-30T23:59:59Z",
              "location": location, "coordinates": {"lat": -33.865, "lng": 151.2094},
              "website": "https://odd.example.com/a?b=c;d,e", "status": "confirmed", "description": "Lineup: AC, DC"}
    text = calendars._feed("Feed", [calendars._event(**fields)])
    check_rfc_5545(text)
    (ours,) = Calendar.from_ical(text).walk("VEVENT")
    reference = Event.from_ical(_library_event(**fields).to_ical())
    assert sorted(ours) == sorted(reference)
    for prop in reference:
        assert ours.decoded(prop) == reference.decoded(prop), prop
