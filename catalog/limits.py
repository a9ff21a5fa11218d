"""The public tier's size limits, checked where data is entered (admin form, admin API, importer).

DynamoDB refuses an item above 400 KB, and a record's text is copied into several public
items (a genre's description into every band of that genre), so free text is capped well
below that. Whatever still exceeds the item limit is refused by the publisher for that
record alone (`publishing.writer.ITEM_MAX_BYTES`), never for the records published with it.
"""

from django.core.exceptions import ValidationError

DYNAMODB_ITEM_MAX_BYTES = 400 * 1024
# 10,000 characters (at most 40 KB of UTF-8): room for a band's own text, its genres' and
# its members' in one item.
DESCRIPTION_MAX_CHARS = 10_000

# Field name → longest value accepted, in characters (model field names and import file names alike).
TEXT_MAX_CHARS = {"description": DESCRIPTION_MAX_CHARS}


def limit_message(field: str) -> str:
    """The rule, as a form or API error states it."""
    return (f"The public site accepts at most {TEXT_MAX_CHARS[field]:,} characters of {field} "
            "(a published record must fit DynamoDB's 400 KB item limit).")


def too_long_message(field: str, length: int) -> str:
    return f"The {field} is {length:,} characters long. {limit_message(field)}"


def text_errors(values: dict) -> dict[str, str]:
    """Field → message for every capped text field in `values` that is over its limit."""
    return {
        field: too_long_message(field, len(value))
        for field, value in values.items()
        if field in TEXT_MAX_CHARS and isinstance(value, str) and len(value) > TEXT_MAX_CHARS[field]
    }


def check_record(record) -> None:
    """Raise a ValidationError naming each field of `record` over its limit (called from `Model.clean`)."""
    errors = text_errors({field: getattr(record, field, None) for field in TEXT_MAX_CHARS})
    if errors:
        raise ValidationError(errors)
