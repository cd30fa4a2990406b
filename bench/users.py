"""Users for the benchmarks, created in bulk.

The first user goes through the ORM, so every column of accounts_user gets its model default whatever columns the
table has by now; the others are SQL copies of that row with their own id, username and email.
"""

import psycopg


def insert_users(conn: psycopg.Connection, *, first: str, prefix: str, count: int, password_hash: str) -> None:
    """User `first`, then `count` users named `<prefix>0` .. `<prefix><count-1>`, all with `password_hash`."""
    from accounts.models import User

    User.objects.create(username=first, email=f"{first}@bench.example", password=password_hash)
    columns = [
        row[0]
        for row in conn.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_name = 'accounts_user' AND table_schema = current_schema() "
            "AND column_name NOT IN ('id', 'username', 'email')"
        )
    ]
    copied = ", ".join(f'"{column}"' for column in columns)
    conn.execute(
        f"""
        INSERT INTO accounts_user (id, username, email, {copied})
        SELECT gen_random_uuid(), %(prefix)s || n, %(prefix)s || n || '@bench.example', {copied}
        FROM accounts_user, generate_series(0, %(count)s - 1) AS n
        WHERE username = %(first)s
        """,
        {"first": first, "prefix": prefix, "count": count},
    )
