"""`manage.py export_transactions --user USERNAME [--account NAME] [FILE]`: a user's transactions as CSV, streamed."""

from collections.abc import Callable, Iterable
from pathlib import Path

from django.core.management.base import BaseCommand, CommandParser
from tqdm import tqdm

from ledger.exports import transactions_export
from ledger.management.owner import ledger_account_by_name, user_by_username
from ledger.management.progress import progress_bar
from ledger.selectors import TransactionFilters


class Command(BaseCommand):
    help = (
        "Write a user's transactions as CSV (date,description,amount,type,category,account,currency; amount signed, "
        "in its currency's digits), oldest first, to FILE or standard output. import_transactions reads it back "
        "exactly, each row into its account."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-", help="where to write (default: standard output)")
        parser.add_argument("--user", required=True, help="username of the owner (any case)")
        parser.add_argument("--account", help="only the owner's ledger account of this name (any case)")

    def handle(self, *args: object, file: str, user: str, account: str | None, **options: object) -> None:
        owner = user_by_username(user)
        filters = None if account is None else TransactionFilters(account_id=ledger_account_by_name(owner, account).pk)
        export = transactions_export(user=owner, filters=filters)
        total = export.row_count()
        with progress_bar(total=total, unit="rows", desc="export") as bar:
            if file == "-":
                try:
                    _write(export.lines(), lambda line: self.stdout.write(line, ending=""), bar)
                except BrokenPipeError:  # `... | head`: the reader has seen enough
                    return
            else:
                with Path(file).open("w", encoding="utf-8", newline="") as out:
                    _write(export.lines(), out.write, bar)
        self.stderr.write(f"exported {total} transaction(s)")


def _write(lines: Iterable[str], write: Callable[[str], object], bar: tqdm) -> None:
    for number, line in enumerate(lines):
        write(line)
        if number:  # the header is not a transaction
            bar.update(1)
