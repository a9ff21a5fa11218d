"""Turning legacy free text into catalog values: keys, countries, locations, prices, URLs, roles and genres.

Pure functions and a small `Vocabulary` lookup; nothing here touches the database, so
each rule can be tested alone. The import service feeds the vocabulary from the tables.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import pycountry
from anyascii import anyascii
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django_countries import countries

from catalog.models import KEY_PATTERN, RoleCategory
from read_api import search

from .native_country_names import NATIVE_NAMES

KEY_MAX_LENGTH = 100
_KEY_RE = re.compile(KEY_PATTERN)
_YEAR_SUFFIX = re.compile(r"^(?P<base>[a-z0-9-]+?)-(?P<year>(?:19|20)\d\d)$")


def fold(text: str) -> str:
    """Compare texts case-insensitively with spaces folded (the alias tables' rule)."""
    return " ".join(text.split()).casefold()


def clean_text(value) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def to_key(text: str) -> str:
    """A URL slug for any text: transliterated to ASCII, lowercased, apostrophes dropped, hyphenated.

    The words are the public search's (`read_api.search.words`): a name is found as its key spells it."""
    return "-".join(search.words(text))[:KEY_MAX_LENGTH].rstrip("-")


def is_valid_key(key: str) -> bool:
    return bool(key) and len(key) <= KEY_MAX_LENGTH and bool(_KEY_RE.match(key))


def split_year_suffix(key: str) -> tuple[str, int | None]:
    """`wacken-2026` → (`wacken`, 2026); a key without a trailing year → (key, None)."""
    match = _YEAR_SUFFIX.match(key)
    return (match["base"], int(match["year"])) if match else (key, None)


def name_from_key(key: str) -> str:
    return " ".join(part.capitalize() for part in key.split("-"))


def compact(text: str) -> str:
    """Letters and digits only: `Septic Flesh`, `septicflesh` and `Septic-Flesh` compare equal."""
    return re.sub(r"[^a-z0-9]", "", anyascii(text or "").lower())


# --- Dates and prices -------------------------------------------------------------------------


def parse_date(value) -> date:
    """ISO dates (`2026-06-03`), also as the date part of an ISO timestamp. ValueError otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError("not a date")
    text = value.strip()
    try:
        return date.fromisoformat(text) if len(text) <= 10 else datetime.fromisoformat(text).date()
    except ValueError:
        raise ValueError("not a date") from None


_CURRENCY_SYMBOLS = {"€": "EUR", "£": "GBP", "$": "USD", "US$": "USD", "¥": "JPY", "CHF": "CHF"}
_PRICE_TEXT = re.compile(
    r"^(?P<pre>[A-Za-z]{3}|US\$|[€£$¥])?\s*(?P<amount>\d+(?:[.,]\d{1,2})?)\s*(?P<post>[A-Za-z]{3}|[€£$¥])?$"
)


def parse_price(value, currency_codes: frozenset[str]) -> tuple[Decimal | None, str | None]:
    """A legacy ticket price → (amount, currency or None when the value names none).

    Accepts a number, a numeric text with an optional currency code or symbol
    ("180", "€180", "180 EUR"), or {"amount": 180, "currency": "EUR"}. ValueError otherwise.
    """
    if value is None:
        return None, None
    currency = None
    if isinstance(value, dict):
        amount_value = value.get("amount", value.get("value"))
        currency = value.get("currency")
        if currency is not None and (not isinstance(currency, str) or currency.upper() not in currency_codes):
            raise ValueError(f"currency {currency!r} is not an ISO 4217 code")
        amount, inner_currency = parse_price(amount_value, currency_codes)
        if amount is None:
            raise ValueError("has no amount")
        return amount, (currency.upper() if currency else inner_currency)
    if isinstance(value, bool):
        raise ValueError("not a price")
    if isinstance(value, (int, float)):
        amount = Decimal(str(value))
    elif isinstance(value, str):
        text = value.strip()
        if not text:
            return None, None
        match = _PRICE_TEXT.match(text)
        if not match or (match["pre"] and match["post"]):
            raise ValueError("not a price")
        amount = Decimal(match["amount"].replace(",", "."))
        marker = match["pre"] or match["post"]
        if marker:
            currency = _CURRENCY_SYMBOLS.get(marker, marker.upper())
            if currency not in currency_codes:
                raise ValueError(f"currency {marker!r} is not an ISO 4217 code")
    else:
        raise ValueError("not a price")
    try:
        amount = amount.quantize(Decimal("0.01"))
    except InvalidOperation:
        raise ValueError("not a price") from None
    if amount < 0:
        raise ValueError("is negative")
    if amount >= Decimal("100000000"):
        raise ValueError("is too large")
    return amount, currency


# --- Countries and locations ------------------------------------------------------------------

COUNTRY_ALIASES = {
    "usa": "US", "u.s.a.": "US", "u.s.": "US", "united states": "US", "america": "US",
    "uk": "GB", "u.k.": "GB", "great britain": "GB", "britain": "GB",
    # the home nations keep their own (ISO 3166-2) codes: catalog/countries.py
    "england": "GB-ENG", "scotland": "GB-SCT", "wales": "GB-WLS", "northern ireland": "GB-NIR",
    "cymru": "GB-WLS", "alba": "GB-SCT",
    "the netherlands": "NL", "netherlands": "NL", "holland": "NL",
    "czech republic": "CZ", "czechia": "CZ", "russia": "RU", "south korea": "KR", "korea": "KR",
    "north korea": "KP", "iran": "IR", "syria": "SY", "vietnam": "VN", "taiwan": "TW", "bolivia": "BO",
    "venezuela": "VE", "tanzania": "TZ", "laos": "LA", "macedonia": "MK", "turkey": "TR", "türkiye": "TR",
    "ivory coast": "CI", "uae": "AE", "moldova": "MD",
}


def _country_index() -> dict[str, str]:
    """Folded names → codes: ISO's names, django-countries' (with the CLDR overrides), native names, aliases."""
    index: dict[str, str] = dict(NATIVE_NAMES)
    for country in pycountry.countries:
        for attr in ("name", "official_name", "common_name"):
            if getattr(country, attr, None):
                index[fold(getattr(country, attr))] = country.alpha_2
        index[country.alpha_3.casefold()] = country.alpha_2
    for code, name in countries:
        index[fold(str(name))] = code
        index[code.casefold()] = code
    index.update(COUNTRY_ALIASES)
    return index


def country_name(code: str) -> str:
    """The English name the public sees for a code (django-countries with catalog/countries.py's overrides)."""
    return str(countries.name(code)) if code else ""


_COUNTRIES: dict[str, str] | None = None


def country_code(text: str) -> str | None:
    """ISO 3166 alpha-2 code for a country name, code or known alias; None when unknown."""
    global _COUNTRIES
    if _COUNTRIES is None:
        _COUNTRIES = _country_index()
    key = fold(text).strip(" .")
    if key.startswith("the ") and key not in _COUNTRIES:
        key = key[4:]
    return _COUNTRIES.get(key)


@dataclass
class CountryMatch:
    code: str = ""
    problem: str = ""  # "" | "unknown" | "multiple"
    others: list[str] = field(default_factory=list)


def resolve_country(text: str) -> CountryMatch:
    """A country name → code. "Denmark/Faroe Islands" keeps the first country and says so."""
    text = clean_text(text)
    if not text:
        return CountryMatch()
    code = country_code(text)
    if code:
        return CountryMatch(code)
    parts = [p for p in re.split(r"\s*(?:/|,|&|\band\b)\s*", text) if p]
    codes = [c for c in (country_code(p) for p in parts) if c]
    if codes:
        return CountryMatch(codes[0], "multiple" if len(set(codes)) > 1 or len(parts) > len(codes) else "", codes[1:])
    return CountryMatch("", "unknown")


def split_location(text: str) -> tuple[str, str]:
    """"City, Country" → (city, country text). Without a comma, a country alone or a city alone."""
    text = clean_text(text)
    if "," in text:
        city, country = text.rsplit(",", 1)
        return city.strip(), country.strip()
    if text and country_code(text):
        return "", text
    return text, ""


# --- URLs -------------------------------------------------------------------------------------

_url_validator = URLValidator(schemes=["http", "https"])


def clean_url(value, max_length: int) -> tuple[str, str]:
    """(url, problem): a scheme-less `www.x.com` gains https://; anything else invalid is dropped."""
    text = clean_text(value)
    if not text:
        return "", ""
    if "://" not in text and re.match(r"^[\w-]+(\.[\w-]+)+(/|$)", text):
        text = "https://" + text
    if len(text) > max_length:
        return "", f"longer than {max_length} characters"
    try:
        _url_validator(text)
    except ValidationError:
        return "", "not a valid http(s) URL"
    return text, ""


# --- Roles and genres -------------------------------------------------------------------------


class Vocabulary:
    """Canonical keys, names and aliases of one kind (roles or genres), as the tables hold them."""

    def __init__(self, *, keys, names: dict[str, str], aliases: dict[str, list[str]]):
        self.keys = set(keys)
        self.names = {fold(name): key for name, key in names.items()}
        self.aliases = {fold(text): list(targets) for text, targets in aliases.items()}

    def lookup(self, text: str) -> list[str] | None:
        """The keys a text stands for; [] for an alias that deliberately maps to nothing; None if unknown."""
        folded = fold(text)
        if not folded:
            return None
        if folded in self.aliases:
            return self.aliases[folded]
        if folded in self.names:
            return [self.names[folded]]
        for key in (to_key(folded), to_key(term_name(text))):  # "Post Metal" → post-metal; "N.W.O.T.H.M." → nwothm
            if key in self.keys:
                return [key]
        return None

    def add(self, key: str, name: str) -> None:
        """A value created during this import (a new draft role or genre) resolves like the rest."""
        self.keys.add(key)
        self.names[fold(name)] = key


@dataclass
class Parsed:
    """What a text stands for, in the text's order: known keys and pieces that match nothing
    (cleaned for use as names), interleaved as they occur ("Tumur Khuur, Flute": the unknown first)."""

    items: list[tuple[str, str]] = field(default_factory=list)  # ("key", key) or ("unknown", text)

    @property
    def keys(self) -> list[str]:
        return [value for kind, value in self.items if kind == "key"]

    @keys.setter
    def keys(self, keys) -> None:
        self.items = [("unknown", u) for u in self.unknown] + [("key", k) for k in dict.fromkeys(keys)]

    @property
    def unknown(self) -> list[str]:
        return [value for kind, value in self.items if kind == "unknown"]

    def add_unknown(self, text: str) -> None:
        if ("unknown", text) not in self.items:
            self.items.append(("unknown", text))

    def extend(self, other: "Parsed") -> None:
        self.items += [item for item in other.items if item not in self.items]


_IGNORED_QUALIFIER = re.compile(r"^(live|session|touring|guest|former|current|.*\d.*|.*present.*)$", re.I)
_ROLE_PREFIXES = ("live ", "session ", "touring ", "additional ", "lead ", "main ", "co-", "solo ")
_JOINERS = re.compile(r"\s*(?:/|&|\+|\band\b)\s*", re.I)
_PAREN = re.compile(r"^(?P<outer>[^()]*?)\s*\((?P<inner>.*)\)\s*(?P<rest>[^()]*)$")


def split_top_level(text: str, separators: str = ",;") -> list[str]:
    """Split on separators that are not inside parentheses."""
    parts, depth, current = [], 0, []
    for char in text:
        depth += (char == "(") - (char == ")")
        if char in separators and depth <= 0:
            parts.append("".join(current))
            current = []
        else:
            current.append(char)
    parts.append("".join(current))
    return [p for p in (_tidy(p) for p in parts) if p]


def _tidy(piece: str) -> str:
    piece = clean_text(piece).strip(" .;:-–—")
    return re.sub(r"^(?:and|&)\s+", "", piece, flags=re.I)


def _display_name(piece: str) -> str:
    return piece if piece != piece.lower() else piece.title()


def parse_roles(text: str, vocabulary: Vocabulary) -> Parsed:
    """Free-text roles → canonical role keys, splitting combined values.

    "Vocals, Guitar", "Guitar/Vocals", "Bass & Backing Vocals", "Guitars (Lead)",
    "Su-Metal (Lead Vocals, Dancing)", "Drums (1995–1999, 2014–Present)" all resolve.
    Pieces that match nothing come back in `unknown`.
    """
    result = Parsed()
    text = clean_text(text)
    if not text:
        return result
    whole = vocabulary.lookup(text)
    if whole is not None:
        result.keys = list(dict.fromkeys(whole))
        return result
    for piece in split_top_level(text):
        result.extend(_role_piece(piece, vocabulary))
    return result


def _known_role(piece: str, vocabulary: Vocabulary) -> list[str] | None:
    found = vocabulary.lookup(piece)
    if found is not None:
        return found
    lowered = piece.lower()
    for prefix in _ROLE_PREFIXES:
        if lowered.startswith(prefix) and len(piece) > len(prefix):
            found = vocabulary.lookup(piece[len(prefix):])
            if found is not None:
                return found
    return None


def _role_piece(piece: str, vocabulary: Vocabulary) -> Parsed:
    result = Parsed()
    if junk_reason(piece, length=False):  # "N/A" is not the roles "N" and "A"
        result.add_unknown(piece)
        return result
    match = _PAREN.match(piece)
    if match:
        outer = _tidy(f"{match['outer']} {match['rest']}")
        inner = _tidy(match["inner"])
        if _IGNORED_QUALIFIER.match(inner) or not inner:
            return _role_piece(outer, vocabulary) if outer else result
        combined = vocabulary.lookup(f"{inner} {outer}")  # "Guitars (Lead)" → "Lead Guitars"
        if combined is not None:
            result.keys = combined
            return result
        outer_keys = _known_role(outer, vocabulary) if outer else None
        inner_parsed = parse_roles(inner, vocabulary)
        if outer_keys is not None:
            result.keys = list(outer_keys)
            if not inner_parsed.unknown:
                result.extend(inner_parsed)
            return result
        if inner_parsed.keys and not inner_parsed.unknown:  # a stage name with its roles: "The Tribune (Vocals)"
            return inner_parsed
    known = _known_role(piece, vocabulary)
    if known is not None:
        result.keys = list(known)
        return result
    parts = [p for p in (_tidy(p) for p in _JOINERS.split(piece)) if p]
    if len(parts) > 1:
        for part in parts:
            result.extend(_role_piece(part, vocabulary))
        return result
    result.add_unknown(_display_name(piece))
    return result


def parse_genre(text: str, vocabulary: Vocabulary) -> Parsed:
    """A free-text genre → canonical keys. "Thrash/Groove Metal" splits; "Drum And Bass" does not."""
    result = Parsed()
    text = clean_text(text)
    if not text:
        return result
    found = vocabulary.lookup(text)
    if found is not None:
        result.keys = list(found)
        return result
    if junk_reason(text, length=False):  # a link is not the genres "https:" and "example.org"
        result.add_unknown(text)
        return result
    parts = [p for p in (_tidy(p) for p in re.split(r"\s*[/,;]\s*", text)) if p]
    if len(parts) > 1:
        for part in parts:
            result.extend(parse_genre(part, vocabulary))
        return result
    result.add_unknown(_display_name(text))
    return result


_PLACEHOLDER_TERMS = frozenset({
    "?", "??", "???", "-", "--", "n/a", "na", "n.a.", "none", "null", "nil", "undefined", "unknown", "tba", "tbd",
    "tbc", "todo", "test", "xxx", "other", "others", "misc", "various", "etc", "...", "…",
})
TERM_MAX_LENGTH = 60  # a longer "genre" or "role" is a sentence, not a term


def junk_reason(text: str, *, length: bool = True) -> str:
    """Why a genre or role text is clearly not one ("" when it may be one): empty, a placeholder, junk.
    `length=False` before a text is split ("Vocals, Guitar, Bass, …" may be long and still all roles)."""
    text = clean_text(text)
    if not text:
        return "empty"
    if fold(text).strip(" .") in _PLACEHOLDER_TERMS or fold(text) in _PLACEHOLDER_TERMS:
        return "a placeholder, not a value"
    if not re.search(r"[^\W\d_]", text):
        return "no letters"
    if re.search(r"https?://|www\.|@|\.(?:com|org|net)\b", text, re.I):
        return "a link or an address, not a value"
    if length and len(text) > TERM_MAX_LENGTH:
        return f"longer than {TERM_MAX_LENGTH} characters: a sentence, not a value"
    return ""


_DOTTED_ACRONYM = re.compile(r"^(?:[A-Za-z]\.){2,}[A-Za-z]?\.?$")


def term_name(text: str) -> str:
    """The display name of a new genre or role: "n.w.o.t.h.m." → "NWOTHM", "death polka" → "Death Polka"."""
    text = clean_text(text)
    if _DOTTED_ACRONYM.match(text):
        return text.replace(".", "").upper()
    return _display_name(text)


# --- People -------------------------------------------------------------------------------------

_QUOTED = re.compile(r"[\"“”„«»]([^\"“”„«»]+)[\"“”„«»]|'([^']+)'(?=\s|$)")


def person_forms(name: str) -> set[str]:
    """The ways one person's name may be written, compacted: 'Noah "Wuv" Bernardo' has the forms
    noahwuvbernardo and wuvbernardo, so "Wuv Bernardo" is the same person. Not "Noah Bernardo":
    'Michael "Bodenski" Simon' and 'Michael "Simon" Simon' are two people (that pair is only reported)."""
    name = clean_text(name)
    forms = {compact(name)}
    match = _QUOTED.search(name)
    if match:
        nickname = (match[1] or match[2]).strip()
        without = clean_text(name[:match.start()] + " " + name[match.end():])
        parts = without.split()
        if len(parts) > 1:
            forms.add(compact(f"{nickname} {parts[-1]}"))  # the nickname with the family name
        else:
            forms.add(compact(f"{nickname} {without}"))
    return {f for f in forms if f}


def similar_names(a: str, b: str) -> bool:
    """Two member names close enough to be worth an editor's look (a typo apart), though not merged."""
    from difflib import SequenceMatcher

    x, y = compact(a), compact(b)
    if not x or not y or x == y:
        return False
    return SequenceMatcher(None, x, y).ratio() >= 0.85 or (len(x) > 4 and len(y) > 4 and (x in y or y in x))


_CATEGORY_HINTS = (
    (RoleCategory.VOICE, ("vocal", "sing", "voice", "scream", "growl", "rap", "choir")),
    (RoleCategory.PERCUSSION, ("drum", "percussion", "taiko", "tabla", "cymbal")),
    (RoleCategory.ELECTRONICS, ("dj", "sampl", "program", "electronic", "turntabl", "beat", "laptop")),
    (RoleCategory.KEYS, ("key", "piano", "organ", "synth", "accordion", "harpsichord")),
    (RoleCategory.STRING, ("guitar", "bass", "violin", "viol", "cello", "harp", "lute", "mandolin", "bouzouki",
                           "khuur", "string", "banjo", "lyre", "zither", "sitar", "ukulele", "fiddle", "gurdy")),
)


def guess_role_category(name: str) -> str:
    """A category for a role the mapping does not know, from words in its name; `other` if none fits."""
    lowered = name.lower()
    for category, hints in _CATEGORY_HINTS:
        if any(hint in lowered for hint in hints):
            return category
    return RoleCategory.OTHER
