"""Writes to the ledger, one module per entity. Each service is keyword-only and one short database transaction that
bumps the user's balance version (the cache invalidation) and marks the affected rollup buckets dirty for the Go
aggregator, through the shared functions of ledger.services.bookkeeping."""

from ledger.services.accounts import (
    account_create,
    account_delete,
    account_set_default,
    account_update,
    user_register,
)
from ledger.services.bookkeeping import MAIN_ACCOUNT_NAME, ensure_default_account, mark_buckets_dirty
from ledger.services.budgets import budget_delete, budget_set
from ledger.services.occurrences import occurrence_skip
from ledger.services.recurring import (
    recurring_rule_create,
    recurring_rule_delete,
    recurring_rule_pause,
    recurring_rule_resume,
    recurring_rule_update,
)
from ledger.services.transactions import (
    transaction_create,
    transaction_create_for_token,
    transaction_delete,
    transaction_update,
)
from ledger.services.transfers import transfer_create, transfer_delete, transfer_update

__all__ = [
    "MAIN_ACCOUNT_NAME",
    "account_create",
    "account_delete",
    "account_set_default",
    "account_update",
    "budget_delete",
    "budget_set",
    "ensure_default_account",
    "mark_buckets_dirty",
    "occurrence_skip",
    "recurring_rule_create",
    "recurring_rule_delete",
    "recurring_rule_pause",
    "recurring_rule_resume",
    "recurring_rule_update",
    "transaction_create",
    "transaction_create_for_token",
    "transaction_delete",
    "transaction_update",
    "transfer_create",
    "transfer_delete",
    "transfer_update",
    "user_register",
]
