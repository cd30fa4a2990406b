"""The ledger account each user's last create went to, remembered per process so that the next create can skip reading
its caller and account before it writes (ledger.services.transactions.transaction_create_for_token).

Keyed by (user id, the account id as the request named it, None for their default account), holding the account's id
and currency. Never trusted: the one statement that writes checks the account again in its own snapshot (still the
user's, not archived, in this currency, still their default when unnamed) and the caller too (active, of this token
generation). A miss, or a check that fails, sends the create down the path that reads them, so a stale entry costs one
statement and never changes an answer. An entry is written only after a create by that user to that account.
"""

from dataclasses import dataclass

# Entries per process: one per (user, account) written to lately; the oldest goes first beyond it.
CAPACITY = 10_000


@dataclass(frozen=True, slots=True)
class WriteTarget:
    account_pk: object
    currency: str


_targets: dict[tuple[object, object], WriteTarget] = {}


def remembered_target(user_id: object, account_id: object) -> WriteTarget | None:
    return _targets.get((user_id, account_id))


def remember_target(user_id: object, account_id: object, target: WriteTarget) -> None:
    key = (user_id, account_id)
    _targets.pop(key, None)  # re-inserted last: the dict's order is the eviction order
    _targets[key] = target
    while len(_targets) > CAPACITY:
        try:
            del _targets[next(iter(_targets))]
        except (KeyError, StopIteration, RuntimeError):  # another thread of a gthread worker evicted it first
            break


def forget_target(user_id: object, account_id: object) -> None:
    _targets.pop((user_id, account_id), None)


def forget_all_targets() -> None:
    """Tests: a process that has not written yet."""
    _targets.clear()
