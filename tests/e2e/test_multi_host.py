"""More than one machine: two API servers and two aggregators on one PostgreSQL and one Redis.

Each API server is its own gunicorn master on its own port, started the way `make run` starts one (devserver/run.py:
config/gunicorn.conf.py, its own PROMETHEUS_MULTIPROC_DIR), as two hosts behind a load balancer would run it; both
aggregators are the Go binary in --watch mode. Writes go through server A and reads through server B, concurrently,
two writer threads and one reader thread per user. Checked:
- accounts and sessions are shared: register on A, log in on B, write on A with B's token, log out on A and the
  token is refused on B;
- every `balance` read on B reflects every write acknowledged on A before the read started, and nothing that was not
  yet sent: with two writers of one user in flight, the read must equal the figures of one combination of their
  states inside exactly that window;
- monthlySummary and categoryBreakdown equal an oracle kept by the test, once while buckets are dirty (an exclusive
  hold of the aggregators' advisory lock keeps them waiting, as a `--full` rebuild would) and once drained;
- ledger_monthlyrollup equals a GROUP BY over ledger_transaction and the oracle: no bucket counted twice or lost;
- both aggregators processed buckets (their JSON lines), and each server served its half (its /metrics).

PostgreSQL only: SQLite is one file on one machine (tests/e2e/conftest.py leaves this module out on SQLite).
"""

import itertools
import json
import os
import random
import subprocess
import sys
import threading
import time
import urllib.request
from collections import defaultdict
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
import pytest
from prometheus_client.parser import text_string_to_metric_families

from devserver.servers import free_port, wait_for_port
from tests.e2e.conftest import ROOT, LiveStack, fresh_database_url, stop_process
from tests.e2e.test_aggregator import AGGREGATOR, fmt
from tests.schema.test_analytics import BREAKDOWN, MONTHLY

pytestmark = pytest.mark.e2e

USERS = 4
WRITERS_PER_USER = 2
WRITES_PER_WRITER = 25
MONTHS = [f"2026-{month:02d}" for month in range(1, 7)]
CATEGORIES = ["Rent", "Groceries", "Salary", "Travel"]
# The aggregators' advisory lock key (go_aggregator/postgres/postgres.go AdvisoryLockKey): incremental batches take
# it shared, a --full rebuild exclusive.
AGGREGATOR_LOCK_KEY = 0x6C6564676572
# Every server of a deployment shares SECRET_KEY (and so JWT_SECRET_KEY): a token issued by one verifies on the other.
SHARED_SECRET_KEY = "multi-host-test-secret-key-" + "k" * 40

REGISTER = """mutation Register($username: String!, $email: String!, $password: String!) {
  register(username: $username, email: $email, password: $password) { user { id username } errors { code } } }"""
LOGIN = """mutation Login($username: String!, $password: String!) {
  login(username: $username, password: $password) { token refreshToken errors { code } } }"""
REVOKE = "mutation Revoke($token: String!) { revokeToken(refreshToken: $token) { revoked errors { code } } }"
CREATE = """mutation Create($input: CreateTransactionInput!) {
  createTransaction(input: $input) { transaction { id amount type category date } errors { field code } } }"""
UPDATE = """mutation Update($id: ID!, $input: UpdateTransactionInput!) {
  updateTransaction(id: $id, input: $input) { transaction { id amount type category date } errors { field code } } }"""
DELETE = "mutation Delete($id: ID!) { deleteTransaction(id: $id) { deletedId errors { field code } } }"
BALANCE = "query Balance { balance { total income expense transactionCount } }"

Row = tuple[int, str, str, str]  # cents, INCOME/EXPENSE, category, month
Figures = tuple[int, int, int]  # income, expense, count (cents)


def figures_of(rows: dict[str, Row]) -> Figures:
    income = sum(cents for cents, kind, _, _ in rows.values() if kind == "INCOME")
    expense = sum(cents for cents, kind, _, _ in rows.values() if kind == "EXPENSE")
    return income, expense, len(rows)


def as_balance(figures: Figures) -> dict:
    income, expense, count = figures
    return {"total": fmt(income - expense), "income": fmt(income), "expense": fmt(expense), "transactionCount": count}


@dataclass
class Writer:
    """One writer thread's own transactions; states[k] = its figures after its first k writes."""

    rows: dict[str, Row] = field(default_factory=dict)
    states: list[Figures] = field(default_factory=lambda: [(0, 0, 0)])
    sent: int = 0  # writes whose request has been (or is about to be) sent
    acknowledged: int = 0  # writes whose response arrived without errors


@dataclass
class UserLedger:
    username: str
    token: str
    refresh_token: str
    writers: list[Writer]
    lock: threading.Lock = field(default_factory=threading.Lock)
    reads: int = 0
    reads_with_write_in_flight: int = 0

    def rows(self) -> dict[str, Row]:
        return {txn_id: row for writer in self.writers for txn_id, row in writer.rows.items()}


def start_api_server(workdir: Path, name: str, database_url: str) -> LiveStack:
    """One gunicorn master as devserver/run.py starts it; another host would run exactly this, with the same env."""
    port = free_port()
    metrics_dir = workdir / f"prometheus-{name}"
    metrics_dir.mkdir()
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env.update(
        PORT=str(port),
        DATABASE_URL=database_url,  # REDIS_URL: the suite's Redis, inherited, the same for both
        DEBUG="false",
        SECRET_KEY=SHARED_SECRET_KEY,
        WEB_CONCURRENCY="2",
        PROMETHEUS_MULTIPROC_DIR=str(metrics_dir),
        REGISTRATIONS_PER_ADDRESS="100",
    )
    log = workdir / f"api-{name}.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return LiveStack(process=process, port=port, database_url=database_url, log=log)


def start_aggregator(workdir: Path, name: str, database_url: str) -> tuple[subprocess.Popen, Path, Path]:
    assert AGGREGATOR.exists(), "go_aggregator/bin/aggregator is built by `make aggregator`"
    stdout, stderr = workdir / f"aggregator-{name}.out", workdir / f"aggregator-{name}.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [str(AGGREGATOR), "--database-url", database_url, "--watch", "100ms", "--workers", "1"],
            stdout=out,
            stderr=err,
            start_new_session=True,
        )
    return process, stdout, stderr


@contextmanager
def deployment(workdir: Path) -> Iterator[tuple[LiveStack, LiveStack, list]]:
    """Two API servers and two aggregators on one new PostgreSQL database and the suite's Redis."""
    database_url = fresh_database_url(workdir)
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**env, "DATABASE_URL": database_url},
        check=True,
    )
    with ExitStack() as cleanup:
        servers = []
        for name in ("a", "b"):
            server = start_api_server(workdir, name, database_url)
            cleanup.callback(stop_process, server.process)
            servers.append(server)
        aggregators = []
        for name in ("1", "2"):
            aggregator = start_aggregator(workdir, name, database_url)
            cleanup.callback(stop_process, aggregator[0])
            aggregators.append(aggregator)
        for server in servers:
            wait_for_port(server.port, 60, server.process)
        yield servers[0], servers[1], aggregators


def payload(server: LiveStack, query: str, variables: dict, token: str | None = None) -> dict:
    body = server.graphql(query, variables, token)
    assert "errors" not in body, body
    (result,) = body["data"].values()
    if isinstance(result, dict) and "errors" in result:
        assert result["errors"] == [], result
    return result


def write_once(rng: random.Random, writer: Writer, ledger: UserLedger, api: LiveStack) -> None:
    """One create, update or delete of this writer's own rows; its planned state is recorded before it is sent."""
    action = rng.choice(["create", "create", "update", "delete"]) if writer.rows else "create"
    if action == "create":
        row = (rng.randint(1, 500_000), rng.choice(["INCOME", "EXPENSE"]), rng.choice(CATEGORIES), rng.choice(MONTHS))
        variables = {"input": transaction_input(rng, row)}
        query, txn_id = CREATE, None
    elif action == "update":
        txn_id = rng.choice(sorted(writer.rows))
        cents, kind, category, month = writer.rows[txn_id]
        change: dict[str, str] = {}
        for name in rng.sample(["amount", "type", "category", "date"], rng.randint(1, 4)):
            if name == "amount":
                cents = rng.randint(1, 500_000)
            elif name == "type":
                kind = "INCOME" if kind == "EXPENSE" else "EXPENSE"
            elif name == "category":
                category = rng.choice(CATEGORIES)
            else:
                month = rng.choice(MONTHS)
            change[name] = transaction_input(rng, (cents, kind, category, month))[name]
        row = (cents, kind, category, month)
        query, variables = UPDATE, {"id": txn_id, "input": change}
    else:
        txn_id, row = rng.choice(sorted(writer.rows)), None
        query, variables = DELETE, {"id": txn_id}
    planned = dict(writer.rows)
    if row is None:
        del planned[txn_id]
    elif txn_id is not None:
        planned[txn_id] = row
    else:
        planned["(being created)"] = row
    with ledger.lock:
        writer.states.append(figures_of(planned))
        writer.sent += 1
    result = payload(api, query, variables, ledger.token)
    if action == "create":
        created = result["transaction"]
        assert (created["amount"], created["type"], created["category"]) == (fmt(row[0]), row[1], row[2])
        txn_id = created["id"]
    with ledger.lock:
        if row is None:
            del writer.rows[txn_id]
        else:
            writer.rows[txn_id] = row
        writer.acknowledged += 1


def transaction_input(rng: random.Random, row: Row) -> dict:
    cents, kind, category, month = row
    return {"amount": fmt(cents), "type": kind, "category": category, "date": f"{month}-{rng.randint(1, 28):02d}"}


def read_and_check_balance(ledger: UserLedger, reader: LiveStack) -> None:
    """The read must show every write acknowledged before it started, and any subset of those in flight, no more."""
    with ledger.lock:
        low = [writer.acknowledged for writer in ledger.writers]
    balance = payload(reader, BALANCE, {}, ledger.token)
    with ledger.lock:
        high = [writer.sent for writer in ledger.writers]
        states = [list(writer.states) for writer in ledger.writers]
        ledger.reads += 1
        ledger.reads_with_write_in_flight += low != high
    allowed = {}
    for combination in itertools.product(*(range(lo, hi + 1) for lo, hi in zip(low, high, strict=True))):
        parts = [states[w][k] for w, k in enumerate(combination)]
        figures = tuple(sum(part[i] for part in parts) for i in range(3))
        allowed[json.dumps(as_balance(figures), sort_keys=True)] = combination
    assert json.dumps(balance, sort_keys=True) in allowed, (
        f"{ledger.username}: balance {balance} on server B; acknowledged per writer {low}, sent {high}: "
        f"allowed {sorted(allowed)}"
    )


def monthly_oracle(rows: dict[str, Row]) -> list[dict]:
    sums = {month: [0, 0, 0] for month in MONTHS}
    for cents, kind, _, month in rows.values():
        sums[month][0 if kind == "INCOME" else 1] += cents
        sums[month][2] += 1
    return [
        {"month": m, "income": fmt(i), "expense": fmt(e), "net": fmt(i - e), "transactionCount": n}
        for m, (i, e, n) in sums.items()
    ]


def breakdown_oracle(rows: dict[str, Row]) -> list[dict]:
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    for cents, kind, category, _ in rows.values():
        sums[(category, kind)][0] += cents
        sums[(category, kind)][1] += 1
    ordered = sorted(sums.items(), key=lambda item: (-item[1][0], item[0][0], item[0][1]))
    return [{"category": c, "type": k, "total": fmt(t), "transactionCount": n} for (c, k), (t, n) in ordered]


def assert_analytics_exact(ledgers: list[UserLedger], reader: LiveStack) -> None:
    months = {"from": MONTHS[0], "to": MONTHS[-1]}
    for ledger in ledgers:
        rows = ledger.rows()
        assert payload(reader, MONTHLY, months, ledger.token) == monthly_oracle(rows), ledger.username
        assert payload(reader, BREAKDOWN, months, ledger.token) == breakdown_oracle(rows), ledger.username


def rollups_and_group_by(database_url: str) -> tuple[dict, dict]:
    """(stored rollups, a GROUP BY over the transactions), keyed by (username, month, category key, type): rollups
    are per category key, which for these ASCII names is lower(category)."""
    with psycopg.connect(database_url, autocommit=True) as db:
        stored = db.execute(
            "SELECT u.username, r.month, r.category, r.type, r.total_minor, r.transaction_count "
            "FROM ledger_monthlyrollup r JOIN accounts_user u ON u.id = r.user_id"
        ).fetchall()
        grouped = db.execute(
            "SELECT u.username, to_char(t.date, 'YYYY-MM'), lower(t.category), t.type, SUM(t.amount_minor), COUNT(*) "
            "FROM ledger_transaction t JOIN accounts_user u ON u.id = t.user_id GROUP BY 1, 2, 3, 4"
        ).fetchall()
    stored_by_key = {tuple(row[:4]): (row[4], row[5]) for row in stored}
    assert len(stored_by_key) == len(stored), "two rollup rows for one (user, month, category, type)"
    return stored_by_key, {tuple(row[:4]): (int(row[4]), row[5]) for row in grouped}


def dirty_bucket_count(database_url: str) -> int:
    with psycopg.connect(database_url, autocommit=True) as db:
        return db.execute("SELECT count(*) FROM ledger_dirtybucket").fetchone()[0]


def operations_served(server: LiveStack) -> dict[tuple[str, str], float]:
    with urllib.request.urlopen(f"{server.base}/metrics", timeout=10) as response:
        text = response.read().decode()
    counts = {}
    for family in text_string_to_metric_families(text):
        if family.name == "finance_graphql_requests":
            for sample in family.samples:
                if sample.name == "finance_graphql_requests_total":
                    counts[(sample.labels["operation"], sample.labels["type"])] = sample.value
    return counts


def aggregator_reports(stdout: Path) -> list[dict]:
    return [json.loads(line) for line in stdout.read_text().splitlines() if line.strip()]


def test_two_api_servers_and_two_aggregators_share_one_postgresql_and_one_redis(tmp_path: Path) -> None:
    with deployment(tmp_path) as (writes_api, reads_api, aggregators):
        for server in (writes_api, reads_api):
            with urllib.request.urlopen(f"{server.base}/readyz", timeout=10) as response:
                assert json.loads(response.read())["status"] == "ok"

        # Accounts are rows in the one database and tokens are signed with the shared key: register on A, log in on
        # B, write on A with B's token.
        ledgers = []
        for n in range(USERS):
            username = f"host{n}"
            password = "a long passphrase"
            registered = payload(
                writes_api, REGISTER, {"username": username, "email": f"{username}@example.com", "password": password}
            )
            assert registered["user"]["username"] == username
            tokens = payload(reads_api, LOGIN, {"username": username, "password": password})
            writers = [Writer() for _ in range(WRITERS_PER_USER)]
            ledgers.append(UserLedger(username, tokens["token"], tokens["refreshToken"], writers))

        writing = threading.Barrier(USERS * (WRITERS_PER_USER + 1))
        writers_left = threading.Semaphore(0)
        failures: list[BaseException] = []

        def write_then_read(seed: int, ledger: UserLedger, writer: Writer) -> None:
            rng = random.Random(seed)
            try:
                writing.wait()
                for _ in range(WRITES_PER_WRITER):
                    write_once(rng, writer, ledger, writes_api)
                    read_and_check_balance(ledger, reads_api)  # right after the acknowledgement, on the other host
            except BaseException as error:  # reported by the main thread
                failures.append(error)
            finally:
                writers_left.release()

        done = threading.Event()

        def read_continuously(ledger: UserLedger) -> None:
            try:
                writing.wait()
                while not done.is_set():
                    read_and_check_balance(ledger, reads_api)
                    time.sleep(0.01)
            except BaseException as error:
                failures.append(error)

        threads = [
            threading.Thread(target=write_then_read, args=(1000 * u + w, ledger, ledger.writers[w]))
            for u, ledger in enumerate(ledgers)
            for w in range(WRITERS_PER_USER)
        ] + [threading.Thread(target=read_continuously, args=(ledger,)) for ledger in ledgers]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for _ in range(USERS * WRITERS_PER_USER):
            writers_left.acquire()
        done.set()
        for thread in threads:
            thread.join(timeout=60)
        writing_seconds = time.monotonic() - started
        if failures:
            raise failures[0]
        for ledger in ledgers:
            assert all(writer.acknowledged == WRITES_PER_WRITER for writer in ledger.writers)
            assert payload(reads_api, BALANCE, {}, ledger.token) == as_balance(figures_of(ledger.rows()))
        reads = sum(ledger.reads for ledger in ledgers)
        assert reads >= USERS * WRITERS_PER_USER * WRITES_PER_WRITER
        print(
            f"multi-host: {USERS * WRITERS_PER_USER * WRITES_PER_WRITER} writes on A and {reads} balance reads on B in "
            f"{writing_seconds:.1f}s; {sum(ledger.reads_with_write_in_flight for ledger in ledgers)} reads had a "
            "write in flight"
        )

        # Analytics while buckets are dirty: holding the aggregators' lock exclusively (as a --full rebuild does)
        # makes their next batches wait before claiming anything, so the writes below stay dirty until released.
        database_url = writes_api.database_url
        with psycopg.connect(database_url, autocommit=True) as lock_holder:
            lock_holder.execute("SELECT pg_advisory_lock(%s)", (AGGREGATOR_LOCK_KEY,))
            rng = random.Random(7)
            for ledger in ledgers:
                for _ in range(3):
                    write_once(rng, ledger.writers[0], ledger, writes_api)
                read_and_check_balance(ledger, reads_api)
            assert dirty_bucket_count(database_url) > 0
            assert_analytics_exact(ledgers, reads_api)
            stored, grouped = rollups_and_group_by(database_url)
            assert stored != grouped  # the rollups lag; the answers above came from rollups + live dirty buckets
            lock_holder.execute("SELECT pg_advisory_unlock(%s)", (AGGREGATOR_LOCK_KEY,))

        deadline = time.monotonic() + 30
        while dirty_bucket_count(database_url) > 0:
            assert time.monotonic() < deadline, "the aggregators left dirty buckets for 30 s"
            time.sleep(0.1)
        assert_analytics_exact(ledgers, reads_api)

        # No bucket counted twice or lost: the rollups equal a GROUP BY over the transactions, and both equal what
        # the test wrote.
        stored, grouped = rollups_and_group_by(database_url)
        assert stored == grouped
        written: dict[tuple, list[int]] = defaultdict(lambda: [0, 0])
        for ledger in ledgers:
            for cents, kind, category, month in ledger.rows().values():
                written[(ledger.username, month, category.casefold(), kind.lower())][0] += cents
                written[(ledger.username, month, category.casefold(), kind.lower())][1] += 1
        assert grouped == {key: tuple(value) for key, value in written.items()}

        # Each server served its half: mutations on A, balance reads on B (the prometheus counters are per server).
        served_a, served_b = operations_served(writes_api), operations_served(reads_api)
        write_count = sum(writer.acknowledged for ledger in ledgers for writer in ledger.writers)
        assert sum(served_a.get((name, "mutation"), 0) for name in ("Create", "Update", "Delete")) == write_count
        assert served_a.get(("Register", "mutation")) == USERS and ("Balance", "query") not in served_a
        assert served_b.get(("Balance", "query"), 0) >= reads and ("Create", "mutation") not in served_b
        assert served_b.get(("Login", "mutation")) == USERS

        # Sessions are database rows: a logout on A ends them on B at once.
        assert payload(writes_api, REVOKE, {"token": ledgers[0].refresh_token})["revoked"] is True
        refused = reads_api.graphql(BALANCE, {}, ledgers[0].token)
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        assert payload(reads_api, BALANCE, {}, ledgers[1].token) == as_balance(figures_of(ledgers[1].rows()))

    # Both aggregators stopped cleanly and both claimed buckets (SKIP LOCKED shares the work, never doubles it).
    for process, stdout, stderr in aggregators:
        assert process.returncode == 0, stderr.read_text()
        reports = aggregator_reports(stdout)
        assert all(report["mode"] == "incremental" and report["buckets_failed"] == 0 for report in reports)
        assert sum(report["buckets_updated"] for report in reports) > 0, (stdout.name, reports)
