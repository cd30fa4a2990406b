from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from ledger.money import format_amount, from_minor, parse_amount, to_minor


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", Decimal("12.00")),
        ("12.5", Decimal("12.50")),
        ("0.01", Decimal("0.01")),
        (" 7.25 ", Decimal("7.25")),
        ("000100.10", Decimal("100.10")),
        ("999999999999.99", Decimal("999999999999.99")),
    ],
)
def test_valid_amounts_parse_exactly(raw: str, expected: Decimal) -> None:
    assert parse_amount(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "0",
        "0.00",
        "-5",
        "+5",
        "1.234",
        "1e3",
        "1E3",
        "NaN",
        "nan",
        "Infinity",
        "-Infinity",
        "inf",
        "",
        " ",
        "1,000.00",
        "12.",
        ".5",
        "1 000",
        "1000000000000",
        "0x10",
        "١٢",  # Arabic-Indic digits
        12.5,
        12,
        None,
        True,
        [],
        {},
    ],
)
def test_invalid_amounts_are_refused_with_a_code(raw: object) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_amount(raw)
    [error] = caught.value.error_dict["amount"]
    assert error.code == "INVALID_AMOUNT"


def test_minor_units_round_trip_without_floats() -> None:
    assert to_minor(Decimal("0.10")) + to_minor(Decimal("0.20")) == to_minor(Decimal("0.30"))
    assert to_minor(Decimal("999999999999.99")) == 99999999999999
    assert from_minor(99999999999999) == Decimal("999999999999.99")
    assert format_amount(from_minor(5)) == "0.05"
    assert format_amount(from_minor(-1234)) == "-12.34"
    assert format_amount(from_minor(10**18)) == "10000000000000000.00"


def test_format_never_uses_an_exponent() -> None:
    assert format_amount(Decimal("1E+3")) == "1000.00"
    assert format_amount(Decimal("0E-10")) == "0.00"


def test_to_minor_refuses_sub_cent_values() -> None:
    with pytest.raises(ValueError):
        to_minor(Decimal("0.001"))
