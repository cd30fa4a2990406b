"""`manage.py prune_changes [--days N]`: delete change-log rows older than the retention (run it daily, e.g. cron)."""

import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from ledger.changes import prune_changes


class Command(BaseCommand):
    help = (
        "Delete the change log's rows older than CHANGE_RETENTION_DAYS (or --days). Clients whose cursor points "
        "before what is left get CURSOR_EXPIRED from `changes` and re-sync from the full queries."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--days", type=int, default=None, help="retention in days (default: the setting)")

    def handle(self, *args: object, days: int | None, **options: object) -> None:
        retention = settings.CHANGE_RETENTION_DAYS if days is None else days
        if retention < 1:
            self.stderr.write("--days must be 1 or more")
            raise SystemExit(2)
        deleted = prune_changes(older_than=timezone.now() - datetime.timedelta(days=retention))
        self.stdout.write(f"deleted {deleted} changes older than {retention} days")
