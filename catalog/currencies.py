"""ISO 4217 currency codes with their names, from pycountry (no list of our own)."""

import pycountry

CURRENCY_CHOICES = sorted(
    ((c.alpha_3, f"{c.alpha_3} · {c.name}") for c in pycountry.currencies), key=lambda choice: choice[0]
)
CURRENCY_CODES = frozenset(code for code, _ in CURRENCY_CHOICES)


def currency_name(code: str) -> str:
    currency = pycountry.currencies.get(alpha_3=code)
    return currency.name if currency else code
