"""The authenticated user's row, read on every request."""

import uuid

from django.db import connection

from accounts.models import User
from ledger.models import BalanceVersion
from ledger.services.bookkeeping import (
    ACCOUNT_FOR_WRITE_COLUMNS,
    AccountForWrite,
    account_choice,
    account_for_write_from_row,
)
from storage.connections import prepared_cursor
from storage.rows import model_from_row


def user_for_request(user_id: uuid.UUID, *, with_balance_version: bool) -> tuple[User | None, int | None]:
    """The user with this id and, when asked for, their committed balance version (0 if they never wrote), in one
    statement; (None, None) when there is no such user.

    Raw SQL on purpose: this runs on every authenticated request, and composing the equivalent ORM query cost about
    as much as the database round trip; on PostgreSQL it is a prepared statement (storage.connections), so it is not
    planned again on every call either. Columns not selected are deferred (loaded on first access), so the instance
    is a normal user for every other purpose.
    """
    if with_balance_version:
        sql = (
            f"SELECT {_USER_COLUMNS}, COALESCE(v.version, 0) AS committed_balance_version "  # noqa: S608 (no client input)
            f"FROM {_USERS} u LEFT JOIN {_VERSIONS} v ON v.user_id = u.id WHERE u.id = %s"
        )
    else:
        sql = f"SELECT {_USER_COLUMNS} FROM {_USERS} u WHERE u.id = %s"  # noqa: S608 (no client input)
    row = _read(sql, [], user_id)
    if row is None:
        return None, None
    return _user_from_row(row), (row[len(_USER_FIELDS)] if with_balance_version else None)


def user_for_write(user_id: uuid.UUID, *, account_id: object) -> tuple[User | None, AccountForWrite | None]:
    """user_for_request's user, with the ledger account a write names (`account_id`; their default account when
    None) and their balance version, read as ledger.services.bookkeeping.account_for_write reads them, in the same
    statement: a create's caller and target in one round trip. (None, None) when there is no such user; the account
    None when they have no such account or the id is malformed (the write then reads it itself and answers as
    account_for_write does)."""
    which = account_choice(account_id)
    if which is None:
        user, _ = user_for_request(user_id, with_balance_version=False)
        return user, None
    condition, params = which
    sql = (
        f"SELECT {_USER_COLUMNS}, {ACCOUNT_FOR_WRITE_COLUMNS} FROM {_USERS} u "  # noqa: S608 (no client input)
        f"LEFT JOIN ledger_account a ON a.user_id = u.id AND {condition} "
        f"LEFT JOIN {_VERSIONS} v ON v.user_id = u.id WHERE u.id = %s"
    )
    row = _read(sql, params, user_id)
    if row is None:
        return None, None
    return _user_from_row(row), account_for_write_from_row(row[len(_USER_FIELDS) :])


def _read(sql: str, params: list[object], user_id: uuid.UUID) -> tuple | None:
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*params, User._meta.pk.get_db_prep_value(user_id, connection)])
        return cursor.fetchone()


def _user_from_row(row: tuple) -> User:
    return model_from_row(User, _USER_FIELDS, row[: len(_USER_FIELDS)])  # the other columns deferred


_USERS, _VERSIONS = User._meta.db_table, BalanceVersion._meta.db_table
_USER_FIELDS = ["id", "username", "email", "is_active", "token_version"]
_USER_COLUMNS = ", ".join(f"u.{name}" for name in _USER_FIELDS)
