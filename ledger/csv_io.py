"""The one place that knows the CSV shape of imports and exports (the common bank-export shape).

    date,description,amount,type,category,account,currency
    2026-01-31,ACME payroll,3000.00,income,Salary,Main,USD
    2026-02-01,Rent February,-1200.00,expense,Rent,Main,USD
    2026-02-02,Ramen,-1200,expense,Food,Tokyo wallet,JPY

- Headers are matched case-insensitively, with common bank spellings (`memo`/`payee` for the description, ...);
  extra columns are ignored. `date` and `amount` are required, the others optional.
- The direction comes from the `type` column (income/credit/deposit, expense/debit/withdrawal) when there is one,
  else from the amount's sign (negative = expense). A signed amount and a type may both be given if they agree.
- Each row belongs to a ledger account, found by the caller's resolver (ledger.imports decides from the `account`
  cell, the account's name, and the import's own account); a `currency` cell must be that account's currency.
- Amounts go through `ledger.money.parse_amount` as strings (never `float`), with exactly the digits of the row's
  account's currency ("1200" JPY, "12.50" USD, "1.250" KWD); dates are strict `YYYY-MM-DD`.
- Text cells that a spreadsheet would run as a formula (starting with = + - @ tab or CR) are exported behind an
  apostrophe, which import takes off again: an exported file re-imports to exactly the same values.
- Row numbers count the header as row 1 and blank lines too, as a text editor or spreadsheet shows them.

Reading is incremental: `read_rows` pulls one line at a time from any iterable of text lines.
"""

import csv
import datetime
import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from django.core.exceptions import ValidationError

from ledger import error_codes
from ledger.currencies import MAX_DIGITS, currency_digits, parse_currency
from ledger.models import DEFAULT_CATEGORY, Account, TransactionType
from ledger.money import format_amount, from_minor, parse_minor
from ledger.validation import clean_text, invalid, parse_transaction_date

EXPORT_HEADER = ("date", "description", "amount", "type", "category", "account", "currency")

# The ledger account of a row from its `account` cell (formula escape removed, stripped; "" when absent), or a
# ValidationError on the field "account" (NOT_FOUND, ACCOUNT_ARCHIVED).
AccountResolver = Callable[[str], Account]
# What write_rows takes: (date, description, amount_minor, type, category, account name, currency).
ExportRow = tuple[datetime.date, str, int, str, str, str, str]

# Each canonical column and the header spellings accepted for it, in order of preference.
_HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "transaction date", "booking date", "posting date", "posted date", "value date"),
    "description": ("description", "memo", "payee", "details", "narrative", "name", "reference"),
    "amount": ("amount", "value", "transaction amount"),
    "type": ("type", "transaction type", "direction", "credit/debit", "debit/credit"),
    "category": ("category",),
    "account": ("account", "account name"),
    "currency": ("currency", "currency code"),
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
    """One valid row, ready to store in `account`."""

    row: int
    date: datetime.date
    description: str
    amount_minor: int  # in the account's currency's minor units
    type: str
    category: str
    account: Account

    def content_digest(self) -> bytes:
        """Identity of the row's values (not its spelling): equal rows of any two files share it. The account is
        not part of it (ledger.imports adds it to the key), so digests of rows imported before accounts existed are
        unchanged."""
        text = "\x1f".join((self.date.isoformat(), self.type, str(self.amount_minor), self.category, self.description))
        return hashlib.sha256(text.encode("utf-8")).digest()


@dataclass(frozen=True)
class RowError:
    """Why a row (or, with `column` None, the file) was refused."""

    row: int | None
    column: str | None
    message: str
    code: str


def read_rows(lines: Iterable[str], accounts: AccountResolver) -> Iterator[CsvRow | RowError]:
    """Parse CSV text lines into rows and row errors, one record at a time; `accounts` gives each row's account.

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
        yield from _parse_record(row, {name: record[index] for name, index in columns.items()}, accounts)


def write_rows(rows: Iterable[ExportRow]) -> Iterator[str]:
    """CSV text lines (header first) for ExportRow tuples: the amount is signed (negative = expense) with exactly its
    currency's digits, and the account and currency close the row, so the output reads back through `read_rows`
    exactly."""
    buffer = _LineBuffer()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(EXPORT_HEADER)
    yield buffer.take()
    for day, description, amount_minor, txn_type, category, account_name, currency in rows:
        sign = "-" if txn_type == TransactionType.EXPENSE.value else ""
        digits = currency_digits(currency)
        writer.writerow(
            (
                day.isoformat(),
                _escape_formula(description),
                sign + format_amount(from_minor(amount_minor, digits), digits),
                txn_type,
                _escape_formula(category),
                _escape_formula(account_name),
                currency,
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


def _parse_record(row: int, cells: dict[str, str], accounts: AccountResolver) -> Iterator[CsvRow | RowError]:
    values: dict[str, object] = {}
    problems: list[RowError] = []
    account_problems: list[RowError] = []  # reported after the other columns', in the order of the columns

    def attempt(column: str, parse, into: list[RowError] = problems) -> None:
        try:
            values[column] = parse()
        except ValidationError as error:
            for items in error.message_dict.values():
                for message in items:
                    into.append(RowError(row, column, f"Row {row}, {column}: {message}", _code_of(error)))

    # The account first: its currency's digits are the amount's. Without one, the amount is still checked for
    # everything but its digits.
    attempt("account", lambda: accounts(_unescape_formula(cells.get("account", "")).strip()), account_problems)
    account = values.get("account")
    if cells.get("currency", "").strip():
        attempt("currency", lambda: parse_currency(cells["currency"]), account_problems)
        if account is not None and values.get("currency") not in (None, account.currency):
            account_problems.append(
                RowError(
                    row,
                    "currency",
                    f'Row {row}, currency: {values["currency"]} is not the currency of the account "{account.name}" '
                    f"({account.currency}).",
                    error_codes.CURRENCY_MISMATCH,
                )
            )
    digits = MAX_DIGITS if account is None else currency_digits(account.currency)
    attempt("date", lambda: parse_transaction_date(cells["date"].strip()))
    attempt("amount", lambda: _parse_signed_amount(cells["amount"], digits))
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
    problems += account_problems
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
        account=account,
    )


def _parse_signed_amount(raw: str, digits: int) -> tuple[int, str | None]:
    """ "-12.50" -> (1250, "expense"), "+3" -> (300, "income"), "7.10" -> (710, None) with two digits: the sign, if
    any, says which way; the digits go through the one money parser."""
    text = raw.strip()
    sign_type = None
    if text[:1] == "-":
        sign_type, text = TransactionType.EXPENSE.value, text[1:]
    elif text[:1] == "+":
        sign_type, text = TransactionType.INCOME.value, text[1:]
    return parse_minor(text, digits=digits), sign_type


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
