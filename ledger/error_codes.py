"""Stable error codes of the ledger domain: clients branch on these, so never rename one."""

INVALID_AMOUNT = "INVALID_AMOUNT"
INVALID_TYPE = "INVALID_TYPE"
INVALID_CATEGORY = "INVALID_CATEGORY"
INVALID_DESCRIPTION = "INVALID_DESCRIPTION"
INVALID_DATE = "INVALID_DATE"
INVALID_IDEMPOTENCY_KEY = "INVALID_IDEMPOTENCY_KEY"
NOT_FOUND = "NOT_FOUND"
INVALID_CURSOR = "INVALID_CURSOR"
INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"
INVALID_MONTH_RANGE = "INVALID_MONTH_RANGE"
INVALID_SEARCH = "INVALID_SEARCH"
VOLUME_LIMIT_EXCEEDED = "VOLUME_LIMIT_EXCEEDED"
IDEMPOTENCY_KEY_REUSED = "IDEMPOTENCY_KEY_REUSED"
INVALID_CSV = "INVALID_CSV"
CSV_TOO_LARGE = "CSV_TOO_LARGE"
TOO_MANY_ERRORS = "TOO_MANY_ERRORS"
INVALID_CURRENCY = "INVALID_CURRENCY"
CURRENCY_MISMATCH = "CURRENCY_MISMATCH"
INVALID_TRANSFER = "INVALID_TRANSFER"
INVALID_ACCOUNT_NAME = "INVALID_ACCOUNT_NAME"
INVALID_ACCOUNT_KIND = "INVALID_ACCOUNT_KIND"
DUPLICATE_ACCOUNT_NAME = "DUPLICATE_ACCOUNT_NAME"
ACCOUNT_ARCHIVED = "ACCOUNT_ARCHIVED"
ACCOUNT_NOT_EMPTY = "ACCOUNT_NOT_EMPTY"
DEFAULT_ACCOUNT = "DEFAULT_ACCOUNT"
INVALID_MONTH = "INVALID_MONTH"
INVALID_SCHEDULE = "INVALID_SCHEDULE"
INVALID_DAYS = "INVALID_DAYS"
CURSOR_EXPIRED = "CURSOR_EXPIRED"

MEANINGS = {
    INVALID_AMOUNT: 'Not an amount in the currency\'s digits (two for most: "12.50"; none for JPY; three for KWD), '
    "as a string with at most 12 integer digits; positive except an opening balance; for a transfer between "
    "currencies, toAmount is missing, or differs from amount between accounts of one currency.",
    INVALID_TYPE: "Not INCOME or EXPENSE (CSV: income/expense, credit/debit, or a contradicting sign).",
    INVALID_CATEGORY: "A category must be 1-50 characters (no NUL or unpaired surrogates).",
    INVALID_DESCRIPTION: "A description must be at most 255 characters (no NUL or unpaired surrogates).",
    INVALID_DATE: 'Not a "YYYY-MM-DD" date, or outside 1900-01-01..2999-12-31 for a transaction or a recurring '
    "rule's start date.",
    INVALID_IDEMPOTENCY_KEY: "An idempotency key must be 1-255 characters.",
    NOT_FOUND: "No record with this id among the caller's (another user's id answers the same); for a CSV row's "
    "account column, no account of that name.",
    INVALID_CURSOR: "`after` is not a cursor this API returned.",
    INVALID_PAGE_SIZE: "`first` must be zero or more (it is capped at 500).",
    INVALID_MONTH_RANGE: 'A month is not "YYYY-MM", `to` is before `from`, or the range is over 120 months.',
    INVALID_SEARCH: "A search term must be at most 100 characters.",
    VOLUME_LIMIT_EXCEEDED: "The write would take the sum of all the caller's amounts past "
    "10,000,000,000,000,000.00; nothing was written.",
    IDEMPOTENCY_KEY_REUSED: "The idempotency key was already used with different input; nothing was written.",
    INVALID_CSV: "The CSV cannot be read: no header, a missing date or amount column, broken quoting, a row with "
    "another number of fields.",
    CSV_TOO_LARGE: "The CSV is over CSV_IMPORT_MAX_BYTES (5 MB by default).",
    TOO_MANY_ERRORS: "The import stopped reporting after 100 bad rows.",
    INVALID_CURRENCY: 'Not an ISO 4217 currency code with minor units ("USD", "EUR", "JPY").',
    CURRENCY_MISMATCH: "The amounts or the account are in another currency than the one asked for (a transaction "
    "moves only to an account of its currency; a CSV row's currency must be its account's).",
    INVALID_TRANSFER: "A transfer needs two different accounts of the caller.",
    INVALID_ACCOUNT_NAME: "An account name must be 1-100 characters (no NUL or unpaired surrogates).",
    INVALID_ACCOUNT_KIND: "Not one of the AccountKind values.",
    DUPLICATE_ACCOUNT_NAME: "The caller already has an account of this name (without regard to case).",
    ACCOUNT_ARCHIVED: "The account is archived: it keeps its entries but takes no new ones (unarchive it first).",
    ACCOUNT_NOT_EMPTY: "The account has entries (transactions or transfers) or recurring rules: it cannot be "
    "deleted, or change currency.",
    DEFAULT_ACCOUNT: "The default account cannot be archived or deleted: make another account the default first.",
    INVALID_MONTH: 'Not a "YYYY-MM" month, or an end month before the start month.',
    INVALID_SCHEDULE: "A recurring rule's schedule cannot hold: an interval or count under 1, an end date before the "
    "start date, or (skipOccurrence) a date that is not one of the rule's occurrences still to be recorded.",
    INVALID_DAYS: "`days` must be from 0 to 366.",
    CURSOR_EXPIRED: "changes(after:) names a position the change log no longer covers (changes after it are older "
    "than the retention and were pruned, or the server's data was restored from before it): re-sync from the full "
    "queries, then follow changes from changeCursor.",
}
