"""A fan reading the public API (the read tier's handlers, as CloudFront asks them) while a release goes public.

`broken_references()` follows every reference the release's answers make and names each that
answers 404: a lineup entry whose band is missing, a band's genre or festival that is missing.
"""

import json
import threading

from tests.publishing.cdn_emulator import origin


def get(url: str):
    status, _, body = origin(url)
    return status, (json.loads(body) if body else None)


def references(festival_key: str, year: int, band_keys: list[str]) -> tuple[list[str], int]:
    """(every reference that answers 404, how many references were followed)."""
    broken, followed = [], 0

    def follow(url: str, why: str) -> None:
        nonlocal followed
        followed += 1
        if get(url)[0] != 200:
            broken.append(f"{why}: {url} answers 404")

    status, body = get(f"/api/festivals/{festival_key}/editions/{year}")
    if status == 200:
        for entry in body["edition"]["bands"]:
            follow(f"/api/bands/{entry['key']}", f"the lineup of {festival_key} {year}")
    status, body = get(f"/api/festivals/{festival_key}")
    if status == 200:
        for edition in body["editions"]:
            for entry in edition["bands"]:
                follow(f"/api/bands/{entry['key']}", f"{festival_key}'s edition {edition['year']}")
    for key in band_keys:
        status, body = get(f"/api/bands/{key}")
        if status == 200:
            for genre in body["band"]["genreKeys"]:
                follow(f"/api/genres/{genre}", f"band {key}")
        status, body = get(f"/api/bands/{key}/festivals")
        if status == 200:
            for row in body["festivals"]:
                follow(f"/api/festivals/{row['festivalKey']}/editions/{row['year']}", f"band {key}'s festivals")
    return broken, followed


def broken_references(festival_key: str, year: int, band_keys: list[str]) -> list[str]:
    return references(festival_key, year, band_keys)[0]


def visible(festival_key: str, year: int, band_keys: list[str]) -> dict:
    """What of the release a reader sees: the edition (True/False) and how many of its bands answer."""
    return {
        "edition": get(f"/api/festivals/{festival_key}/editions/{year}")[0] == 200,
        "bands": sum(get(f"/api/bands/{key}")[0] == 200 for key in band_keys),
    }


class PollingReader(threading.Thread):
    """Reads the release's answers in a loop until stopped, collecting every broken reference it saw."""

    def __init__(self, festival_key: str, year: int, band_keys: list[str]):
        super().__init__(daemon=True)
        self.args_ = (festival_key, year, band_keys)
        self.stopping = threading.Event()
        self.broken: list[str] = []
        self.rounds = 0
        self.error: BaseException | None = None

    def run(self):
        try:
            while not self.stopping.is_set():
                self.broken += broken_references(*self.args_)
                self.rounds += 1
        except BaseException as exc:  # surfaced by stop()
            self.error = exc

    def stop(self) -> "PollingReader":
        self.stopping.set()
        self.join(timeout=60)
        if self.error is not None:
            raise self.error
        return self
