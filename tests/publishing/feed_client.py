"""A fan's offline copy, as an app keeps it: a crawl of the public documents, then the change feed applied to it.

Everything goes through the read tier's handlers (`cdn_emulator.origin`), as a client asks the API.
"""

import json

from read_api import feed
from tests.read_api.openapi_check import validate_response

from .cdn_emulator import origin

LISTS = {"festival": "/api/festivals", "band": "/api/bands", "genre": "/api/genres", "role": "/api/roles"}
PLURAL = {"festival": "festivals", "band": "bands", "genre": "genres", "role": "roles"}


def get(url: str) -> tuple[int, dict]:
    """The answer to a GET, checked against read_api/openapi.yaml."""
    status, headers, body = origin(url)
    validate_response(url.split("?", 1)[0], "GET", status, headers, body)
    return status, json.loads(body) if body else {}


def crawl() -> dict[str, dict]:
    """Every festival, band, genre and role document, by path: each list page by page, then each detail."""
    copy = {}
    for kind, url in LISTS.items():
        page = f"{url}?limit=500" if kind in ("festival", "band") else url
        while page:
            status, answer = get(page)
            assert status == 200, (page, answer)
            for row in answer[PLURAL[kind]]:
                path = f"/api/{PLURAL[kind]}/{row.get('key') or row['festivalKey']}"
                status, document = get(path)
                assert status == 200, (path, document)
                copy[path] = document
            cursor = answer.get("nextCursor")
            page = f"{url}?limit=500&cursor={cursor}" if cursor else None
    return copy


def cursor_now() -> str:
    status, answer = get("/api/changes")
    assert status == 200 and answer["changes"] == [] and answer["more"] is False
    return answer["nextCursor"]


def follow(since: str, *, limit: int | None = None) -> tuple[list[dict], str]:
    """Every entry after `since`, page after page; (entries, the cursor to keep)."""
    entries = []
    while True:
        status, answer = get(f"/api/changes?since={since}" + (f"&limit={limit}" if limit else ""))
        assert status == 200, answer
        entries += answer["changes"]
        since = answer["nextCursor"]
        if not answer["more"]:
            return entries, since


def apply(copy: dict, entries: list[dict]) -> dict:
    for entry in entries:
        if entry["action"] == feed.UPSERT:
            copy[entry["path"]] = entry["document"]
        else:
            copy.pop(entry["path"], None)
    return copy
