"""The one parser and formatter of money amounts.

Amounts travel as strings ("1200.00") at the API edge, as `Decimal` in Python and as integer minor units (cents)
in the database and in Go. Floats never appear: a JSON number is refused rather than guessed at.
"""

import re
from decimal import Decimal

from django.core.exceptions import ValidationError

from ledger import error_codes

MAX_INTEGER_DIGITS = 12
CENT = Decimal("0.01")
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


_AMOUNT_PATTERN = re.compile(rf"[0-9]{{1,{MAX_INTEGER_DIGITS}}}(?:\.[0-9]{{1,2}})?")


def parse_amount(raw: object, *, field: str = "amount") -> Decimal:
    """Parse a positive amount with at most two decimals and 12 integer digits, e.g. "12.5" -> Decimal("12.50").

    Raises ValidationError({field: ...}) with code INVALID_AMOUNT for anything else: numbers (JSON floats are
    inexact, so only strings are accepted), signs, exponents, NaN/Infinity, separators, zero, too many digits.
    """
    if not isinstance(raw, str):
        raise _invalid(field, 'Amounts are strings with up to two decimals, e.g. "12.50", not numbers.')
    text = raw.strip()
    if not _AMOUNT_PATTERN.fullmatch(text):
        raise _invalid(
            field,
            f'"{raw[:40]}" is not a valid amount: use digits with at most two decimals, e.g. "12.50" '
            f"(up to {MAX_INTEGER_DIGITS} digits before the point).",
        )
    amount = Decimal(text).quantize(CENT)
    if amount <= 0:
        raise _invalid(field, "The amount must be greater than zero.")
    return amount


def to_minor(amount: Decimal) -> int:
    """Decimal("12.34") -> 1234. The amount must already have at most two decimals."""
    minor = amount * 100
    if minor != minor.to_integral_value():
        raise ValueError(f"{amount} has more than two decimals")
    return int(minor)


def from_minor(minor: int) -> Decimal:
    """1234 -> Decimal("12.34"); always exactly two decimals."""
    return Decimal(minor).scaleb(-2)


def format_amount(amount: Decimal) -> str:
    """Decimal -> "1234.50": fixed point, exactly two decimals, never an exponent."""
    return f"{amount.quantize(CENT):f}"


def _invalid(field: str, message: str, code: str = error_codes.INVALID_AMOUNT) -> ValidationError:
    return ValidationError({field: ValidationError(message, code=code)})
