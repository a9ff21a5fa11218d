"""Search as you type: the one transliteration of names (shared with the catalog's keys) and the prefix index's keys.

A name is found by its normalised prefixes: the name is transliterated to ASCII the way keys
are (`anyascii`, apostrophes dropped, lower case), cut into words of letters and digits, and
indexed under every prefix (up to MAX_PREFIX characters) of the whole name and of the name
from each later word on: "Iron Maiden" under "i", "ir", … "iron maiden" and "m", … "maiden".
Publishing writes one small search row per (prefix, record) in the partition `SEARCH#<prefix>`,
sorted by rank (exact name first, then the larger festival or edition count, then the name),
so a keystroke is one Query of one partition with Limit 20. A longer query reads the partition
of its first MAX_PREFIX characters and filters on the indexed text (`term`).

The catalog's key function (`catalog.importer.normalize.to_key`) is built on `words`: a key
and a search term of one name never disagree on how a letter is spelled.
"""

import re

from anyascii import anyascii

MAX_PREFIX = 12  # longest indexed prefix; a longer query filters its partition
MAX_QUERY = 100  # characters of `q` accepted
MAX_RESULTS = 20
MAX_NAME = 100  # characters of a normalised name kept in a sort key
MAX_COUNT = 99_999
BAND, FESTIVAL = "band", "festival"

_APOSTROPHES = re.compile(r"['’‘`´]")
_WORD = re.compile(r"[a-z0-9]+")


def words(text: str | None) -> list[str]:
    """The words of `text` as keys spell them: ASCII transliteration, lower case, apostrophes dropped."""
    return _WORD.findall(_APOSTROPHES.sub("", anyascii(text or "")).lower())


def normalise(text: str | None) -> str:
    """`text` as the index compares it: "Motörhead" → "motorhead", "  IRON  m" → "iron m"."""
    return " ".join(words(text))


def terms(name: str | None) -> list[str]:
    """The texts a name is found by: the whole name, then the name from each later word on."""
    found = words(name)
    return [" ".join(found[start:]) for start in range(len(found))]


def prefixes(name: str | None) -> dict[str, str]:
    """Every indexed prefix of `name` → the term it is a prefix of (the first, when several share it)."""
    found: dict[str, str] = {}
    for term in terms(name):
        for length in range(1, min(len(term), MAX_PREFIX) + 1):
            prefix = term[:length]
            if not prefix.endswith(" "):  # "iron " is asked as "iron"
                found.setdefault(prefix, term)
    return found


def partition_prefix(query: str) -> str:
    """The indexed prefix whose partition answers the normalised `query`."""
    return query[:MAX_PREFIX].rstrip()


def rank_sk(prefix: str, name: str, count: int, kind: str, key: str) -> str:
    """The sort key of a search row in `prefix`'s partition: exact name first, larger count, name, kind, key."""
    normalised = normalise(name)
    exact = "0" if normalised == prefix else "1"
    count = max(0, min(int(count), MAX_COUNT))
    return f"{exact}#{MAX_COUNT - count:05d}#{normalised[:MAX_NAME]}#{kind}#{key}"


def name_of_sk(sk: str) -> str:
    """The normalised name a search row's sort key holds (exact matches of a long query are told by it)."""
    return sk.split("#")[2]
