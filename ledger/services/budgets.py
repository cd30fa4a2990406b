"""Writes of budgets: a monthly limit per expense category and currency, kept as a history of non-overlapping rows
(ledger.models.Budget). Each write bumps the user's balance version first: on PostgreSQL its row lock serializes the
user's writes (two setBudget calls cannot cut the same rows at once), and budget reports are cached under it. Every
row a write creates, cuts, splits or deletes is a BUDGET change of its own (ledger.changes)."""

from django.db import transaction
from django.db.models import QuerySet

from accounts.models import User
from ledger import error_codes
from ledger.balance_cache import bump_balance_version
from ledger.categories import category_key
from ledger.changes import ChangeRecord, change_of, record_change, record_changes
from ledger.currencies import MAX_DIGITS, currency_digits, parse_currency
from ledger.models import Budget, ChangeOperation
from ledger.money import parse_minor
from ledger.services.bookkeeping import ensure_default_account, owned_for_update
from ledger.validation import add_months, clean_category, invalid, merged_errors, parse_ledger_month


def budget_set(
    *,
    user: User,
    category: object,
    amount: object,
    from_month: object,
    currency: object = None,
    end_month: object = None,
    rollover: object = False,
) -> Budget:
    """Budget `amount` a month for `category` (any case: its category_key) in `currency` (the default account's when
    None) for the months from `from_month` to `end_month` (inclusive; open-ended when None). Earlier rows of that
    category and currency keep the months outside the range: a row starting before `from_month` ends the month before
    it, one running past `end_month` starts the month after it (one spanning both is split in two), rows inside are
    deleted. Returns the new row. Every field error is reported at once; nothing is written on a refusal."""
    with merged_errors() as errors:
        with errors.collect():
            category = clean_category(category)
        code = None
        with errors.collect():
            code = ensure_default_account(user=user).currency if currency is None else parse_currency(currency)
        with errors.collect():
            # Without a currency the amount is still checked, in the most digits any currency has.
            amount_minor = _parse_budget_amount(amount, MAX_DIGITS if code is None else currency_digits(code))
        first = last = None
        with errors.collect():
            first = parse_ledger_month(from_month, field="from_month")
        if end_month is not None:
            with errors.collect():
                last = parse_ledger_month(end_month, field="end_month")
                if first is not None and last < first:
                    raise invalid("end_month", "endMonth must not be before fromMonth.", error_codes.INVALID_MONTH)
    with transaction.atomic():
        bump_balance_version(user.pk)
        history = Budget.objects.filter(user_id=user.pk, currency=code, category_key=category_key(category))
        changes = _cut_history(history.select_for_update(), first, last)
        budget = Budget.objects.create(
            user=user,
            category=category,
            currency=code,
            amount_minor=amount_minor,
            start_month=first,
            end_month=last,
            rollover=bool(rollover),
        )
        record_changes(user.pk, [*changes, change_of(budget, ChangeOperation.CREATED)])
        return budget


def budget_delete(*, user: User, budget_id: object) -> str:
    """Delete one row of a budget's history (one period); returns its id. NOT_FOUND for any id not the caller's."""
    with transaction.atomic():
        bump_balance_version(user.pk)
        budget = owned_for_update(Budget.objects.filter(user_id=user.pk), budget_id, what="budget")
        deleted_id = str(budget.pk)
        record_change(user.pk, budget, ChangeOperation.DELETED)  # before delete(), which forgets the id
        budget.delete()
    return deleted_id


def _cut_history(history: QuerySet, first: str, last: str | None) -> list[ChangeRecord]:
    """Free the months first..last (None: open-ended) in one category's rows, which never overlap; returns the
    changes, in the order they were made."""
    overlapping = history.exclude(end_month__lt=first)
    if last is not None:
        overlapping = overlapping.filter(start_month__lte=last)
    changes = []
    for row in list(overlapping):
        starts_before = row.start_month < first
        runs_past = last is not None and (row.end_month is None or row.end_month > last)
        if starts_before and runs_past:  # split: the head keeps the row, the tail is a new row after the range
            tail = Budget.objects.create(
                user_id=row.user_id,
                category=row.category,
                currency=row.currency,
                amount_minor=row.amount_minor,
                start_month=add_months(last, 1),
                end_month=row.end_month,
                rollover=row.rollover,
            )
            changes.append(change_of(tail, ChangeOperation.CREATED))
            row.end_month = add_months(first, -1)
            row.save(update_fields=["end_month", "updated_at"])
        elif starts_before:
            row.end_month = add_months(first, -1)
            row.save(update_fields=["end_month", "updated_at"])
        elif runs_past:
            row.start_month = add_months(last, 1)
            row.save(update_fields=["start_month", "updated_at"])
        else:
            changes.append(change_of(row, ChangeOperation.DELETED))
            row.delete()
            continue
        changes.append(change_of(row, ChangeOperation.UPDATED))
    return changes


def _parse_budget_amount(raw: object, digits: int) -> int:
    """Zero or more ("0": spend nothing), in the currency's digits (INVALID_AMOUNT)."""
    amount_minor = parse_minor(raw, field="amount", digits=digits, signed=True)
    if amount_minor < 0:
        raise invalid("amount", "A budget is zero or more.", error_codes.INVALID_AMOUNT)
    return amount_minor
