"""What the preview page leads with: the record as a fan's app shows it, a short field-level change list
against what is live, and the public URLs an approval refreshes. Pure functions of snapshots and documents."""

from datetime import date

from read_api import cachetags

BILLING = {0: "headliner", 1: "main", 2: "mid", 3: "small", None: "unbilled"}
LABELS = {
    "name": "Name", "key": "Key", "country": "Country", "countryCode": None, "description": "Description",
    "logo": "Logo", "headlineImage": "Headline image", "website": "Website", "spotify": "Spotify",
    "genreKeys": "Genres", "members": "Members", "reviewed": "Reviewed", "location": None, "city": "City",
    "coordinates": "Coordinates", "poster": "Poster", "festivalKey": "Festival", "year": "Year", "dates": "Dates",
    "bands": "Lineup", "ticketPrice": "Ticket price", "currency": "Currency", "status": "Status",
    "category": "Category",
}


def date_range(dates: dict | None) -> str:
    """{"start": "2027-06-18", "end": "2027-06-21"} → "18–21 June 2027"."""
    if not dates:
        return "—"
    start, end = date.fromisoformat(dates["start"]), date.fromisoformat(dates["end"])
    if start == end:
        return f"{start.day} {start:%B %Y}"
    if (start.year, start.month) == (end.year, end.month):
        return f"{start.day}–{end.day} {end:%B %Y}"
    if start.year == end.year:
        return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"
    return f"{start.day} {start:%B %Y} – {end.day} {end:%B %Y}"


def _short(value) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict) and {"lat", "lng"} <= set(value):
        return f"{value['lat']}, {value['lng']}"
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


def _lineup_changes(before: list, after: list) -> str:
    old = {b["key"] or b["name"]: b for b in before or []}
    new = {b["key"] or b["name"]: b for b in after or []}
    parts = [f"+ {b['name']} ({BILLING.get(b.get('size'))})" for k, b in new.items() if k not in old]
    parts += [f"− {b['name']}" for k, b in old.items() if k not in new]
    parts += [
        f"{b['name']}: {BILLING.get(old[k].get('size'))} → {BILLING.get(b.get('size'))}"
        for k, b in new.items() if k in old and old[k].get("size") != b.get("size")
    ]
    if not parts and [b["name"] for b in before or []] != [b["name"] for b in after or []]:
        parts.append("running order changed")
    return ", ".join(parts)


def _member_changes(before: list, after: list) -> str:
    old = {m["name"]: m for m in before or []}
    new = {m["name"]: m for m in after or []}
    parts = [f"+ {name}" for name in new if name not in old] + [f"− {name}" for name in old if name not in new]
    parts += [f"{name}: roles {_short(old[name]['roleKeys'])} → {_short(m['roleKeys'])}"
              for name, m in new.items() if name in old and old[name]["roleKeys"] != m["roleKeys"]]
    if not parts and list(old) != list(new):
        parts.append("order changed")
    return ", ".join(parts)


def change_list(live: dict | None, proposed: dict | None) -> list[tuple[str, str]]:
    """Field-level changes from the live public copy to the working copy: [(label, "before → after")]."""
    if proposed is None:
        return [("Record", "removed from the public API")]
    if live is None:
        return [("Record", "new: not public yet, appears with this approval")]
    rows = []
    for field in proposed:
        label = LABELS.get(field, field)
        old, new = live.get(field), proposed.get(field)
        if label is None or old == new:
            continue
        if field == "bands":
            text = _lineup_changes(old, new)
        elif field == "members":
            text = _member_changes(old, new)
        elif field == "dates":
            text = f"{date_range(old)} → {date_range(new)}"
        elif field == "genreKeys":
            added, removed = sorted(set(new or []) - set(old or [])), sorted(set(old or []) - set(new or []))
            text = ", ".join([f"+ {k}" for k in added] + [f"− {k}" for k in removed])
        else:
            text = f"{_short(old)} → {_short(new)}"
        rows.append((label, text))
    return rows


def refreshed_paths(items) -> list[str]:
    """Public paths whose answers the approval changes (the preview's changed items), for people to read."""
    paths: set[str] = set()
    for item in items:
        if item.change in ("unchanged",):
            continue
        try:
            paths |= cachetags.answer_paths(item.pk, item.sk)
        except ValueError:
            continue
    return sorted(paths)


def lineup_by_billing(bands: list[dict]) -> list[dict]:
    """An edition's lineup grouped top of the bill first: [{"billing": "headliner", "bands": [...]}]."""
    groups: dict = {}
    for band in bands or []:
        groups.setdefault(band.get("size"), []).append(band)
    order = sorted(groups, key=lambda size: (size is None, size))
    return [{"billing": BILLING.get(size, str(size)), "bands": groups[size]} for size in order]


def fan_view(kind: str, documents: dict) -> dict | None:
    """The public answers reshaped for a page as a fan's app would show it (festival or band), or None."""
    if kind in ("festival", "edition"):
        path = next((p for p in documents if p.count("/") == 3 and p.startswith("/api/festivals/")), None)
        if path is None:
            return None
        detail = documents[path]
        editions = [
            {**e, "when": date_range(e.get("dates")), "lineup": lineup_by_billing(e.get("bands"))}
            for e in sorted(detail.get("editions") or [], key=lambda e: -e["year"])
        ]
        return {"kind": "festival", "festival": detail["festival"], "editions": editions}
    if kind == "band":
        path = next((p for p in documents if p.count("/") == 3 and p.startswith("/api/bands/")), None)
        if path is None:
            return None
        detail = documents[path]
        roles = {r["key"]: r["name"] for r in detail.get("roles") or []}
        band = detail["band"]
        members = [{"name": m["name"], "roles": [roles.get(k, k) for k in m.get("roleKeys") or []]}
                   for m in band.get("members") or []]
        festivals = documents.get(path + "/festivals") or []
        appearances = [{**a, "when": date_range(a.get("dates")), "billing": BILLING.get(a.get("size"))}
                       for a in (festivals if isinstance(festivals, list) else festivals.get("festivals", []))]
        return {"kind": "band", "band": band, "members": members, "genres": detail.get("genres") or [],
                "appearances": appearances}
    return None
