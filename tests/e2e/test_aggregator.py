"""The real Go binary against the test database, between and during API writes: analytics stay exact."""

import json
import random
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from accounts.tokens import issue_token_pair
from ledger.models import DirtyBucket, MonthlyRollup
from tests.conftest import GraphQLClient, create, make_user
from tests.schema.test_analytics import BREAKDOWN, MONTHLY
from tests.schema.test_update_delete_transaction import DELETE, UPDATE

pytestmark = pytest.mark.e2e

AGGREGATOR = Path(__file__).resolve().parents[2] / "go_aggregator" / "bin" / "aggregator"
# Spellings of one category count as one (trimmed, Unicode case folding): the shared vectors of ledger.categories,
# from the API through the Go binary's rollups to the analytics.
CATEGORIES = ["Rent", "rent", "Groceries", "GROCERIES ", "Salary", "Straße", "STRASSE", "İstanbul", "i̇stanbul", "Fun"]
MONTHS = [f"{year}-{month:02d}" for year in (2025, 2026) for month in range(1, 13)][:18]


def database_url() -> str:
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return f"postgres://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"


def aggregator(*args: str) -> subprocess.Popen:
    assert AGGREGATOR.exists(), "go_aggregator/bin/aggregator is built by `make test`"
    return subprocess.Popen(
        [str(AGGREGATOR), "--database-url", database_url(), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def cents(text: str) -> int:
    units, _, fraction = text.partition(".")
    return int(units) * 100 + int(fraction)


class Ledger:
    """What the API was told, kept independently of the server: id -> (user, cents, type, category, month)."""

    def __init__(self) -> None:
        self.rows: dict[str, tuple[int, int, str, str, str]] = {}
        self.names: dict[tuple[int, str], str] = {}  # (user, category key) -> the spelling written last

    def wrote_category(self, user: int, category: str) -> None:
        self.names[(user, key_of(category))] = category.strip()

    def monthly(self, user: int, months: list[str]) -> list[dict]:
        sums = {month: [0, 0, 0] for month in months}
        for owner, amount, kind, _, month in self.rows.values():
            if owner == user and month in sums:
                sums[month][0 if kind == "INCOME" else 1] += amount
                sums[month][2] += 1
        return [
            {"month": m, "income": fmt(i), "expense": fmt(e), "net": fmt(i - e), "transactionCount": n}
            for m, (i, e, n) in sums.items()
        ]

    def breakdown(self, user: int, months: list[str]) -> list[dict]:
        sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
        for owner, amount, kind, category, month in self.rows.values():
            if owner == user and month in months:
                name = self.names[(user, key_of(category))]
                sums[(name, kind)][0] += amount
                sums[(name, kind)][1] += 1
        rows = sorted(sums.items(), key=lambda item: (-item[1][0], item[0][0], item[0][1]))
        return [{"category": c, "type": k, "total": fmt(t), "transactionCount": n} for (c, k), (t, n) in rows]


def key_of(category: str) -> str:
    return category.strip().casefold()


def fmt(amount: int) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}{abs(amount) // 100}.{abs(amount) % 100:02d}"


def random_write(rng: random.Random, clients: list[GraphQLClient], ledger: Ledger) -> None:
    user = rng.randrange(len(clients))
    client = clients[user]
    mine = [txn_id for txn_id, row in ledger.rows.items() if row[0] == user]
    action = rng.choice(["create", "create", "create", "update", "delete"]) if mine else "create"
    if action == "create":
        amount, kind = rng.randint(1, 500_000), rng.choice(["INCOME", "EXPENSE"])
        category, month = rng.choice(CATEGORIES), rng.choice(MONTHS)
        txn = create(client, fmt(amount), kind, category=category, date=f"{month}-{rng.randint(1, 28):02d}")
        ledger.rows[txn["id"]] = (user, amount, kind, category, month)
        ledger.wrote_category(user, category)
    elif action == "update":
        txn_id = rng.choice(mine)
        _, amount, kind, category, month = ledger.rows[txn_id]
        change: dict[str, str] = {}
        for field in rng.sample(["amount", "type", "category", "date"], rng.randint(1, 4)):
            if field == "amount":
                amount = rng.randint(1, 500_000)
                change["amount"] = fmt(amount)
            elif field == "type":
                kind = "INCOME" if kind == "EXPENSE" else "EXPENSE"
                change["type"] = kind
            elif field == "category":
                category = rng.choice(CATEGORIES)
                change["category"] = category
            else:
                month = rng.choice(MONTHS)
                change["date"] = f"{month}-{rng.randint(1, 28):02d}"
        payload = client.data(UPDATE, {"id": txn_id, "input": change})["updateTransaction"]
        assert payload["errors"] == []
        ledger.rows[txn_id] = (user, amount, kind, category, month)
        if "category" in change:
            ledger.wrote_category(user, category)
    else:
        txn_id = rng.choice(mine)
        assert client.data(DELETE, {"id": txn_id})["deleteTransaction"]["errors"] == []
        del ledger.rows[txn_id]


def assert_analytics_exact(clients: list[GraphQLClient], ledger: Ledger) -> None:
    for user, client in enumerate(clients):
        monthly = client.data(MONTHLY, {"from": MONTHS[0], "to": MONTHS[-1]})["monthlySummary"]
        assert monthly == ledger.monthly(user, MONTHS)
        breakdown = client.data(BREAKDOWN, {"from": MONTHS[0], "to": MONTHS[-1]})["categoryBreakdown"]
        assert breakdown == ledger.breakdown(user, MONTHS)


@pytest.mark.django_db(transaction=True)
def test_random_writes_with_aggregator_runs_between_and_during_stay_exact() -> None:
    rng = random.Random(20261125)
    users = [make_user(f"agg{n}") for n in range(3)]
    clients = [GraphQLClient(http=Client(), token=issue_token_pair(user).token) for user in users]
    ledger = Ledger()
    for round_number in range(6):
        for _ in range(25):
            random_write(rng, clients, ledger)
        if round_number % 3 == 0:
            summary = finish(aggregator("--once"))
            assert summary["mode"] == "incremental" and summary["buckets_updated"] > 0
        elif round_number % 3 == 1:
            first, second = aggregator("--once", "--workers", "2"), aggregator("--once", "--workers", "1")
            finish(first), finish(second)
        else:
            running = aggregator("--once")
            for _ in range(15):
                random_write(rng, clients, ledger)
            finish(running)
        assert_analytics_exact(clients, ledger)

    finish(aggregator("--once"))
    assert DirtyBucket.objects.count() == 0
    assert_analytics_exact(clients, ledger)
    rollups = {
        (str(r.user_id), r.month, r.category, r.type): (r.total_minor, r.transaction_count)
        for r in MonthlyRollup.objects.all()
    }
    expected: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for owner, amount, kind, category, month in ledger.rows.values():
        bucket = expected[(str(users[owner].pk), month, key_of(category), kind.lower())]
        bucket[0] += amount
        bucket[1] += 1
    assert rollups == {key: tuple(value) for key, value in expected.items()}

    before = dict(rollups)
    summary = finish(aggregator("--full"))
    assert summary["mode"] == "full"
    assert summary["rows_read"] == len(ledger.rows)
    after = {
        (str(r.user_id), r.month, r.category, r.type): (r.total_minor, r.transaction_count)
        for r in MonthlyRollup.objects.all()
    }
    assert after == before


def test_bad_flags_and_unreachable_databases_give_one_clear_line(tmp_path: Path) -> None:
    for args, code in (
        (["--workers", "zero"], 2),
        (["--database-url", "mysql://nope"], None),
        (["--database-url", "postgres://postgres@127.0.0.1:1/none"], None),
        (["--database-url", f"sqlite:///{tmp_path / 'empty.sqlite3'}"], None),
    ):
        result = subprocess.run([str(AGGREGATOR), *args], capture_output=True, text=True, timeout=60)
        assert result.returncode != 0 and (code is None or result.returncode == code), args
        lines = result.stderr.strip().splitlines()
        assert lines and lines[-1].startswith("aggregator: "), result.stderr
        assert "goroutine" not in result.stderr and "panic" not in result.stderr
