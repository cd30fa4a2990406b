"""Migration operations that change PostgreSQL indexes without blocking the API's writes.

A plain AddIndex/RemoveIndex runs in the migration's transaction and holds its table lock until commit: replacing an
index of ledger_transaction would stop every API read and write for the whole build. These use CREATE/DROP INDEX
CONCURRENTLY on PostgreSQL (the migration must set `atomic = False`) and the plain operation elsewhere (SQLite has no
concurrent build and locks the whole file for any write anyway).
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db.migrations.operations import AddIndex, RemoveIndex


class _PlainElsewhere:
    """Runs the concurrent operation (the next class in the MRO) on PostgreSQL and `plain` on other databases."""

    plain: type[AddIndex] | type[RemoveIndex]

    def database_forwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)
        else:
            self.plain.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state) -> None:
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)
        else:
            self.plain.database_backwards(self, app_label, schema_editor, from_state, to_state)


class AddIndexConcurrentlyOnPostgres(_PlainElsewhere, AddIndexConcurrently):
    plain = AddIndex


class RemoveIndexConcurrentlyOnPostgres(_PlainElsewhere, RemoveIndexConcurrently):
    plain = RemoveIndex
