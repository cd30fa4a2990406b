"""The one parser and formatter of money amounts.

Amounts travel as strings at the API edge with exactly their currency's digits ("1200.00" USD, "1200" JPY, "1.250"
KWD; ledger.currencies), as `Decimal` in Python and as integer minor units in the database and in Go. Floats never
appear: a JSON number is refused rather than guessed at. `digits` defaults to 2, the digits of every amount stored
before currencies existed.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError

from ledger import error_codes

MAX_INTEGER_DIGITS = 12
# The most one user's amounts may add up to (income and expense together): 10,000,000,000,000,000.00. Far past any
# household or company ledger, and under int64's 9.2e18 minor units with room to spare, so every balance, monthly
# total and rollup stays exact in SQLite, PostgreSQL and Go. See ledger.models.BalanceVersion.
MAX_VOLUME_MINOR = 10**18


class VolumeLimitExceeded(Exception):
    """A write would take the user's volume past MAX_VOLUME_MINOR."""

    def __init__(self, volume_change: int) -> None:
        super().__init__(f"adding {volume_change} minor units would pass the volume limit")
        self.volume_change = volume_change


def volume_limit_error(field: str) -> ValidationError:
    return _invalid(
        field,
        f"This would take the total of your recorded amounts past {format_amount(from_minor(MAX_VOLUME_MINOR))}, "
        "the most this ledger sums exactly. Nothing was written.",
        code=error_codes.VOLUME_LIMIT_EXCEEDED,
    )


_AMOUNT_PATTERN = re.compile(rf"(-?)([0-9]{{1,{MAX_INTEGER_DIGITS}}})(?:\.([0-9]+))?")


def parse_amount(raw: object, *, field: str = "amount", digits: int = 2, signed: bool = False) -> Decimal:
    """Parse an amount with at most `digits` decimals and 12 integer digits, e.g. "12.5" -> Decimal("12.50").

    Positive unless `signed` (then any sign and zero too, as for an opening balance). Raises ValidationError({field:
    ...}) with code INVALID_AMOUNT for anything else: numbers (JSON floats are inexact, so only strings are
    accepted), a sign where none is allowed, exponents, NaN/Infinity, separators, zero, too many digits.
    """
    decimals = _decimals_phrase(digits)
    if not isinstance(raw, str):
        raise _invalid(field, f'Amounts are strings with {decimals}, e.g. "{_example(digits)}", not numbers.')
    text = raw.strip()
    match = _AMOUNT_PATTERN.fullmatch(text)
    if not match or (match.group(1) and not signed):
        raise _invalid(
            field,
            f'"{raw[:40]}" is not a valid amount: use digits with {decimals}, e.g. "{_example(digits)}" '
            f"(up to {MAX_INTEGER_DIGITS} digits before the point{'' if signed else ', no sign'}).",
        )
    if len(match.group(3) or "") > digits:
        raise _invalid(field, f'"{raw[:40]}" has more decimals than its currency has: use {decimals}.')
    amount = Decimal(text).quantize(Decimal(1).scaleb(-digits))
    if amount <= 0 and not signed:
        raise _invalid(field, "The amount must be greater than zero.")
    return amount + 0  # "-0" -> "0"


def parse_minor(raw: object, *, field: str = "amount", digits: int, signed: bool = False) -> int:
    """parse_amount, as integer minor units of a currency with `digits` decimals: what every write stores."""
    return to_minor(parse_amount(raw, field=field, digits=digits, signed=signed), digits)


def to_minor(amount: Decimal, digits: int = 2) -> int:
    """Decimal("12.34") -> 1234 (two digits). The amount must already have at most `digits` decimals."""
    minor = amount.scaleb(digits)
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} has more than {digits} decimals")
    return int(minor)


def from_minor(minor: int, digits: int = 2) -> Decimal:
    """1234 -> Decimal("12.34") (two digits), 1200 -> Decimal("1200") (none): always exactly `digits` decimals."""
    return Decimal(minor).scaleb(-digits)


def format_amount(amount: Decimal, digits: int = 2) -> str:
    """Decimal -> "1234.50": fixed point, exactly `digits` decimals, never an exponent."""
    return f"{amount.quantize(Decimal(1).scaleb(-digits)):f}"


def _decimals_phrase(digits: int) -> str:
    return "no decimals" if digits == 0 else f"at most {digits} decimal{'s' if digits > 1 else ''}"


def _example(digits: int) -> str:
    return "12" if digits == 0 else "12." + "50"[:digits].ljust(digits, "0")


def _invalid(field: str, message: str, code: str = error_codes.INVALID_AMOUNT) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})
