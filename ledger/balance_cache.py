"""The one owner of the Redis figures keys: every cached money figure of a user (balance per currency, each ledger
account's balance, net worth) is derived from one LedgerFigures value cached under one key.

Design: the key carries a per-user version (`ledger_balanceversion.version`) that every write bumps inside its own
database transaction. A reader first reads the version from the database, then looks up
`<prefix>:figures:<user>:<version>` in Redis. Consequences:
- a write is visible to the very next read: the committed version names a key nobody has filled yet;
- the reader/writer race (a reader computes the old figures, the writer commits, the reader stores them) can only
  store old figures under the old version's key, which no later read asks for;
- a Redis that was unreachable during a write, or comes back with old data, still holds only old-version keys;
- with Redis down, reads compute from the database and writes do not touch Redis at all.
Concurrent misses for one key elect one computer with SET NX; the others wait briefly for its result.
"""

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection
from django_redis import get_redis_connection

from ledger.cache_metrics import BALANCE_CACHE_HITS, BALANCE_CACHE_MISSES
from ledger.models import Account, BalanceVersion, Transaction, Transfer
from ledger.money import MAX_VOLUME_MINOR, VolumeLimitExceeded
from storage.cache import REDIS_OUTAGE_ERRORS, RedisCommand, cache_key, send_after_commit

logger = logging.getLogger(__name__)

# How long a concurrent miss waits for the elected computer before computing by itself.
_FILL_WAIT_SECONDS = 2.0
_FILL_POLL_SECONDS = 0.005
_FILL_LOCK_MILLISECONDS = 5000


@dataclass(frozen=True)
class BalanceFigures:
    """Income and expense of the transactions in one currency (transfers never count)."""

    currency: str
    income_minor: int
    expense_minor: int
    transaction_count: int


@dataclass(frozen=True)
class AccountFigures:
    """What one ledger account's balance is made of, in its currency's minor units."""

    currency: str
    opening_minor: int
    income_minor: int = 0
    expense_minor: int = 0
    transaction_count: int = 0
    transfer_in_minor: int = 0
    transfer_out_minor: int = 0
    transfer_count: int = 0

    @property
    def balance_minor(self) -> int:
        return (
            self.opening_minor
            + self.income_minor
            - self.expense_minor
            + self.transfer_in_minor
            - self.transfer_out_minor
        )


@dataclass(frozen=True)
class LedgerFigures:
    """Every account of a user (archived ones too) by id (hex), and the currency of their default account."""

    default_currency: str
    accounts: dict[str, AccountFigures] = field(default_factory=dict)

    def balance(self, currency: str) -> BalanceFigures:
        income = expense = count = 0
        for figures in self.accounts.values():
            if figures.currency == currency:
                income += figures.income_minor
                expense += figures.expense_minor
                count += figures.transaction_count
        return BalanceFigures(currency, income, expense, count)

    def net_worth(self) -> dict[str, int]:
        """Sum of the account balances per currency, in code order."""
        totals: dict[str, int] = {}
        for figures in self.accounts.values():
            totals[figures.currency] = totals.get(figures.currency, 0) + figures.balance_minor
        return dict(sorted(totals.items()))

    def encode(self) -> bytes:
        accounts = {
            account_id: [
                f.currency,
                f.opening_minor,
                f.income_minor,
                f.expense_minor,
                f.transaction_count,
                f.transfer_in_minor,
                f.transfer_out_minor,
                f.transfer_count,
            ]
            for account_id, f in self.accounts.items()
        }
        return json.dumps([self.default_currency, accounts], separators=(",", ":")).encode()

    @classmethod
    def decode(cls, raw: bytes) -> "LedgerFigures":
        default_currency, accounts = json.loads(raw)
        return cls(default_currency, {account_id: AccountFigures(*values) for account_id, values in accounts.items()})


def figures_cache_key(user_id: object, version: int) -> str:
    return cache_key("figures", user_id, version)


def read_balance_version(user_id: object) -> int:
    """The committed version; 0 for a user who never wrote."""
    version = BalanceVersion.objects.filter(user_id=user_id).values_list("version", flat=True).first()
    return version or 0


def bump_balance_version(user_id: object, *, volume_change: int = 0) -> int:
    """Increment the user's version; call inside the write's atomic block. Returns the new version.

    `volume_change` is what the write adds to the user's volume (negative for a delete), applied in the same
    statement; raises VolumeLimitExceeded when the volume would pass MAX_VOLUME_MINOR, and the caller's atomic block
    then rolls the bump back with everything else. On PostgreSQL the upsert also takes the row lock that serializes
    one user's writes until commit.
    """
    version, volume = _apply(
        _BUMP.format(proposed="VALUES (%(user)s, 1, %(change)s)", sequence_column="")
        + " RETURNING version, volume_minor",
        user_id,
        volume_change,
    )
    if volume > MAX_VOLUME_MINOR and volume_change > 0:
        raise VolumeLimitExceeded(volume_change)
    forget_superseded_figures(user_id, version)
    return version


def bump_if_unchanged_sql(proposed: str, seen: str) -> str:
    """The bump as a data-modifying statement for a write done in one statement (ledger.services.single_statement).
    It bumps only a version still equal to `seen` (SQL: the version the writer's own reads saw) whose volume has room
    for %(change)s, and otherwise writes nothing; `proposed` (a SELECT of (%(user)s, 1, %(change)s, 1), under the
    writer's own conditions) is the row of a user who never wrote. It also takes one change sequence number
    (ledger.changes: a row can be modified once per statement, so the allocation joins the bump). RETURNING the new
    version and that sequence number. On PostgreSQL the conflict waits for a concurrent writer's commit and compares
    with what it committed."""
    return (
        _BUMP.format(proposed=proposed, sequence_column=", change_sequence")
        + ", change_sequence = ledger_balanceversion.change_sequence + 1"
        + f" WHERE ledger_balanceversion.version = {seen}"
        + f" AND ledger_balanceversion.volume_minor <= {MAX_VOLUME_MINOR} - %(change)s"
        + " RETURNING version, change_sequence"
    )


def forget_superseded_figures(user_id: object, version: int) -> None:
    """Tidy-up only (correctness comes from the version): drop the superseded key once the write is durable (at
    once outside an atomic block)."""
    send_after_commit(superseded_figures_deletion(user_id, version))


def superseded_figures_deletion(user_id: object, version: int) -> RedisCommand:
    """The DEL forget_superseded_figures sends, for a write that sends it with other commands (storage.cache)."""
    return RedisCommand(("DEL", figures_cache_key(user_id, version - 1)), logger, "balance cache tidy-up skipped")


def add_volume(user_id: object, volume_change: int) -> None:
    """Change the volume of a user whose version this write already bumped (when the change was not known then)."""
    _, volume = _apply(
        f"UPDATE ledger_balanceversion SET {_ADD_VOLUME} WHERE user_id = %(user)s RETURNING version, volume_minor",
        user_id,
        volume_change,
    )
    if volume > MAX_VOLUME_MINOR and volume_change > 0:
        raise VolumeLimitExceeded(volume_change)
    if volume_change < 0 and volume - volume_change == _INT64_MAX:
        # Only rows stored before the bound existed can leave a volume clamped at int64's end by migration 0003 (the
        # true sum did not fit): subtracting from a clamp would drift below the truth, so recount instead.
        _recount_volume(user_id)


def _recount_volume(user_id: object) -> None:
    # Summed in Python: SQLite's SUM raises past int64, which is exactly the case here. The volume is every amount
    # the figures add up: transactions, both legs of transfers, and opening balances (by size).
    amounts = Transaction.objects.filter(user_id=user_id).values_list("amount_minor", flat=True)
    legs = Transfer.objects.filter(user_id=user_id).values_list("amount_minor", "to_amount_minor")
    openings = Account.objects.filter(user_id=user_id).values_list("opening_balance_minor", flat=True)
    volume = sum(amounts.iterator(10_000)) + sum(a + b for a, b in legs.iterator(10_000)) + sum(map(abs, openings))
    volume = min(volume, _INT64_MAX)
    BalanceVersion.objects.filter(user_id=user_id).update(volume_minor=volume)


_INT64_MAX = 2**63 - 1
# Adds only while the stored volume is within the bound: rows stored before the bound existed may put a volume near
# int64's end, where the sum itself would overflow; such a volume stays as it is and positive changes are refused.
_ADD_VOLUME = (
    f"volume_minor = CASE WHEN %(change)s > 0 AND ledger_balanceversion.volume_minor > {MAX_VOLUME_MINOR} "
    "THEN ledger_balanceversion.volume_minor ELSE ledger_balanceversion.volume_minor + %(change)s END"
)
_BUMP = (
    "INSERT INTO ledger_balanceversion (user_id, version, volume_minor{sequence_column}) {proposed} "
    f"ON CONFLICT (user_id) DO UPDATE SET version = ledger_balanceversion.version + 1, {_ADD_VOLUME}"
)


def _apply(sql: str, user_id: object, volume_change: int) -> tuple[int, int]:
    if volume_change > MAX_VOLUME_MINOR:
        raise VolumeLimitExceeded(volume_change)
    user_param = BalanceVersion._meta.get_field("user").get_db_prep_value(user_id, connection)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"user": user_param, "change": volume_change})
        return cursor.fetchone()


def cached_figures(
    user_id: object, compute: Callable[[], LedgerFigures], *, version: int | None = None
) -> LedgerFigures:
    """The user's figures from Redis, or from `compute` (stored for the next reader) on a miss.

    `version` may be passed when it was read in this request after the caller's last write; otherwise it is read
    here.
    """
    key = figures_cache_key(user_id, read_balance_version(user_id) if version is None else version)
    figures = None
    try:
        client = get_redis_connection("default")
        raw = client.get(key)
        if raw is not None:
            BALANCE_CACHE_HITS.inc()
            return LedgerFigures.decode(raw)
        if client.set(f"{key}:fill", b"1", nx=True, px=_FILL_LOCK_MILLISECONDS):
            try:
                BALANCE_CACHE_MISSES.inc()
                figures = compute()
                client.set(key, figures.encode(), ex=settings.BALANCE_CACHE_TTL)
                return figures
            finally:
                client.delete(f"{key}:fill")
        deadline = time.monotonic() + _FILL_WAIT_SECONDS
        while time.monotonic() < deadline:
            time.sleep(_FILL_POLL_SECONDS)
            raw = client.get(key)
            if raw is not None:
                BALANCE_CACHE_HITS.inc()
                return LedgerFigures.decode(raw)
    except REDIS_OUTAGE_ERRORS as error:
        logger.warning("figures cache unavailable, computing from the database: %s", error)
        if figures is not None:
            return figures
    BALANCE_CACHE_MISSES.inc()
    return compute()


def cached_answer(
    user_id: object,
    version: int | None,
    name: str,
    arguments: tuple,
    compute: Callable[[], object],
    *,
    encode: Callable[[object], object],
    decode: Callable[[object], object],
) -> object:
    """An answer that is a function of the user's committed data and the arguments alone (analytics), cached under
    the user's version like the figures: a write bumps the version, so no answer from before it is served after it,
    and an aggregator run changes no answer (rollups + live dirty buckets are exact either way). Errors of `compute`
    (bad arguments) are raised, never cached. `encode`/`decode` turn the answer into JSON-able values and back."""
    version = read_balance_version(user_id) if version is None else version
    digest = hashlib.sha256(json.dumps(arguments, separators=(",", ":")).encode()).hexdigest()[:32]
    key = cache_key(name, user_id, version, digest)
    try:
        client = get_redis_connection("default")
        raw = client.get(key)
        if raw is not None:
            return decode(json.loads(raw))
    except REDIS_OUTAGE_ERRORS as error:
        logger.warning("%s cache unavailable, computing from the database: %s", name, error)
        return compute()
    answer = compute()
    try:
        client.set(key, json.dumps(encode(answer), separators=(",", ":")), ex=settings.BALANCE_CACHE_TTL)
    except REDIS_OUTAGE_ERRORS as error:
        logger.warning("%s cache unavailable, not stored: %s", name, error)
    return answer
