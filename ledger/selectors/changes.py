"""Reads of the change log (ledger.changes): the `changes` feed and a record's `history`.

Why a reader never misses a change: sequence numbers are gap-free and in commit order per user, so the caller's
changes visible to one snapshot are exactly 1..N (minus what retention pruned, always a prefix), and N is the
counter on their version row. A page is read in one snapshot with that counter, so it can tell "nothing new" from
"pruned" and from "the cursor is ahead of the log" (a database restored from a backup older than the client's
cursor): the last two are CURSOR_EXPIRED, for the client to re-sync from the full queries.
"""

import base64
import binascii
import copy
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from accounts.models import User
from ledger import error_codes
from ledger.changes import ENTITY_TYPES
from ledger.models import Account, AccountKind, BalanceVersion, Change, EntityType, RecurringRule, Transaction, Transfer
from ledger.validation import invalid, page_size, parse_transaction_id
from storage.connections import read_snapshot

DEFAULT_CHANGES_PAGE_SIZE = 100


@dataclass(frozen=True)
class ChangePage:
    """Changes after a cursor, oldest first; `cursor` resumes after the last of them (or where the read was, when
    there were none)."""

    changes: list[Change]
    cursor: str
    has_more: bool


def change_page(*, user: User, after: str | None, first: int | None) -> ChangePage:
    """The caller's changes after `after` (from the oldest retained one when None), oldest first, at most `first`
    (DEFAULT_CHANGES_PAGE_SIZE when None, capped at GRAPHQL_MAX_PAGE_SIZE). INVALID_CURSOR for a cursor this API did
    not return; CURSOR_EXPIRED when changes after it were pruned, or it is ahead of the log."""
    size = page_size(first, default=DEFAULT_CHANGES_PAGE_SIZE)
    seen = None if after is None else decode_change_cursor(after)
    with read_snapshot():
        # The counter first: where there is no snapshot (SQLite), a change committed between the two reads then shows
        # up in the rows (as new), never as a counter ahead of the rows (which would look like pruning).
        last = last_change_sequence(user)
        rows = Change.objects.filter(user_id=user.pk).order_by("sequence")
        if seen is not None:
            rows = rows.filter(sequence__gt=seen)
        page = list(rows[: size + 1])
    if seen is not None:
        # Pruned: the first change after the cursor is gone (with nothing left, the counter says it existed).
        pruned = page[0].sequence != seen + 1 if page else last > seen
        if pruned or seen > last:
            raise invalid(
                "after",
                "This cursor is older than the change log's retention (or ahead of the log): re-sync from the full "
                "queries, then follow changes from changeCursor.",
                error_codes.CURSOR_EXPIRED,
            )
    changes = page[:size]
    if changes:
        position = changes[-1].sequence
    elif seen is not None:
        position = seen
    else:  # from the start with nothing retained (or asked for none): before the oldest retained change
        position = page[0].sequence - 1 if page else last
    return ChangePage(changes=changes, cursor=encode_change_cursor(position), has_more=len(page) > size)


def change_history(*, user: User, entity_id: object) -> list[Change]:
    """Every retained change of one of the caller's records, oldest first; empty for anything else (another user's
    id, a malformed one), so ids reveal nothing."""
    pk = parse_transaction_id(entity_id)
    if pk is None:
        return []
    return list(Change.objects.filter(user_id=user.pk, entity_id=pk).order_by("sequence"))


def change_cursor(*, user: User) -> str:
    """The cursor after the caller's latest change: store it before a full read, then follow `changes` from it."""
    return encode_change_cursor(last_change_sequence(user))


def last_change_sequence(user: User) -> int:
    """The sequence number of the caller's latest change; 0 before their first."""
    last = BalanceVersion.objects.filter(user_id=user.pk).values_list("change_sequence", flat=True).first()
    return last or 0


def encode_change_cursor(sequence: int) -> str:
    """Opaque to clients: the sequence number of the last change seen."""
    return base64.urlsafe_b64encode(f"changes|{sequence}".encode()).decode()


def decode_change_cursor(cursor: object) -> int:
    try:
        kind, _, sequence = base64.urlsafe_b64decode(str(cursor).encode("ascii")).decode("ascii").partition("|")
        if kind == "changes" and sequence.isdigit():
            return int(sequence)
    except (ValueError, binascii.Error, UnicodeError):
        pass
    raise invalid("after", "Not a cursor returned by changes.", error_codes.INVALID_CURSOR)


_MODELS = {entity_type: model for model, entity_type in ENTITY_TYPES.items()}
# The accounts an entity's amounts are in, and the snapshot key of each one's currency.
_ACCOUNT_LINKS = {
    Transaction: [("account", "currency")],
    RecurringRule: [("account", "currency")],
    Transfer: [("from_account", "from_currency"), ("to_account", "to_currency")],
}


def entity_of(change: Change, live_account: Callable[[uuid.UUID], Account | None]) -> object:
    """The entity as the change's snapshot holds it: an unsaved model instance (as it was, not as it is now). The
    ledger accounts of a transaction, transfer or rule are `live_account(id)` when the caller still has them (their
    currency the one the snapshot's amounts are in), else the account as its last change left it."""
    model = _MODELS[change.entity_type]
    snapshot = change.snapshot
    values = {
        field.attname: field.to_python(snapshot[field.attname])
        for field in model._meta.concrete_fields
        if field.attname in snapshot
    }
    entity = model(user_id=change.user_id, **values)
    for link, currency_key in _ACCOUNT_LINKS.get(model, []):
        account_id = getattr(entity, f"{link}_id")
        account = live_account(account_id) or _last_known_account(change, account_id, snapshot[currency_key])
        if account.currency != snapshot[currency_key]:  # the account changed currency since (it had no entries)
            account = copy.copy(account)
            account.currency = snapshot[currency_key]
        setattr(entity, link, account)
    return entity


def _last_known_account(change: Change, account_id: uuid.UUID, currency: str) -> Account:
    """A deleted account as its last retained change left it; a stand-in with its id and currency otherwise."""
    last = (
        Change.objects.filter(user_id=change.user_id, entity_id=account_id, entity_type=EntityType.ACCOUNT)
        .order_by("-sequence")
        .first()
    )
    if last is not None:
        return entity_of(last, lambda _: None)
    return Account(
        id=account_id,
        user_id=change.user_id,
        name="",
        kind=AccountKind.OTHER,
        currency=currency,
        archived=True,
        created_at=change.at,
        updated_at=change.at,
    )
