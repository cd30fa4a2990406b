"""Scalars whose parsing belongs to the domain.

`Decimal` and `Date` pass client input through untouched: `ledger.money` and `ledger.validation` parse it, so a
bad amount or date becomes a typed payload error (field, message, code) instead of a bare coercion error.
"""

import datetime
from decimal import Decimal as PyDecimal
from typing import NewType

import strawberry
from graphql import StringValueNode, ValueNode

from ledger.currencies import currency_digits
from ledger.money import from_minor


class NumberLiteral:
    """A numeric literal written in a query (`amount: 12.5`); kept distinct so the money parser can refuse it."""

    def __init__(self, text: str) -> None:
        self.text = text


def _parse_literal(node: ValueNode, variables: dict | None = None) -> object:
    if isinstance(node, StringValueNode):
        return node.value
    return NumberLiteral(getattr(node, "value", ""))


def money(minor: int, currency: str) -> PyDecimal:
    """Minor units of `currency` as the `Decimal` scalar's value: exactly the currency's digits."""
    return from_minor(minor, currency_digits(currency))


def _serialize_money(value: PyDecimal) -> str:
    # Every amount leaves through money() (ledger.money.from_minor), whose exponent is the currency's digits:
    # fixed-point formatting keeps exactly those ("1200" JPY, "12.50" USD, "1.250" KWD) and never writes an exponent.
    return f"{value:f}"


def _serialize_date(value: datetime.date) -> str:
    return value.isoformat()


Money = NewType("Money", object)
Day = NewType("Day", object)

SCALAR_MAP = {
    Money: strawberry.scalar(
        name="Decimal",
        description='An exact amount as a JSON string with exactly its currency\'s digits: two for most ("1200.00"), '
        'none for JPY ("1200"), three for KWD ("1.250"); signed only where a field says so. Never a JSON number: '
        "input is a string too, with at most the currency's digits.",
        serialize=_serialize_money,
        parse_value=lambda value: value,
        parse_literal=_parse_literal,
    ),
    Day: strawberry.scalar(
        name="Date",
        description='A calendar date, "YYYY-MM-DD".',
        serialize=_serialize_date,
        parse_value=lambda value: value,
        parse_literal=_parse_literal,
    ),
}
