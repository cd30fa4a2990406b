"""Django's `migrate`, one run at a time per PostgreSQL database.

Several hosts started together (`make run` migrates on every start) would otherwise run the same migrations at
once, and on a new database one of them fails (`IntegrityError` on PostgreSQL's catalog). Each run holds a session
advisory lock for its whole duration; the others wait, then find nothing left to apply. SQLite is one machine and
serializes writers by itself.
"""

import time

from django.core.management.commands.migrate import Command as DjangoMigrate
from django.db import DatabaseError, connections

# "migrate" in ASCII; distinct from the aggregator's rebuild lock (0x6c6564676572, "ledger").
MIGRATION_LOCK_KEY = 0x6D696772617465


class Command(DjangoMigrate):
    help = DjangoMigrate.help + " On PostgreSQL, runs on several hosts at once wait for each other."

    def handle(self, *args: object, **options: object) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            return super().handle(*args, **options)
        # Polled, not waited for in pg_advisory_lock: a waiting statement is an open transaction, which a CREATE INDEX
        # CONCURRENTLY in the running migration would wait for in turn (a deadlock PostgreSQL reports).
        with connection.cursor() as cursor:
            while True:
                cursor.execute("SELECT pg_try_advisory_lock(%s)", [MIGRATION_LOCK_KEY])
                if cursor.fetchone()[0]:
                    break
                time.sleep(0.2)
        try:
            return super().handle(*args, **options)
        finally:
            try:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [MIGRATION_LOCK_KEY])
            except DatabaseError:
                pass  # the session is gone, and its lock with it; the migration's own error is the one to show
