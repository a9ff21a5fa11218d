"""A small CDN of our own for tests: caches the read tier's answers as CloudFront would, and invalidates by its rules.

- The cache key is the path *and* the query string (the distribution forwards and
  caches on query strings: paging and filters are separate objects).
- An answer is cached when its `Cache-Control` allows it (`max-age` > 0, not `no-store`),
  with the first 50 tags of its `Cache-Tag` header (tags are case-insensitive).
- Time never passes: a cached answer stays until invalidated, the worst case for staleness.
- Invalidation items follow CloudFront: `#tag` clears every object carrying the tag;
  a path ending in `*` clears every object whose path-and-query starts with the prefix;
  any other path clears exactly that object (not its query-string variants).
"""

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from publishing.cdn import RecordingBackend

MAX_TAGS = 50


@dataclass
class Cached:
    status: int
    body: str
    tags: set[str]


def origin(url: str) -> tuple[int, dict, str]:
    """Ask the read tier's handler directly, as CloudFront asks API Gateway."""
    from read_api.local import handler_for, to_event

    event = to_event("GET", url, [], "127.0.0.1")
    result = handler_for(event["path"])(event, None)
    return result["statusCode"], result.get("headers") or {}, result.get("body") or ""


def comparable(status: int, body: str):
    """What a client sees, minus the per-request parts of an error (request id, timestamp); a calendar as its text."""
    if body.startswith("BEGIN:VCALENDAR"):
        return status, body
    data = json.loads(body) if body else None
    if isinstance(data, dict) and isinstance(data.get("error"), dict):
        data = {"error": {k: v for k, v in data["error"].items() if k in ("code", "message")}}
    return status, data


@dataclass
class CDNEmulator:
    cache: dict[str, Cached] = field(default_factory=dict)
    hits: int = 0
    misses: int = 0
    invalidations: list[list[str]] = field(default_factory=list)

    @staticmethod
    def cache_key(url: str) -> str:
        parts = urlsplit(url)
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def get(self, url: str) -> tuple[int, str]:
        key = self.cache_key(url)
        if key in self.cache:
            self.hits += 1
            return self.cache[key].status, self.cache[key].body
        self.misses += 1
        status, headers, body = origin(url)
        control = {p.strip().split("=")[0]: p.strip() for p in headers.get("Cache-Control", "").split(",")}
        max_age = int(control["max-age"].split("=")[1]) if "max-age" in control else 0
        if max_age > 0 and "no-store" not in control and "private" not in control:
            tags = [t.strip().lower() for t in headers.get("Cache-Tag", "").split(",") if t.strip()][:MAX_TAGS]
            self.cache[key] = Cached(status, body, set(tags))
        return status, body

    def invalidate(self, items: list[str]) -> None:
        self.invalidations.append(list(items))
        for item in items:
            if item.startswith("#"):
                tag = item[1:].lower()
                doomed = [k for k, c in self.cache.items() if tag in c.tags]
            elif item.endswith("*"):
                doomed = [k for k in self.cache if k.startswith(item[:-1])]
            else:
                doomed = [k for k in self.cache if k == item]
            for key in doomed:
                del self.cache[key]

    def stale(self, urls) -> list[str]:
        """URLs whose cached answer differs from what the origin returns now."""
        found = []
        for url in urls:
            key = self.cache_key(url)
            if key not in self.cache:
                continue
            cached = self.cache[key]
            status, _, body = origin(url)
            if comparable(cached.status, cached.body) != comparable(status, body):
                found.append(url)
        return found


CURRENT: list[CDNEmulator] = []


class EmulatorBackend(RecordingBackend):
    """Publishing's CDN backend in these tests: records the invalidation and applies it to the emulator."""

    def invalidate(self, *, items, reference, task=None, changed_paths=()):
        invalidation = super().invalidate(items=items, reference=reference, task=task, changed_paths=changed_paths)
        for emulator in CURRENT:
            emulator.invalidate(items)
        return invalidation
