"""importTransactions / exportTransactions: the caller's transactions in and out as CSV text (see ledger.csv_io).

Row problems come back as FieldErrors: `field` is "row N: column" (row numbers count the header as row 1, as a
spreadsheet shows them; the column is date, amount, type, description, category, account or currency), "row N" for
a row that is not readable as CSV, or "csv" for the file as a whole; `code` is the domain code (INVALID_AMOUNT,
INVALID_DATE, CURRENCY_MISMATCH, ...) or INVALID_CSV, CSV_TOO_LARGE, TOO_MANY_ERRORS. A refused `accountId` is the
FieldError "accountId" (NOT_FOUND, ACCOUNT_ARCHIVED), through the one error mapper.
"""

import io
from typing import Annotated

import strawberry
from django.conf import settings

from ledger.csv_io import RowError
from ledger.error_codes import CSV_TOO_LARGE
from ledger.exports import transactions_export
from ledger.imports import MAX_ERRORS, transactions_import
from ledger.validation import invalid
from schema.context import current_user
from schema.error_codes import EXPORT_TOO_LARGE
from schema.errors import FieldError, field, mutation
from schema.inputs import TransactionFilter, selector_filters

MAX_EXPORT_ROWS = 100_000


@strawberry.type(description="The outcome of importTransactions: counts, or the errors with nothing written.")
class ImportTransactionsPayload:
    imported_count: int = strawberry.field(
        default=0, description="Rows stored as new transactions (0 when there are errors)."
    )
    skipped_count: int = strawberry.field(
        default=0,
        description="Rows already imported before (same values, account, and position among identical rows); not "
        "stored again.",
    )
    errors: list[FieldError] = strawberry.field(
        description=(
            f'Every bad row (at most {MAX_ERRORS}): field "row N: column" or "row N", or "csv" for the whole file.'
        )
    )


@strawberry.type
class DataTransferMutation:
    @mutation(
        description=(
            "Import a CSV in the bank-export shape (date, description, amount, type or signed amount, category, "
            "account, currency) into the caller's ledger accounts. All or nothing: any bad row and nothing is "
            "written. Re-importing the same rows into the same account creates nothing new."
        )
    )
    def import_transactions(
        self,
        info: strawberry.Info,
        csv: Annotated[
            str,
            strawberry.argument(
                description=(
                    "The file's text, header row first, at most 5 MB (CSV_IMPORT_MAX_BYTES). Columns, any case: "
                    'date (YYYY-MM-DD), amount (in the account\'s currency\'s digits: "12.50", JPY "1200", KWD '
                    '"1.250"; negative = expense when there is no type), optional description (or memo/payee), '
                    "type (income/expense, credit/debit), category, account (an account's name, any case), "
                    "currency (must be the row's account's: CURRENCY_MISMATCH)."
                )
            ),
        ],
        account_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(
                description=(
                    "Import every row into this ledger account (NOT_FOUND for an id that is not the caller's, "
                    "ACCOUNT_ARCHIVED for an archived one); an account column is then not read. When omitted, each "
                    "row goes into the account its account column names (NOT_FOUND for an unknown name), or the "
                    "default account when the column is absent or empty."
                )
            ),
        ] = None,
    ) -> ImportTransactionsPayload:
        user = current_user(info)
        limit = settings.CSV_IMPORT_MAX_BYTES
        if len(csv) > limit or len(csv.encode("utf-8", "surrogatepass")) > limit:
            return _refused(
                [
                    RowError(
                        None, None, f"The CSV is larger than {limit} bytes: split it into smaller files.", CSV_TOO_LARGE
                    )
                ]
            )
        result = transactions_import(user=user, lines=io.StringIO(csv, newline=""), account_id=account_id)
        if result.errors:
            return _refused(result.errors)
        return ImportTransactionsPayload(imported_count=result.imported, skipped_count=result.skipped, errors=[])


@strawberry.type
class DataTransferQuery:
    @field(
        description=(
            "The caller's transactions as CSV text (date,description,amount,type,category,account,currency), "
            "oldest first; the amount is signed (negative = expense) with its currency's digits and each row names "
            "its ledger account, so importTransactions (without accountId) reads it back exactly, account by "
            "account. "
            f"At most {MAX_EXPORT_ROWS} rows: narrow the filters or use `manage.py export_transactions` for more."
        )
    )
    def export_transactions(
        self,
        info: strawberry.Info,
        filters: Annotated[
            TransactionFilter | None,
            strawberry.argument(description="The same filters as the transactions query; all rows when omitted."),
        ] = None,
    ) -> str:
        user = current_user(info)
        export = transactions_export(user=user, filters=selector_filters(filters))
        count = export.row_count()
        if count > MAX_EXPORT_ROWS:
            raise invalid(
                "filters",
                f"{count} rows match; at most {MAX_EXPORT_ROWS} per request: narrow the filters "
                "(e.g. dateFrom/dateTo) or use `manage.py export_transactions`.",
                EXPORT_TOO_LARGE,
            )
        return "".join(export.lines())


def _refused(errors: list[RowError]) -> ImportTransactionsPayload:
    return ImportTransactionsPayload(
        imported_count=0,
        skipped_count=0,
        errors=[FieldError(field=_field_of(error), message=error.message, code=error.code) for error in errors],
    )


def _field_of(error: RowError) -> str:
    if error.row is None:
        return "csv"
    return f"row {error.row}" if error.column is None else f"row {error.row}: {error.column}"
