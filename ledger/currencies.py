"""ISO 4217 currencies and their minor-unit digits, from ISO's own published table (the `iso4217` package).

A currency's digits scale every amount of an account in it: amounts are stored as integer minor units and travel
as strings with exactly that many decimals ("1200" JPY, "12.50" USD, "1.250" KWD). Codes without minor units in the
table (funds, precious metals, XXX/XTS) are not currencies an account can hold.
"""

from django.conf import settings
from iso4217 import Currency

from ledger import error_codes
from ledger.validation import invalid

DIGITS: dict[str, int] = {currency.code: currency.exponent for currency in Currency if currency.exponent is not None}
MAX_DIGITS = max(DIGITS.values())  # 4 (CLF, UYW): the most decimals an amount in any currency carries


def parse_currency(raw: object, *, field: str = "currency") -> str:
    """An ISO 4217 code in any case ("usd" -> "USD"), or ValidationError INVALID_CURRENCY."""
    code = raw.strip().upper() if isinstance(raw, str) else None
    if code not in DIGITS:
        shown = raw[:20] if isinstance(raw, str) else raw
        raise invalid(
            field,
            f'"{shown}" is not an ISO 4217 currency code (e.g. "USD", "EUR", "JPY").',
            error_codes.INVALID_CURRENCY,
        )
    return code


def currency_digits(code: str) -> int:
    """Decimal places of the currency's minor unit: 2 for USD, 0 for JPY, 3 for KWD."""
    return DIGITS[code]


def default_currency() -> str:
    return settings.DEFAULT_CURRENCY
