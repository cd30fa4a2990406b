"""The authenticated user's row, read on every request."""

import uuid

from django.db import connection

from accounts.models import User
from ledger.models import BalanceVersion
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
    users, versions = User._meta.db_table, BalanceVersion._meta.db_table
    columns = "u.id, u.username, u.email, u.is_active, u.token_version"
    if with_balance_version:
        sql = (
            f"SELECT {columns}, COALESCE(v.version, 0) AS committed_balance_version "  # noqa: S608 (no client input)
            f"FROM {users} u LEFT JOIN {versions} v ON v.user_id = u.id WHERE u.id = %s"
        )
    else:
        sql = f"SELECT {columns} FROM {users} u WHERE u.id = %s"  # noqa: S608 (no client input)
    user_param = User._meta.pk.get_db_prep_value(user_id, connection)
    with prepared_cursor() as cursor:
        cursor.execute(sql, [user_param])
        row = cursor.fetchone()
    if row is None:
        return None, None
    user = model_from_row(User, _USER_FIELDS, row[: len(_USER_FIELDS)])  # the other columns deferred
    return user, (row[len(_USER_FIELDS)] if with_balance_version else None)


_USER_FIELDS = ["id", "username", "email", "is_active", "token_version"]
