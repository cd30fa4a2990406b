"""Exporting the caller's transactions as CSV, in the shape ledger.csv_io reads back exactly: each row names its
ledger account and currency, so importing the file (without accountId) puts every row back in its account."""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import User
from ledger.csv_io import write_rows
from ledger.selectors import TransactionFilters, transaction_filter

_CHUNK_ROWS = 2000


@dataclass(frozen=True)
class TransactionExport:
    """What an export will contain: `row_count()` for a progress bar or a size check, `lines()` to stream it."""

    queryset: QuerySet

    def row_count(self) -> int:
        return self.queryset.count()

    def lines(self) -> Iterator[str]:
        """Header, then one line per transaction, oldest first. Rows are fetched in chunks (a server-side cursor
        on PostgreSQL), so a large export never sits in memory whole.

        Within a day rows are ordered by their values and account name, not by id or creation time, so an export
        re-imported elsewhere exports back byte for byte."""
        rows = (
            self.queryset.order_by("date", "type", "category", "description", "amount_minor", "account__name", "id")
            .values_list(
                "date", "description", "amount_minor", "type", "category", "account__name", "account__currency"
            )
            .iterator(chunk_size=_CHUNK_ROWS)
        )
        return write_rows(rows)


def transactions_export(*, user: User, filters: TransactionFilters | None = None) -> TransactionExport:
    """The user's transactions matching the filters (the same filters as the `transactions` query); raises
    ValidationError naming a bad filter before anything is read."""
    return TransactionExport(queryset=transaction_filter(user=user, filters=filters))
