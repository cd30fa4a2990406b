"""The Redis-cached balance: never older than the caller's last committed write, whatever Redis does."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django_redis import get_redis_connection

from accounts.models import User
from accounts.tokens import issue_token_pair
from devserver.servers import start_redis
from ledger.balance_cache import LedgerFigures, cached_figures, figures_cache_key, read_balance_version
from ledger.selectors import compute_ledger_figures
from tests.conftest import BALANCE, GraphQLClient, create, make_user


def balance(client: GraphQLClient) -> dict:
    return client.data(BALANCE)["balance"]


def test_empty_balance_is_zero(as_alice: GraphQLClient) -> None:
    assert balance(as_alice) == {"total": "0.00", "income": "0.00", "expense": "0.00", "transactionCount": 0}


def test_balance_is_exact_to_the_cent(as_alice: GraphQLClient) -> None:
    for _ in range(10):
        create(as_alice, "0.10", "INCOME")
    create(as_alice, "0.30")
    assert balance(as_alice) == {"total": "0.70", "income": "1.00", "expense": "0.30", "transactionCount": 11}


def test_a_hit_is_served_from_redis_without_an_aggregate(as_alice: GraphQLClient, alice: User) -> None:
    create(as_alice, "5.00", "INCOME")
    balance(as_alice)  # fill
    key = figures_cache_key(alice.pk, read_balance_version(alice.pk))
    cached = LedgerFigures.decode(get_redis_connection("default").get(key))
    assert (cached.default_currency, cached.balance("USD").income_minor, cached.balance("USD").transaction_count) == (
        "USD",
        500,
        1,
    )
    with CaptureQueriesContext(connection) as captured:
        assert balance(as_alice)["total"] == "5.00"
    assert not any("SUM(" in query["sql"].upper() for query in captured.captured_queries)
    assert len(captured) == 1  # the user behind the token, with the balance version joined


def test_a_miss_costs_one_aggregate(as_alice: GraphQLClient) -> None:
    create(as_alice, "5.00", "INCOME")
    with CaptureQueriesContext(connection) as captured:
        balance(as_alice)
    assert sum("SUM(" in query["sql"].upper() for query in captured.captured_queries) == 1
    assert len(captured) == 3  # the user (with the version), the dirty months, the aggregate


def test_every_write_is_visible_to_the_next_read(as_alice: GraphQLClient) -> None:
    txn = create(as_alice, "10.00", "INCOME")
    assert balance(as_alice)["total"] == "10.00"
    as_alice.data(
        'mutation($id: ID!) { updateTransaction(id: $id, input: {amount: "4.00"}) { errors { code } } }',
        {"id": txn["id"]},
    )
    assert balance(as_alice)["total"] == "4.00"
    as_alice.data("mutation($id: ID!) { deleteTransaction(id: $id) { deletedId } }", {"id": txn["id"]})
    assert balance(as_alice)["total"] == "0.00"


def test_a_reader_that_stores_an_old_value_after_a_write_cannot_serve_it(as_alice: GraphQLClient, alice: User) -> None:
    create(as_alice, "10.00", "INCOME")

    def compute_while_a_write_commits():
        old = compute_ledger_figures(user=alice)  # the reader computes the old figures...
        create(as_alice, "5.00", "INCOME")  # ...a writer commits in between...
        return old  # ...and the reader stores what it computed

    stale = cached_figures(alice.pk, compute_while_a_write_commits)
    assert stale.balance("USD").income_minor == 1000
    assert balance(as_alice)["total"] == "15.00"


def test_redis_down_keeps_every_query_and_mutation_working(as_alice: GraphQLClient, settings, tmp_path: Path) -> None:
    own = start_redis(tmp_path / "redis")
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": own.url}}
    try:
        create(as_alice, "10.00", "INCOME")
        assert balance(as_alice)["total"] == "10.00"
        own.stop()
        create(as_alice, "3.00")
        assert balance(as_alice) == {"total": "7.00", "income": "10.00", "expense": "3.00", "transactionCount": 2}
    finally:
        own.stop()


def test_redis_coming_back_with_old_data_is_not_believed(as_alice: GraphQLClient, settings, tmp_path: Path) -> None:
    own = start_redis(tmp_path / "redis")
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": own.url}}
    try:
        create(as_alice, "10.00", "INCOME")
        assert balance(as_alice)["total"] == "10.00"  # cached
        get_redis_connection("default").save()  # the cached value is on disk
        own.stop()
        create(as_alice, "4.00")  # written while Redis is unreachable
        own = start_redis(tmp_path / "redis", port=own.port)  # comes back from its dump with the old value
        assert balance(as_alice)["total"] == "6.00"
    finally:
        own.stop()


def test_concurrent_misses_compute_the_aggregate_once(alice: User) -> None:
    """Readers that miss while another request computes the figures wait for its result instead of computing too.

    Ordered by events, not by sleeps: the elected computer is held inside its compute function until every other
    reader has missed and lost the election for the fill lock (counted in Redis' own command statistics)."""
    figures = compute_ledger_figures(user=alice)
    version = read_balance_version(alice.pk)
    redis = get_redis_connection("default")
    computing, release = threading.Event(), threading.Event()
    computed_by_waiters: list[int] = []

    def held_compute() -> LedgerFigures:
        computing.set()
        assert release.wait(30)
        return figures

    def waiter_compute() -> LedgerFigures:
        computed_by_waiters.append(1)
        return figures

    def lock_attempts() -> int:
        return redis.info("commandstats").get("cmdstat_set", {}).get("calls", 0)

    with ThreadPoolExecutor(max_workers=6) as pool:
        elected = pool.submit(cached_figures, alice.pk, held_compute, version=version)
        assert computing.wait(30)
        attempts_before = lock_attempts()
        waiters = [pool.submit(cached_figures, alice.pk, waiter_compute, version=version) for _ in range(5)]
        deadline = time.monotonic() + 30
        while lock_attempts() - attempts_before < 5 and time.monotonic() < deadline:
            time.sleep(0.005)
        assert lock_attempts() - attempts_before >= 5, "the other readers never tried to take the fill lock"
        release.set()
        results = [future.result(timeout=30) for future in (elected, *waiters)]
    assert computed_by_waiters == []
    assert results == [figures] * 6


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_and_readers_end_on_an_exact_balance() -> None:
    users = [make_user(f"user{n}") for n in range(2)]
    tokens = [issue_token_pair(user).token for user in users]
    errors: list[object] = []

    def writer(token: str, amounts: list[str]) -> None:
        client = GraphQLClient(http=Client(), token=token)
        try:
            for amount in amounts:
                create(client, amount, "INCOME")
                client.data(BALANCE)
        except Exception as error:  # collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    amounts = [f"{n}.{n:02d}" for n in range(1, 13)]
    threads = [threading.Thread(target=writer, args=(tokens[n % 2], amounts[n::4])) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    for index, token in enumerate(tokens):
        mine = [amount for n, amount in enumerate(amounts) if n % 4 in (index, index + 2)]
        expected_cents = sum(int(amount.replace(".", "")) for amount in mine)
        body = GraphQLClient(http=Client(), token=token).data(BALANCE)["balance"]
        assert body["income"] == f"{expected_cents // 100}.{expected_cents % 100:02d}"
        assert body["transactionCount"] == len(mine)
