"""`manage.py import_transactions FILE --user USERNAME [--account NAME]`: a bank-export CSV in, all or nothing (see
ledger.csv_io)."""

import io
import sys
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.models import User
from ledger.imports import ImportResult, transactions_import
from ledger.management.owner import ledger_account_by_name, user_by_username
from ledger.management.progress import ProgressReader, progress_bar


class Command(BaseCommand):
    help = (
        "Import a CSV (date, description, amount with sign or a type column, category, account, currency) as a "
        "user's transactions: into --account, or each row into the account its account column names (the default "
        "account when it has none). All or nothing; re-importing the same rows creates nothing new. FILE - reads "
        "standard input."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8, header row first), or - for standard input")
        parser.add_argument("--user", required=True, help="username of the owner (any case)")
        parser.add_argument(
            "--account", help="import every row into the owner's ledger account of this name (any case)"
        )

    def handle(self, *args: object, file: str, user: str, account: str | None, **options: object) -> None:
        owner = user_by_username(user)
        account_id = None if account is None else ledger_account_by_name(owner, account).pk
        try:
            result = self._import(owner, file, account_id)
        except ValidationError as error:  # the account itself was refused (archived)
            raise CommandError("; ".join(error.messages)) from None
        if result.errors:
            for error in result.errors:
                self.stderr.write(f"{error.code}: {error.message}")
            raise CommandError(f"{len(result.errors)} error(s); nothing was imported")
        self.stdout.write(f"imported {result.imported}, skipped {result.skipped} (already imported)")

    def _import(self, owner: User, file: str, account_id: object) -> ImportResult:
        if file == "-":
            lines = io.TextIOWrapper(sys.stdin.buffer, "utf-8-sig", newline="")
            return transactions_import(user=owner, lines=lines, account_id=account_id)
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"{file}: no such file")
        # Read through a byte counter: the file streams in (never whole in memory) and the bar moves with it.
        with path.open("rb") as raw, progress_bar(total=path.stat().st_size, unit="B", desc="import") as bar:
            text = io.TextIOWrapper(io.BufferedReader(ProgressReader(raw, bar)), "utf-8-sig", newline="")
            return transactions_import(user=owner, lines=text, account_id=account_id)
