"""Ledger tables.

Money is stored as integer minor units (cents) in BigIntegerField columns: SQLite has no exact decimal type, so a
DecimalField would be a REAL there. `ledger/money.py` is the only place that converts between the two.

The Go aggregator (go_aggregator/) depends on these tables and columns; they are its contract with this module.
Change them only together with go_aggregator/schema.go:
  ledger_transaction   (user_id, account_id, amount_minor, type, category_key, date)
  ledger_transfer      (user_id, from_account_id, to_account_id, amount_minor, to_amount_minor, date)
  ledger_dirtybucket   (user_id, month, generation)
  ledger_monthlyrollup (user_id, account_id, month, category, type, total_minor, transaction_count)
                       type: income/expense (category holds the key) or transfer_in/transfer_out (category "")
  ledger_rollupfingerprint (user_id, digest, rollup_count)
  ledger_recurringrule, ledger_recurringoccurrence: the aggregator records due occurrences (see RecurringRule), and
                       writes ledger_transaction (every column), ledger_balanceversion, ledger_dirtybucket and
                       ledger_categoryname as the API's writes do
  ledger_balanceversion (user_id, version, volume_minor, change_sequence)
  ledger_change        (user_id, sequence, entity_type, entity_id, operation, at, snapshot): every write appends one
                       row per entity it changed, in its own transaction, with a sequence allocated from
                       ledger_balanceversion.change_sequence; the statements a writer outside Django runs are in
                       ledger/changes.py's docstring

"Account" in this module means a ledger account (checking, savings, a card...), never the identity in accounts/.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q

from ledger.categories import category_key

DEFAULT_CATEGORY = "Other"


class TransactionType(models.TextChoices):
    INCOME = "income", "Income"
    EXPENSE = "expense", "Expense"


class AccountKind(models.TextChoices):
    CHECKING = "checking", "Checking"
    SAVINGS = "savings", "Savings"
    CREDIT_CARD = "credit_card", "Credit card"
    CASH = "cash", "Cash"
    INVESTMENT = "investment", "Investment"
    LOAN = "loan", "Loan"
    OTHER = "other", "Other"


class EntryKind(models.TextChoices):
    """What a rollup row (and an account register entry) sums: the two transaction types and the two legs of a
    transfer."""

    INCOME = "income", "Income"
    EXPENSE = "expense", "Expense"
    TRANSFER_IN = "transfer_in", "Transfer in"
    TRANSFER_OUT = "transfer_out", "Transfer out"


class AccountQuerySet(models.QuerySet):
    def owned_by(self, user: settings.AUTH_USER_MODEL) -> "AccountQuerySet":
        """The one per-user scope of ledger accounts."""
        return self.filter(user_id=user.pk)


class Account(models.Model):
    """A ledger account: where money sits (a checking account, a card, cash), in one currency.

    Its balance is opening_balance_minor + income - expense + transfers in - transfers out, computed on a cache
    miss (ledger.balance_cache) and never stored, so it cannot drift from the entries.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ledger_accounts", db_index=False
    )
    name = models.CharField(max_length=100)
    # name.strip().casefold(): names are unique per user in any case ("Savings" and "savings" are one name).
    name_key = models.CharField(max_length=400)
    kind = models.CharField(max_length=11, choices=AccountKind.choices)
    currency = models.CharField(max_length=3)  # ISO 4217 (ledger.currencies); its digits scale every amount
    opening_balance_minor = models.BigIntegerField(default=0)
    is_default = models.BooleanField(default=False)
    archived = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AccountQuerySet.as_manager()

    def save(self, *args: object, **kwargs: object) -> None:
        self.name_key = account_name_key(self.name)
        if kwargs.get("update_fields") is not None and "name" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "name_key"}
        super().save(*args, **kwargs)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "name_key"], name="ledger_account_user_name_unique"),
            # At most one default per user; the services keep exactly one.
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="ledger_account_one_default_per_user"
            ),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_account_idempotency_key_unique",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=[k.value for k in AccountKind]), name="ledger_account_kind_valid"
            ),
        ]


def account_name_key(name: str) -> str:
    return name.strip().casefold()


class TransactionQuerySet(models.QuerySet):
    def owned_by(self, user: settings.AUTH_USER_MODEL) -> "TransactionQuerySet":
        """The one per-user scope: every read and write of transactions goes through it."""
        return self.filter(user_id=user.pk)


class Transaction(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # db_index=False: the composite indexes below all lead with user_id.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transactions", db_index=False
    )
    # RESTRICT: an account with entries cannot be deleted (the services answer ACCOUNT_NOT_EMPTY first), yet deleting
    # the user deletes both (RESTRICT, unlike PROTECT, allows what the same cascade removes).
    account = models.ForeignKey(Account, on_delete=models.RESTRICT, related_name="transactions", db_index=False)
    amount_minor = models.BigIntegerField()  # in the account's currency's minor units
    type = models.CharField(max_length=7, choices=TransactionType.choices)
    description = models.CharField(max_length=255, blank=True, default="")
    category = models.CharField(max_length=50, default=DEFAULT_CATEGORY)
    # ledger.categories.category_key(category): what makes two spellings one category ("Groceries", " groceries").
    # Filters and analytics group by it, and the Go aggregator reads it instead of `category`, so the rule has one
    # implementation. Case folding can lengthen text ("ß" -> "ss"), hence the room.
    category_key = models.CharField(max_length=200)
    date = models.DateField()
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    # SHA-256 of the input that first used the key (ledger.services): a retry with other input is refused, not
    # answered with the first transaction. NULL for rows without a key, from imports (whose key is their content),
    # and from before this column.
    idempotency_fingerprint = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TransactionQuerySet.as_manager()

    def save(self, *args: object, **kwargs: object) -> None:
        if self.account_id is None:
            # The API's rule for a transaction without an account, kept for ORM writes too (scripts, the shell).
            from ledger.services.bookkeeping import ensure_default_account  # noqa: PLC0415 (services import models)

            self.account = ensure_default_account(user=self.user)
        # Every ORM write keeps the key in step with the spelling (bulk paths compute it in ledger.bulk_insert).
        self.category_key = category_key(self.category)
        if kwargs.get("update_fields") is not None and "category" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "category_key"}
        super().save(*args, **kwargs)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="ledger_transaction_amount_positive"),
            models.CheckConstraint(
                condition=Q(type__in=[t.value for t in TransactionType]), name="ledger_transaction_type_valid"
            ),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_transaction_idempotency_key_unique",
            ),
        ]
        indexes = [
            # Keyset pagination: newest date first, id as the tie-breaker. On PostgreSQL it also carries the
            # columns the aggregator reads, so recomputing a dirty (user, month) is an index-only range scan
            # instead of one heap page visit per row (SQLite ignores INCLUDE).
            models.Index(
                fields=["user", "-date", "-id"],
                name="ledger_txn_user_date_cover",
                include=["account", "category_key", "type", "amount_minor"],
            ),
            # Covers the figures aggregate (SUM by account and type) so a cache miss is an index-only scan.
            models.Index(fields=["user", "account", "type", "amount_minor"], name="ledger_txn_user_acct_type_amt"),
            # An account's register: keyset pages newest first, and sums up to a position (running balances).
            models.Index(
                fields=["account", "-date", "-id"], name="ledger_txn_account_date", include=["type", "amount_minor"]
            ),
        ]


class Transfer(models.Model):
    """Money moved between two of a user's accounts: neither income nor expense. `amount_minor` leaves
    `from_account` in its currency, `to_amount_minor` arrives in `to_account`'s (equal when the currencies match).
    One row holds both legs, so a transfer is written or deleted whole."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    from_account = models.ForeignKey(Account, on_delete=models.RESTRICT, related_name="+", db_index=False)
    to_account = models.ForeignKey(Account, on_delete=models.RESTRICT, related_name="+", db_index=False)
    amount_minor = models.BigIntegerField()
    to_amount_minor = models.BigIntegerField()
    date = models.DateField()
    description = models.CharField(max_length=255, blank=True, default="")
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="ledger_transfer_amount_positive"),
            models.CheckConstraint(condition=Q(to_amount_minor__gt=0), name="ledger_transfer_to_amount_positive"),
            models.CheckConstraint(
                condition=~Q(from_account=models.F("to_account")), name="ledger_transfer_distinct_accounts"
            ),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_transfer_idempotency_key_unique",
            ),
        ]
        indexes = [
            # Each leg's register (keyset pages and sums up to a position), as for transactions.
            models.Index(
                fields=["from_account", "-date", "-id"], name="ledger_transfer_from_date", include=["amount_minor"]
            ),
            models.Index(
                fields=["to_account", "-date", "-id"], name="ledger_transfer_to_date", include=["to_amount_minor"]
            ),
            # The aggregator recomputes a (user, month) from both legs: index-only on PostgreSQL.
            models.Index(
                fields=["user", "date"],
                name="ledger_transfer_user_date",
                include=["from_account", "to_account", "amount_minor", "to_amount_minor"],
            ),
        ]


class CategoryName(models.Model):
    """How a user spells each of their categories: the spelling of their most recent write with that key, shown by
    analytics (whose rollups hold only the key). Upserted by every write that sets a category."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    key = models.CharField(max_length=200)
    name = models.CharField(max_length=50)
    used_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="ledger_categoryname_user_key")]


class BalanceVersion(models.Model):
    """Per-user generation of the balance cache, bumped in the same DB transaction as every write.

    The cache key includes it, so a cached balance computed before a write can never be served after that write
    commits, whatever Redis did meanwhile (see ledger/balance_cache.py).

    `volume_minor` is the sum of all the user's amounts (income and expense alike), kept in the same statement as
    the bump. Every figure the API or the aggregator computes for a user is a sum of some of those amounts, so
    bounding the volume (ledger.money.MAX_VOLUME_MINOR) bounds every figure: none can leave int64, in SQLite's
    SUM or in Go.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="balance_version"
    )
    version = models.BigIntegerField(default=0)
    # db_default too: writers outside Django (the benchmarks, later the Go binary) may bump a version without it.
    volume_minor = models.BigIntegerField(default=0, db_default=0)
    # The last sequence number given to one of the user's change rows (ledger.changes allocates from it under this
    # row's lock, so the sequence is gap-free and in commit order per user). db_default: writers outside Django.
    change_sequence = models.BigIntegerField(default=0, db_default=0)


class DirtyBucket(models.Model):
    """A (user, month) whose rollups are stale. API writes upsert it and bump `generation` in their own DB
    transaction; the aggregator deletes it only if `generation` is still the value it claimed."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.CharField(max_length=7)  # "YYYY-MM"
    generation = models.BigIntegerField(default=1)
    marked_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "month"], name="ledger_dirtybucket_user_month")]


class MonthlyRollup(models.Model):
    """Totals per (user, month, account, category, type), written by the Go aggregator only.

    `type` is an EntryKind: income and expense rows carry the category key; transfer_in / transfer_out rows (one
    per account leg, category "") carry what transfers moved, which account balances and running balances need and
    income/expense analytics ignore. The account fixes the currency of the totals.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="+", db_index=False)
    month = models.CharField(max_length=7)  # "YYYY-MM"
    category = models.CharField(max_length=200)  # the category key (ledger.categories); "" for transfers
    type = models.CharField(max_length=12, choices=EntryKind.choices)
    total_minor = models.BigIntegerField()
    transaction_count = models.IntegerField()  # rows (or transfer legs) summed

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "month", "account", "category", "type"], name="ledger_monthlyrollup_bucket_unique"
            )
        ]


class RollupFingerprint(models.Model):
    """Per user, an order-independent digest (XOR of a 64-bit hash per row) and count of their MonthlyRollup rows.

    Written by the Go aggregator on PostgreSQL in the same transaction as the rollups it describes: incremental
    batches fold in the hashes of the rows they change, a full rebuild stores the digest it computed. A full rebuild
    then compares digests, not rows: it reads back and rewrites the stored rollups of the users whose digest differs
    only. NULL means unknown (that user's rows are compared one by one on the next full rebuild); `--full --verify`
    compares every stored row whatever the digests say. SQLite runs compare every row and leave this table alone.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, primary_key=True, on_delete=models.CASCADE, related_name="+")
    digest = models.BigIntegerField(null=True)
    rollup_count = models.BigIntegerField(null=True)


class Budget(models.Model):
    """A monthly limit for one expense category in one currency, from `start_month` to `end_month` (open-ended when
    NULL). A category's budget history is its rows in month order: setting a new amount from a month on ends the
    earlier row the month before (ledger.services.budgets), so no two rows of a (user, category key, currency) cover
    one month. With `rollover`, what a month leaves (or overspends) is carried into the next month of the history."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    category = models.CharField(max_length=50)  # the spelling given; matched by category_key like every filter
    category_key = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    amount_minor = models.BigIntegerField()  # per month, in the currency's minor units
    start_month = models.CharField(max_length=7)  # "YYYY-MM"
    end_month = models.CharField(max_length=7, null=True, blank=True)  # inclusive; NULL: open-ended
    rollover = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def save(self, *args: object, **kwargs: object) -> None:
        self.category_key = category_key(self.category)
        super().save(*args, **kwargs)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gte=0), name="ledger_budget_amount_not_negative"),
            models.CheckConstraint(
                condition=Q(end_month__isnull=True) | Q(end_month__gte=models.F("start_month")),
                name="ledger_budget_months_ordered",
            ),
            models.UniqueConstraint(
                fields=["user", "currency", "category_key", "start_month"], name="ledger_budget_category_start"
            ),
        ]


class Frequency(models.TextChoices):
    DAILY = "daily", "Daily"
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    YEARLY = "yearly", "Yearly"


class RecurringRule(models.Model):
    """A transaction that repeats: occurrence n (from 0) falls `n * interval` days / weeks / months / years after
    `start_date` (ledger.schedules; month ends and 29 February clamp), until `end_date` or `count` occurrences.

    The Go aggregator records due occurrences as ordinary transactions. `next_index` is the first occurrence not yet
    recorded or passed over and `next_date` its date (NULL once the schedule has ended); both move forward only, in
    the same database transaction as the recording, under this row's lock, so each occurrence is recorded once.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    # RESTRICT: an account with rules cannot be deleted (the services answer ACCOUNT_NOT_EMPTY first).
    account = models.ForeignKey(Account, on_delete=models.RESTRICT, related_name="+", db_index=False)
    amount_minor = models.BigIntegerField()
    type = models.CharField(max_length=7, choices=TransactionType.choices)
    category = models.CharField(max_length=50, default=DEFAULT_CATEGORY)
    category_key = models.CharField(max_length=200)
    description = models.CharField(max_length=255, blank=True, default="")
    frequency = models.CharField(max_length=7, choices=Frequency.choices)
    interval = models.IntegerField(default=1)
    start_date = models.DateField()
    end_date = models.DateField(null=True, blank=True)
    count = models.IntegerField(null=True, blank=True)
    next_index = models.BigIntegerField(default=0)
    next_date = models.DateField(null=True, blank=True)
    paused = models.BooleanField(default=False)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    idempotency_fingerprint = models.CharField(max_length=64, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def save(self, *args: object, **kwargs: object) -> None:
        self.category_key = category_key(self.category)
        if kwargs.get("update_fields") is not None and "category" in kwargs["update_fields"]:
            kwargs["update_fields"] = {*kwargs["update_fields"], "category_key"}
        super().save(*args, **kwargs)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="ledger_recurringrule_amount_positive"),
            models.CheckConstraint(
                condition=Q(type__in=[t.value for t in TransactionType]), name="ledger_recurringrule_type_valid"
            ),
            models.CheckConstraint(
                condition=Q(frequency__in=[f.value for f in Frequency]), name="ledger_recurringrule_frequency_valid"
            ),
            models.CheckConstraint(condition=Q(interval__gte=1), name="ledger_recurringrule_interval_positive"),
            models.CheckConstraint(
                condition=Q(count__isnull=True) | Q(count__gte=1), name="ledger_recurringrule_count_positive"
            ),
            models.UniqueConstraint(
                fields=["user", "idempotency_key"],
                condition=Q(idempotency_key__isnull=False),
                name="ledger_recurringrule_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "start_date"], name="ledger_rule_user_start"),
            # The aggregator's scan for due rules: only active rules with a next occurrence.
            models.Index(
                fields=["next_date"],
                name="ledger_rule_due",
                condition=Q(paused=False, next_date__isnull=False),
            ),
        ]


class RecurringOccurrence(models.Model):
    """What happened to one occurrence of a rule: recorded (`transaction` set, or NULL once that transaction was
    deleted: deleting it does not bring the occurrence back) or skipped. Occurrences without a row are not yet
    recorded. Unique per (rule, date): the last guard against recording one twice."""

    rule = models.ForeignKey(RecurringRule, on_delete=models.CASCADE, related_name="+", db_index=False)
    date = models.DateField()
    transaction = models.ForeignKey(
        Transaction, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", db_index=False
    )
    skipped = models.BooleanField(default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rule", "date"], name="ledger_occurrence_rule_date")]
        indexes = [
            # SET_NULL on a transaction delete finds its occurrence by this index instead of a scan.
            models.Index(fields=["transaction"], name="ledger_occurrence_txn", condition=Q(transaction__isnull=False)),
        ]


class ChangeOperation(models.TextChoices):
    CREATED = "CREATED", "Created"
    UPDATED = "UPDATED", "Updated"
    DELETED = "DELETED", "Deleted"


class EntityType(models.TextChoices):
    """What a change row is about; upper case and stable (clients and the Go binary write and read these)."""

    TRANSACTION = "TRANSACTION", "Transaction"
    TRANSFER = "TRANSFER", "Transfer"
    ACCOUNT = "ACCOUNT", "Ledger account"
    BUDGET = "BUDGET", "Budget"
    RECURRING_RULE = "RECURRING_RULE", "Recurring rule"


class Change(models.Model):
    """One entity changed by one committed write: the change log behind the `changes` feed and `history`.

    Appended in the write's own database transaction through ledger.changes.record_changes (a rolled-back write
    leaves none). `sequence` is per user, gap-free and in commit order (allocated under the user's
    ledger_balanceversion row lock). `snapshot` is the entity after the change (before it, for a delete) as JSON:
    ids as strings, amounts as integer minor units with their currency, dates ISO. Rows older than
    CHANGE_RETENTION_DAYS are pruned by `manage.py prune_changes`, oldest first per user.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", db_index=False)
    sequence = models.BigIntegerField()
    entity_type = models.CharField(max_length=14, choices=EntityType.choices)
    entity_id = models.UUIDField()
    operation = models.CharField(max_length=7, choices=ChangeOperation.choices)
    at = models.DateTimeField()
    snapshot = models.JSONField()

    class Meta:
        constraints = [
            # The feed's keyset (user, sequence > n) and the last guard against two changes with one number.
            models.UniqueConstraint(fields=["user", "sequence"], name="ledger_change_user_sequence"),
        ]
        indexes = [
            # history(entityId): one record's changes in order.
            models.Index(fields=["user", "entity_id", "sequence"], name="ledger_change_user_entity"),
            # prune_changes: what is older than the retention, without reading the whole log.
            models.Index(fields=["at"], name="ledger_change_at"),
        ]
