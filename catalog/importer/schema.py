"""The structure of a legacy `db.json`: load it, and check shapes and types before anything is written.

Every problem is reported with the path of the record and field
(`festivals[3].dates.start: "2026-13-01" is not a date`), so an operator can fix the
file. Content problems that the import can cope with (unknown countries, missing
keys, free text) are not errors here: the service reports them as warnings.
"""

import json
from pathlib import Path

from catalog import limits
from catalog.currencies import CURRENCY_CODES

from .normalize import parse_date, parse_price

MAX_ERRORS = 50

FESTIVAL_FIELDS = frozenset({
    "key", "name", "dates", "location", "city", "country", "coordinates", "poster", "website",
    "description", "bands", "ticketPrice", "currency",
})
BAND_FIELDS = frozenset({
    "key", "name", "country", "description", "logo", "headlineImage", "website", "spotify", "genres",
    "members", "reviewed",
})
LINEUP_FIELDS = frozenset({"key", "name", "size"})
MEMBER_FIELDS = frozenset({"name", "role", "roles"})


class ImportFileError(Exception):
    """The file cannot be imported as it is; `errors` name each record and field at fault."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        shown = errors[:MAX_ERRORS]
        more = f"\n  … and {len(errors) - len(shown)} more" if len(errors) > len(shown) else ""
        super().__init__(
            f"The legacy file is malformed ({len(errors)} problem{'s' if len(errors) != 1 else ''}); nothing was "
            "imported:\n  " + "\n  ".join(shown) + more
        )


def load_legacy_file(path) -> object:
    """Read and parse the JSON file; ImportFileError says where it is broken."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ImportFileError([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFileError([f"{path}: cannot be read ({exc})"]) from None
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise ImportFileError([f"{path}: not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"]) from None
    except RecursionError:
        raise ImportFileError([f"{path}: not valid JSON: nested too deeply to read"]) from None
    except ValueError as exc:  # a number too long to convert (Python's 4,300-digit limit), NaN / Infinity
        raise ImportFileError([f"{path}: not valid JSON: {str(exc).split(';')[0]}"]) from None


def _refuse_constant(name: str):
    """JSON has no NaN or Infinity; Python's decoder accepts them unless told otherwise."""
    raise ValueError(f"{name} is not a JSON number")


def _show(value) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "…"


_TYPE_NAMES = {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "a number",
               float: "a number", type(None): "null"}


def _type_name(value) -> str:
    return _TYPE_NAMES.get(type(value), type(value).__name__)


class _Checker:
    def __init__(self):
        self.errors: list[str] = []

    def error(self, path: str, message: str, label: str = "") -> None:
        self.errors.append(f"{path}: {message}" + (f" ({label})" if label else ""))

    def expect(self, value, kinds: tuple, path: str, wanted: str, label: str = "", *, optional=True) -> bool:
        """True when `value` has one of the types (bool never counts as a number); records the error if not."""
        if value is None and optional:
            return False
        if isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds):
            return True
        self.error(path, f"expected {wanted}, got {_type_name(value)} {_show(value)}", label)
        return False

    def text_fields(self, record: dict, names, path: str, label: str) -> None:
        for name in names:
            if name in record:
                if self.expect(record[name], (str,), f"{path}.{name}", "a string", label):
                    for field, message in limits.text_errors({name: record[name]}).items():
                        self.error(f"{path}.{field}", message, label)

    def objects(self, value, path: str, label: str):
        """The (path, entry) pairs of an optional list of objects, in order; what is not an object is recorded."""
        if not self.expect(value, (list,), path, "a list", label):
            return
        for index, entry in enumerate(value):
            entry_path = f"{path}[{index}]"
            if self.expect(entry, (dict,), entry_path, "an object", label, optional=False):
                yield entry_path, entry

    def strings(self, value, path: str, label: str) -> None:
        """An optional list of strings."""
        if self.expect(value, (list,), path, "a list of strings", label):
            for index, item in enumerate(value):
                self.expect(item, (str,), f"{path}[{index}]", "a string", label, optional=False)


def _label(kind: str, record: dict) -> str:
    for field in ("key", "name"):
        if isinstance(record.get(field), str) and record[field].strip():
            return f'{kind} "{record[field].strip()}"'
    return ""


def validate(data) -> None:
    """Raise ImportFileError listing every structural problem of a parsed legacy file."""
    check = _Checker()
    if not isinstance(data, dict):
        check.error("(top level)", f'expected an object with "festivals" and "bands" lists, got {_type_name(data)}')
        raise ImportFileError(check.errors)
    if "festivals" not in data and "bands" not in data:
        check.error("(top level)", 'expected "festivals" and "bands" lists, found neither')
    for section, validate_record in (("festivals", _festival), ("bands", _band)):
        records = data.get(section)
        if records is None or not check.expect(records, (list,), section, "a list"):
            continue
        for index, record in enumerate(records):
            path = f"{section}[{index}]"
            if check.expect(record, (dict,), path, "an object", optional=False):
                validate_record(check, record, path)
    if check.errors:
        raise ImportFileError(check.errors)


def _festival(check: _Checker, record: dict, path: str) -> None:
    label = _label("festival", record)
    check.text_fields(record, ("key", "name", "location", "city", "country", "poster", "website", "description"),
                      path, label)
    dates = record.get("dates")
    if check.expect(dates, (dict,), f"{path}.dates", "an object with start and end", label):
        parsed = {}
        for end in ("start", "end"):
            value = dates.get(end)
            try:
                parsed[end] = parse_date(value)
            except ValueError:
                shown = "missing" if end not in dates else f"{_show(value)} is not a date (expected YYYY-MM-DD)"
                check.error(f"{path}.dates.{end}", shown, label)
        if len(parsed) == 2 and parsed["end"] < parsed["start"]:
            check.error(f"{path}.dates.end", f'"{parsed["end"]}" is before the start "{parsed["start"]}"', label)
    coordinates = record.get("coordinates")
    if check.expect(coordinates, (dict,), f"{path}.coordinates", "an object with lat and lng", label):
        for axis, limit in (("lat", 90), ("lng", 180)):
            value = coordinates.get(axis)
            if check.expect(value, (int, float), f"{path}.coordinates.{axis}", "a number", label, optional=False):
                if not -limit <= value <= limit:
                    check.error(f"{path}.coordinates.{axis}", f"{value} is out of range (±{limit})", label)
    if record.get("currency") is not None and check.expect(record["currency"], (str,), f"{path}.currency",
                                                           "a currency code", label):
        if record["currency"].strip().upper() not in CURRENCY_CODES:
            check.error(f"{path}.currency", f"{_show(record['currency'])} is not an ISO 4217 currency code", label)
    if "ticketPrice" in record:
        try:
            parse_price(record["ticketPrice"], CURRENCY_CODES)
        except ValueError as exc:
            check.error(f"{path}.ticketPrice", f"{_show(record['ticketPrice'])} {exc}", label)
    for entry_path, entry in check.objects(record.get("bands"), f"{path}.bands", label):
        check.text_fields(entry, ("key", "name"), entry_path, label)
        size = entry.get("size")
        if check.expect(size, (int,), f"{entry_path}.size", "a billing size 0–3", label) and not 0 <= size <= 3:
            check.error(f"{entry_path}.size", f"{size} is not a billing size (0–3)", label)


def _band(check: _Checker, record: dict, path: str) -> None:
    label = _label("band", record)
    check.text_fields(record, ("key", "name", "country", "description", "logo", "headlineImage", "website", "spotify"),
                      path, label)
    check.expect(record.get("reviewed"), (bool,), f"{path}.reviewed", "true or false", label)
    check.strings(record.get("genres"), f"{path}.genres", label)
    for member_path, member in check.objects(record.get("members"), f"{path}.members", label):
        check.text_fields(member, ("name", "role"), member_path, label)
        check.strings(member.get("roles"), f"{member_path}.roles", label)
