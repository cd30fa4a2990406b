"""The one place that knows the CSV shape of imports and exports (the common bank-export shape).

    date,description,amount,type,category
    2026-01-31,ACME payroll,3000.00,income,Salary
    2026-02-01,Rent February,-1200.00,expense,Rent

- Headers are matched case-insensitively, with common bank spellings (`memo`/`payee` for the description, ...);
  extra columns are ignored. `date` and `amount` are required, the others optional.
- The direction comes from the `type` column (income/credit/deposit, expense/debit/withdrawal) when there is one,
  else from the amount's sign (negative = expense). A signed amount and a type may both be given if they agree.
- Amounts go through `ledger.money.parse_amount` as strings (never `float`); dates are strict `YYYY-MM-DD`.
- Text cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) are exported behind an
  apostrophe, which import takes off again: an exported file re-imports to exactly the same values.
- Row numbers count the header as row 1 and blank lines too, as a text editor or spreadsheet shows them.

Reading is incremental: `read_rows` pulls one line at a time from any iterable of text lines.
"""

import csv
import datetime
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from ledger import error_codes
from ledger.models import DEFAULT_CATEGORY, TransactionType
from ledger.money import format_amount, from_minor, parse_amount, to_minor
from ledger.validation import clean_text, invalid, parse_transaction_date

EXPORT_HEADER = ("date", "description", "amount", "type", "category")

# Each canonical column and the header spellings accepted for it, in order of preference.
_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "transaction date", "booking date", "posting date", "posted date", "value date"),
    "description": ("description", "memo", "payee", "details", "narrative", "name", "reference"),
    "amount": ("amount", "value", "transaction amount"),
    "type": ("type", "transaction type", "direction", "credit/debit", "debit/credit"),
    "category": ("category",),
}
_REQUIRED = ("date", "amount")
# What makes a spreadsheet treat a cell as a formula (or, for tab and carriage return, hide one).
_FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_TYPE_WORDS = {
    "income": TransactionType.INCOME.value,
    "credit": TransactionType.INCOME.value,
    "cr": TransactionType.INCOME.value,
    "deposit": TransactionType.INCOME.value,
    "in": TransactionType.INCOME.value,
    "expense": TransactionType.EXPENSE.value,
    "debit": TransactionType.EXPENSE.value,
    "dr": TransactionType.EXPENSE.value,
    "withdrawal": TransactionType.EXPENSE.value,
    "out": TransactionType.EXPENSE.value,
}


@dataclass(frozen=True)
class CsvRow:
    """One valid row, ready to store."""

    row: int
    date: datetime.date
    description: str
    amount_minor: int
    type: str
    category: str

    def content_digest(self) -> bytes:
        """Identity of the row's values (not its spelling): equal rows of any two files share it."""
        text = "\x1f".join((self.date.isoformat(), self.type, str(self.amount_minor), self.category, self.description))
        return hashlib.sha256(text.encode("utf-8")).digest()


@dataclass(frozen=True)
class RowError:
    """Why a row (or, with `column` None, the file) was refused."""

    row: int | None
    column: str | None
    message: str
    code: str


def read_rows(lines: Iterable[str]) -> Iterator[CsvRow | RowError]:
    """Parse CSV text lines into rows and row errors, one record at a time.

    A problem with the file as a whole (no header, missing required columns, broken quoting, undecodable bytes)
    is yielded as a RowError and ends the reading.
    """
    reader = csv.reader(iter(lines), strict=True)
    previous_line = 0
    try:
        header = next(reader, None)
    except (csv.Error, UnicodeDecodeError) as error:
        yield RowError(1, None, f"Row 1: not readable as CSV ({error}).", error_codes.INVALID_CSV)
        return
    if header is None:
        yield RowError(
            None,
            None,
            "The file is empty: expected a header row such as date,description,amount.",
            error_codes.INVALID_CSV,
        )
        return
    columns = _map_header(header)
    missing = [name for name in _REQUIRED if name not in columns]
    if missing:
        yield RowError(
            1,
            None,
            f"The header row has no {' or '.join(missing)} column (found: {_shown_header(header)}).",
            error_codes.INVALID_CSV,
        )
        return
    previous_line = reader.line_num
    while True:
        try:
            record = next(reader, None)
        except (csv.Error, UnicodeDecodeError) as error:
            yield RowError(
                previous_line + 1,
                None,
                f"Row {previous_line + 1}: not readable as CSV ({error}).",
                error_codes.INVALID_CSV,
            )
            return
        if record is None:
            return
        row = previous_line + 1  # where the record starts, even when a quoted field spans lines
        previous_line = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue  # blank lines are allowed (and still counted)
        if len(record) != len(header):
            yield RowError(
                row,
                None,
                f"Row {row}: expected {len(header)} fields like the header, got {len(record)}.",
                error_codes.INVALID_CSV,
            )
            continue
        yield from _parse_record(row, {name: record[index] for name, index in columns.items()})


def write_rows(rows: Iterable[tuple[datetime.date, str, int, str, str]]) -> Iterator[str]:
    """CSV text lines (header first) for (date, description, amount_minor, type, category) tuples: the amount is
    signed (negative = expense) with exactly two decimals, so the output reads back through `read_rows` exactly."""
    buffer = _LineBuffer()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_HEADER)
    yield buffer.take()
    for day, description, amount_minor, txn_type, category in rows:
        sign = "-" if txn_type == TransactionType.EXPENSE.value else ""
        writer.writerow(
            (
                day.isoformat(),
                _escape_formula(description),
                sign + format_amount(from_minor(amount_minor)),
                txn_type,
                _escape_formula(category),
            )
        )
        yield buffer.take()


def _escape_formula(text: str) -> str:
    """Neutralise a text cell a spreadsheet would run as a formula (OWASP "CSV injection"): a leading apostrophe
    makes it text. Apostrophes already in front of a trigger get one more, so `_unescape_formula` restores every
    value exactly; other text, and amounts (numbers), are never touched."""
    return "'" + text if text.lstrip("'").startswith(_FORMULA_TRIGGERS) else text


def _unescape_formula(text: str) -> str:
    """The inverse of `_escape_formula` on import."""
    return text[1:] if text.startswith("'") and text.lstrip("'").startswith(_FORMULA_TRIGGERS) else text


def _shown_header(header: list[str]) -> str:
    return ", ".join(cell.strip() for cell in header)[:200]


def _map_header(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    for index, cell in enumerate(header):
        name = cell.strip().lstrip("\ufeff").strip().lower()
        positions.setdefault(name, index)
    columns = {}
    for canonical, aliases in _HEADER_ALIASES.items():
        for alias in aliases:
            if alias in positions:
                columns[canonical] = positions[alias]
                break
    return columns


def _parse_record(row: int, cells: dict[str, str]) -> Iterator[CsvRow | RowError]:
    values: dict[str, object] = {}
    problems: list[RowError] = []

    def attempt(column: str, parse) -> None:
        try:
            values[column] = parse()
        except ValidationError as error:
            for items in error.message_dict.values():
                for message in items:
                    problems.append(RowError(row, column, f"Row {row}, {column}: {message}", _code_of(error)))

    attempt("date", lambda: parse_transaction_date(cells["date"].strip()))
    attempt("amount", lambda: _parse_signed_amount(cells["amount"]))
    attempt("type", lambda: _parse_type(cells.get("type", "")))
    attempt(
        "description",
        lambda: clean_text(
            _unescape_formula(cells.get("description", "")),
            field="description",
            code=error_codes.INVALID_DESCRIPTION,
            max_length=255,
        ),
    )
    attempt(
        "category",
        lambda: clean_text(
            _unescape_formula(cells.get("category", "")).strip() or DEFAULT_CATEGORY,
            field="category",
            code=error_codes.INVALID_CATEGORY,
            min_length=1,
            max_length=50,
        ),
    )
    if "amount" in values and "type" in values:
        amount_minor, sign_type = values["amount"]
        given_type = values["type"]
        if given_type is not None and sign_type is not None and given_type != sign_type:
            problems.append(
                RowError(
                    row,
                    "type",
                    f"Row {row}, type: {given_type} contradicts the amount's sign ({cells['amount'].strip()}).",
                    error_codes.INVALID_TYPE,
                )
            )
    if problems:
        yield from problems
        return
    amount_minor, sign_type = values["amount"]
    yield CsvRow(
        row=row,
        date=values["date"],
        description=values["description"],
        amount_minor=amount_minor,
        type=values["type"] or sign_type or TransactionType.INCOME.value,
        category=values["category"],
    )


def _parse_signed_amount(raw: str) -> tuple[int, str | None]:
    """ "-12.50" -> (1250, "expense"), "+3" -> (300, "income"), "7.10" -> (710, None): the sign, if any, says
    which way; the digits go through the one money parser."""
    text = raw.strip()
    sign_type = None
    if text[:1] == "-":
        sign_type, text = TransactionType.EXPENSE.value, text[1:]
    elif text[:1] == "+":
        sign_type, text = TransactionType.INCOME.value, text[1:]
    return to_minor(parse_amount(text)), sign_type


def _parse_type(raw: str) -> str | None:
    word = raw.strip().lower()
    if not word:
        return None
    if word not in _TYPE_WORDS:
        raise invalid(
            "type",
            f'"{raw.strip()[:40]}" is not a type: use income or expense (or credit/debit).',
            error_codes.INVALID_TYPE,
        )
    return _TYPE_WORDS[word]


def _code_of(error: ValidationError) -> str:
    for items in error.error_dict.values():
        for item in items:
            if item.code:
                return item.code
    return error_codes.INVALID_CSV


class _LineBuffer:
    """A write target for csv.writer that hands back what was written since the last take()."""

    def __init__(self) -> None:
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def take(self) -> str:
        text = "".join(self._parts)
        self._parts.clear()
        return text
