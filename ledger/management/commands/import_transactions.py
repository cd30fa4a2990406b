"""`manage.py import_transactions FILE --user USERNAME`: a bank-export CSV in, all or nothing (see ledger.csv_io)."""

import io
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ledger.imports import transactions_import
from ledger.management.owner import user_by_username
from ledger.management.progress import ProgressReader, progress_bar


class Command(BaseCommand):
    help = (
        "Import a CSV (date, description, amount with sign or a type column, category) as a user's transactions. "
        "All or nothing; re-importing the same rows creates nothing new. FILE - reads standard input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8, header row first), or - for standard input")
        parser.add_argument("--user", required=True, help="username of the owner (any case)")

    def handle(self, *args: object, file: str, user: str, **options: object) -> None:
        owner = user_by_username(user)
        if file == "-":
            result = transactions_import(user=owner, lines=io.TextIOWrapper(sys.stdin.buffer, "utf-8-sig", newline=""))
        else:
            path = Path(file)
            if not path.is_file():
                raise CommandError(f"{file}: no such file")
            # Read through a byte counter: the file streams in (never whole in memory) and the bar moves with it.
            with path.open("rb") as raw, progress_bar(total=path.stat().st_size, unit="B", desc="import") as bar:
                text = io.TextIOWrapper(io.BufferedReader(ProgressReader(raw, bar)), "utf-8-sig", newline="")
                result = transactions_import(user=owner, lines=text)
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"{error.code}: {error.message}")
            raise CommandError(f"{len(result.errors)} error(s); nothing was imported")
        self.stdout.write(f"imported {result.imported}, skipped {result.skipped} (already imported)")
