"""Reads of the ledger, one module per entity; every query starts from the owner's scope (`owned_by(user)`)."""

from ledger.selectors.accounts import (
    AccountScope,
    account_get,
    account_list,
    account_scope,
    accounts_by_id,
    default_account,
    transfer_get,
)
from ledger.selectors.budgets import BudgetLineFigures, BudgetReportFigures, budget_list, budget_report
from ledger.selectors.changes import (
    DEFAULT_CHANGES_PAGE_SIZE,
    ChangePage,
    change_cursor,
    change_history,
    change_page,
    entity_of,
)
from ledger.selectors.entries import Entry, EntryPage, entry_page
from ledger.selectors.figures import (
    balance_figures,
    balance_in,
    compute_ledger_figures,
    is_sum_overflow,
    ledger_figures,
)
from ledger.selectors.recurring import (
    MAX_UPCOMING_DAYS,
    MAX_UPCOMING_OCCURRENCES,
    Occurrence,
    recurring_rules,
    upcoming_occurrences,
)
from ledger.selectors.transactions import (
    DEFAULT_PAGE_SIZE,
    TransactionFilters,
    TransactionPage,
    decode_cursor,
    encode_cursor,
    encode_position,
    transaction_filter,
    transaction_get,
    transaction_page,
)
from ledger.selectors.users import user_for_request

__all__ = [
    "DEFAULT_CHANGES_PAGE_SIZE",
    "DEFAULT_PAGE_SIZE",
    "MAX_UPCOMING_DAYS",
    "MAX_UPCOMING_OCCURRENCES",
    "Occurrence",
    "AccountScope",
    "BudgetLineFigures",
    "BudgetReportFigures",
    "ChangePage",
    "Entry",
    "EntryPage",
    "TransactionFilters",
    "TransactionPage",
    "account_get",
    "account_list",
    "account_scope",
    "accounts_by_id",
    "balance_figures",
    "balance_in",
    "budget_list",
    "budget_report",
    "change_cursor",
    "change_history",
    "change_page",
    "entity_of",
    "compute_ledger_figures",
    "decode_cursor",
    "default_account",
    "encode_cursor",
    "encode_position",
    "entry_page",
    "is_sum_overflow",
    "ledger_figures",
    "recurring_rules",
    "transaction_filter",
    "transaction_get",
    "transaction_page",
    "transfer_get",
    "upcoming_occurrences",
    "user_for_request",
]
