"""Field rules shared by the ledger's services and selectors: text that the database can store, and ISO dates."""

import calendar
import contextlib
import datetime
import re
import uuid
from collections.abc import Callable, Iterator

from django.conf import settings
from django.core.exceptions import ValidationError

from ledger import error_codes
from ledger.models import TransactionType
from storage.text import is_storable

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})")

# The dates a transaction may carry. Deliberately narrower than what Python, PostgreSQL and Go can represent, so
# every month computation (the next month of the last one included) stays well inside all three; a ledger has no
# use for dates outside it. Filters and month ranges of queries may name any valid date or month.
EARLIEST_DATE = datetime.date(1900, 1, 1)
LATEST_DATE = datetime.date(2999, 12, 31)


def invalid(field: str, message: str, code: str) -> ValidationError:
    """The one shape of a field error: ValidationError({field: ValidationError(message, code=code)})."""
    return ValidationError({field: ValidationError(message, code=code)})


def not_found(field: str, what: str) -> ValidationError:
    """The one answer for an id that is not among the caller's records: missing, malformed and another user's alike."""
    return invalid(field, f"No {what} with this id.", error_codes.NOT_FOUND)


def clean_all(raw: dict[str, object], parsers: dict[str, Callable[[object], object]]) -> dict[str, object]:
    """Parse each given value with the parser of its name, checking every one before raising: the ValidationError
    then holds every problem, so a client sees them all in one answer."""
    cleaned: dict[str, object] = {}
    errors: dict[str, list[ValidationError]] = {}
    for name, value in raw.items():
        try:
            cleaned[name] = parsers[name](value)
        except ValidationError as error:
            for field, field_errors in error.error_dict.items():
                errors.setdefault(field, []).extend(field_errors)
    if errors:
        raise ValidationError(errors)
    return cleaned


class ErrorCollector:
    """Field errors gathered from several checks (see merged_errors)."""

    def __init__(self) -> None:
        self.errors: dict[str, list[ValidationError]] = {}

    @property
    def ok(self) -> bool:
        return not self.errors

    @contextlib.contextmanager
    def collect(self) -> Iterator[None]:
        """Run a check; a ValidationError it raises is kept instead of propagating."""
        try:
            yield
        except ValidationError as error:
            for field, field_errors in error.error_dict.items():
                self.errors.setdefault(field, []).extend(field_errors)


@contextlib.contextmanager
def merged_errors() -> Iterator[ErrorCollector]:
    """Checks that depend on each other (an amount's digits on its account) but should still report every problem
    in one answer: each `with errors.collect():` keeps its error, and leaving the block raises them all at once."""
    collector = ErrorCollector()
    yield collector
    if collector.errors:
        raise ValidationError(collector.errors)


def clean_text(raw: object, *, field: str, code: str, max_length: int, min_length: int = 0) -> str:
    """Trim and check a free-text value.

    NUL characters and lone surrogates are refused: PostgreSQL cannot store the first and UTF-8 cannot encode the
    second, so letting them through would turn bad input into a server error.
    """
    if not isinstance(raw, str):
        raise invalid(field, "Must be a string.", code)
    text = raw.strip()
    if not is_storable(text):
        raise invalid(field, "Contains characters that cannot be stored (NUL or unpaired surrogates).", code)
    if len(text) < min_length:
        raise invalid(field, f"Must be at least {min_length} character{'s' if min_length > 1 else ''}.", code)
    if len(text) > max_length:
        raise invalid(field, f"Must be at most {max_length} characters (got {len(text)}).", code)
    return text


def parse_date(raw: object, *, field: str = "date") -> datetime.date:
    """Strict "YYYY-MM-DD" (no other ISO 8601 spellings), as the Date scalar promises."""
    if isinstance(raw, datetime.date) and not isinstance(raw, datetime.datetime):
        return raw
    if isinstance(raw, str) and _ISO_DATE.fullmatch(raw):
        try:
            return datetime.date.fromisoformat(raw)
        except ValueError:
            pass
    shown = raw[:40] if isinstance(raw, str) else raw
    raise invalid(field, f'"{shown}" is not a valid date: use "YYYY-MM-DD".', error_codes.INVALID_DATE)


def parse_transaction_date(raw: object, *, field: str = "date") -> datetime.date:
    """A date a transaction may carry: parse_date within EARLIEST_DATE..LATEST_DATE."""
    day = parse_date(raw, field=field)
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise invalid(
            field,
            f"{day.isoformat()} is outside the dates this ledger accepts "
            f"({EARLIEST_DATE.isoformat()} to {LATEST_DATE.isoformat()}).",
            error_codes.INVALID_DATE,
        )
    return day


def parse_month(raw: object, *, field: str, code: str = error_codes.INVALID_MONTH_RANGE) -> tuple[int, int]:
    """Strict "YYYY-MM" -> (year, month); `code` for anything else (a range's months: INVALID_MONTH_RANGE)."""
    match = _MONTH.fullmatch(raw) if isinstance(raw, str) else None
    if match and 1 <= int(match.group(2)) <= 12 and int(match.group(1)) >= 1:
        return int(match.group(1)), int(match.group(2))
    shown = raw[:40] if isinstance(raw, str) else raw
    raise invalid(field, f'"{shown}" is not a valid month: use "YYYY-MM".', code)


def parse_ledger_month(raw: object, *, field: str) -> str:
    """A month a budget may name: strict "YYYY-MM" within the months of EARLIEST_DATE..LATEST_DATE (1900-01 to
    2999-12, so the month before and after every one of them exists too); INVALID_MONTH otherwise."""
    year, month = parse_month(raw, field=field, code=error_codes.INVALID_MONTH)
    text = f"{year:04d}-{month:02d}"
    if not month_of(EARLIEST_DATE) <= text <= month_of(LATEST_DATE):
        raise invalid(
            field,
            f"{text} is outside the months this ledger accepts ({month_of(EARLIEST_DATE)} to {month_of(LATEST_DATE)}).",
            error_codes.INVALID_MONTH,
        )
    return text


def add_months(month: str, count: int) -> str:
    """The "YYYY-MM" `count` months after (before, when negative) a valid "YYYY-MM"."""
    index = int(month[:4]) * 12 + int(month[5:7]) - 1 + count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def months_apart(first: str, last: str) -> int:
    """How many months `last` is after `first` (negative when before); both valid "YYYY-MM"."""
    return (int(last[:4]) - int(first[:4])) * 12 + int(last[5:7]) - int(first[5:7])


def months_from(first: str, last: str) -> list[str]:
    """Every "YYYY-MM" from `first` to `last`, both included (empty when `last` is before `first`)."""
    return [add_months(first, index) for index in range(months_apart(first, last) + 1)]


def clean_category(raw: object) -> str:
    """A category as transactions, rules and budgets store it: 1-50 storable characters, trimmed (INVALID_CATEGORY).
    Its identity is ledger.categories.category_key."""
    return clean_text(raw, field="category", code=error_codes.INVALID_CATEGORY, min_length=1, max_length=50)


def clean_description(raw: object) -> str:
    """A description as transactions, transfers and rules store it: at most 255 storable characters, trimmed
    (INVALID_DESCRIPTION)."""
    return clean_text(raw, field="description", code=error_codes.INVALID_DESCRIPTION, max_length=255)


def parse_transaction_type(value: object) -> str:
    try:
        return TransactionType(value).value
    except ValueError:
        raise invalid("type", "Must be INCOME or EXPENSE.", error_codes.INVALID_TYPE) from None


def parse_transaction_id(raw: object) -> uuid.UUID | None:
    """A transaction id as given by a client, or None when it cannot be one (which callers answer as not found)."""
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        return None


def month_of(day: datetime.date) -> str:
    """The rollup bucket of a date: "YYYY-MM"."""
    return f"{day.year:04d}-{day.month:02d}"


def month_bounds(year: int, month: int) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a month, both inclusive: no "first day of the next month", which does not exist
    after 9999-12."""
    return datetime.date(year, month, 1), datetime.date(year, month, calendar.monthrange(year, month)[1])


def month_ranges(months: list[str]) -> list[tuple[datetime.date, datetime.date]]:
    """Sorted "YYYY-MM" months as inclusive date ranges, consecutive months merged (a short SQL condition even when
    every month is dirty)."""
    ranges: list[list[datetime.date]] = []
    for month in months:
        first, last = month_bounds(*parse_month(month, field="month"))
        if ranges and ranges[-1][1] + datetime.timedelta(days=1) == first:
            ranges[-1][1] = last
        else:
            ranges.append([first, last])
    return [(first, last) for first, last in ranges]


def page_size(first: int | None, *, default: int) -> int:
    """The size of a page asked for with `first` (`default` when None): INVALID_PAGE_SIZE below zero, capped at
    GRAPHQL_MAX_PAGE_SIZE."""
    size = default if first is None else first
    if size < 0:
        raise invalid("first", "Must be zero or more.", error_codes.INVALID_PAGE_SIZE)
    return min(size, settings.GRAPHQL_MAX_PAGE_SIZE)
