"""The real Go binary with a poisoned bucket beside ordinary users: the others' rollups are exact, the poison is
reported, stays dirty, and is computed once the poison row is gone."""

import datetime
import json
import os
import subprocess
import uuid
from collections import defaultdict
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_token_pair
from ledger.models import DirtyBucket, MonthlyRollup, Transaction
from ledger.services import ensure_default_account, mark_buckets_dirty
from tests.conftest import GraphQLClient, create, make_user
from tests.e2e.test_aggregator import database_url, fmt
from tests.schema.test_analytics import MONTHLY
from tests.schema.test_update_delete_transaction import DELETE

pytestmark = pytest.mark.e2e

# AGGREGATOR_BINARY lets the test be pointed at another build (an older one must fail it).
AGGREGATOR = Path(
    os.environ.get("AGGREGATOR_BINARY", Path(__file__).resolve().parents[2] / "go_aggregator" / "bin" / "aggregator")
)
EXIT_PARTIAL = 5
POISON_MINOR = 5 * 10**18  # two of them pass int64; the API would refuse both (volume bound)
MONTHS = ["2026-01", "2026-02", "2026-03", "2026-04"]

# Each user's transactions as told to the API: (amount in minor units, type, category, date).
ORDINARY = {
    "iso_alice": [
        (300_000, "INCOME", "Salary", "2026-01-31"),
        (1_250, "EXPENSE", "Groceries", "2026-01-02"),
        (9_999, "EXPENSE", "Rent", "2026-03-01"),
    ],
    "iso_bob": [
        (4_200, "EXPENSE", "Fun", "2026-02-14"),
        (77, "INCOME", "Refund", "2026-03-31"),
        (500, "EXPENSE", "Fun", "2999-12-31"),  # the last day the API accepts
    ],
    "iso_carol": [(1_000, "EXPENSE", "Groceries", "2026-03-05"), (2_000, "EXPENSE", "Rent", "2026-04-01")],
}
POISON_MONTH = "2026-03"


def start(*args: str) -> subprocess.Popen:
    assert AGGREGATOR.exists(), "go_aggregator/bin/aggregator is built by `make test`"
    return subprocess.Popen(
        [str(AGGREGATOR), "--database-url", database_url(), "--once", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def finish(process: subprocess.Popen) -> tuple[int, dict | None, str]:
    """The exit status, the JSON report (None if there is none) and stderr."""
    out, err = process.communicate(timeout=120)
    lines = out.strip().splitlines()
    return process.returncode, json.loads(lines[-1]) if lines else None, err


def user_key(user: User) -> str:
    """The user id as the aggregator reads and reports it: uuid text on PostgreSQL, 32 hex digits on SQLite."""
    return str(user.pk) if connection.vendor == "postgresql" else user.pk.hex


def insert_poison(user: User, day: str) -> None:
    """One transaction written with SQL alone, past every check the API makes."""
    field = Transaction._meta.get_field
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO ledger_transaction (id, user_id, account_id, amount_minor, type, description, category, "
            "category_key, date, created_at, updated_at) VALUES (%s, %s, %s, %s, 'income', '', 'Poison', 'poison', %s, "
            "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)",
            [
                field("id").get_db_prep_value(uuid.uuid4(), connection),
                field("user").get_db_prep_value(user.pk, connection),
                field("account").get_db_prep_value(ensure_default_account(user=user).pk, connection),
                POISON_MINOR,
                day,
            ],
        )


def oracle(rows: dict[str, list[tuple[int, str, str, str]]], users: dict[str, User]) -> dict[tuple, tuple[int, int]]:
    """Rollup rows computed here from what the API was told: (user, month, category key, type) -> (total, count);
    rollups are per category key (trimmed, case-folded)."""
    sums: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
    for name, txns in rows.items():
        for amount, kind, category, day in txns:
            bucket = sums[(str(users[name].pk), day[:7], category.strip().casefold(), kind.lower())]
            bucket[0] += amount
            bucket[1] += 1
    return {key: (total, count) for key, (total, count) in sums.items()}


def stored_rollups(exclude: set[tuple[str, str]] = frozenset()) -> dict[tuple, tuple[int, int]]:
    return {
        (str(r.user_id), r.month, r.category, r.type): (r.total_minor, r.transaction_count)
        for r in MonthlyRollup.objects.all()
        if (str(r.user_id), r.month) not in exclude
    }


def monthly_oracle(txns: list[tuple[int, str, str, str]]) -> list[dict]:
    sums = {month: [0, 0, 0] for month in MONTHS}
    for amount, kind, _, day in txns:
        if day[:7] in sums:
            sums[day[:7]][0 if kind == "INCOME" else 1] += amount
            sums[day[:7]][2] += 1
    return [
        {"month": m, "income": fmt(i), "expense": fmt(e), "net": fmt(i - e), "transactionCount": n}
        for m, (i, e, n) in sums.items()
    ]


@pytest.mark.django_db(transaction=True)
def test_a_poisoned_bucket_is_reported_and_left_dirty_while_the_others_are_exact() -> None:
    users = {name: make_user(name) for name in ORDINARY}
    clients = {name: GraphQLClient(http=Client(), token=issue_token_pair(user).token) for name, user in users.items()}
    for name, txns in ORDINARY.items():
        for amount, kind, category, day in txns:
            create(clients[name], fmt(amount), kind, category=category, date=day)
    carol = users["iso_carol"]
    insert_poison(carol, f"{POISON_MONTH}-06")
    insert_poison(carol, f"{POISON_MONTH}-07")
    mark_buckets_dirty(carol.pk, [datetime.date(2026, 3, 6)])
    dirty_before = DirtyBucket.objects.count()
    poison = {(str(carol.pk), POISON_MONTH)}

    # On PostgreSQL two aggregators at once: each bucket is done once, the poison by neither.
    runs = [start("--workers", "2"), start("--workers", "1")] if connection.vendor == "postgresql" else [start()]
    results = [finish(run) for run in runs]
    for code, report, stderr in results:
        assert code in (0, EXIT_PARTIAL), stderr
        assert report is not None and report["buckets_failed"] == len(report["failures"]), stderr
        if code == EXIT_PARTIAL:
            assert [(f["user_id"], f["month"]) for f in report["failures"]] == [(user_key(carol), POISON_MONTH)]
            assert "overflow" in report["failures"][0]["error"]
            assert f"user_id={user_key(carol)} month={POISON_MONTH} failed" in stderr
        else:
            assert report["failures"] == [] and stderr == ""
    assert any(code == EXIT_PARTIAL for code, _, _ in results), "no aggregator reported the poison"
    assert sum(report["buckets_updated"] for _, report, _ in results) == dirty_before - 1

    # Everyone else's rollups and analytics are exact; the poison bucket stays dirty, without rollups.
    expected = oracle(ORDINARY, users)
    assert stored_rollups(exclude=poison) == {k: v for k, v in expected.items() if (k[0], k[1]) not in poison}
    assert [(str(b.user_id), b.month) for b in DirtyBucket.objects.all()] == [(str(carol.pk), POISON_MONTH)]
    assert not MonthlyRollup.objects.filter(user=carol, month=POISON_MONTH).exists()
    for name in ("iso_alice", "iso_bob"):
        monthly = clients[name].data(MONTHLY, {"from": MONTHS[0], "to": MONTHS[-1]})["monthlySummary"]
        assert monthly == monthly_oracle(ORDINARY[name])

    # One poison row deleted through the API (which marks the bucket dirty again): the next run computes it.
    poison_id = Transaction.objects.filter(category="Poison").order_by("date").first().pk
    assert clients["iso_carol"].data(DELETE, {"id": str(poison_id)})["deleteTransaction"]["errors"] == []
    code, report, stderr = finish(start())
    assert code == 0 and report["buckets_failed"] == 0 and report["failures"] == [], stderr
    with_remaining = {
        **ORDINARY,
        "iso_carol": [*ORDINARY["iso_carol"], (POISON_MINOR, "INCOME", "Poison", "2026-03-07")],
    }
    assert stored_rollups() == oracle(with_remaining, users)
    assert DirtyBucket.objects.count() == 0
