"""`make bench-aggregator`: the Go aggregator's full and incremental runs against PostgreSQL's own GROUP BY of the
same rollup and the bare COPY stream of the same columns, on one generated data set per size.

For each size (BENCH_SIZES, default "1000000,10000000"; the data grows from one size to the next):
1. a first `--full` run into an emptied rollup table (it writes every rollup and fingerprint and clears the load's
   dirty marks; reported, and checked exact);
2. BENCH_REPEAT rounds (default 1; with more, the best is kept) of: bare binary COPY to psql; the pgx COPY and
   COPY + Go aggregate stages of go_aggregator/postgres/bench_test.go; GROUP BY streamed to psql; GROUP BY written
   as the rollups; `--full --verify` (every stored rollup read back and compared); `--full --workers 1`;
   `--full --workers 2` (both trusting the per-user fingerprints);
3. a check that the rollups equal a fresh GROUP BY, to the cent, with no dirty bucket left;
4. BENCH_CHANGES (default 10,000) API-style changes, then one incremental run, then the same check, then a
   `--full --verify` that must repair nothing and recompute the very fingerprints the incremental run left.
Prints a table per size and writes bench/results/aggregator-<timestamp>.json.
"""

import os
import time
from collections.abc import Callable

import psycopg

from bench.aggregator import data
from bench.aggregator.changes import apply_changes
from bench.aggregator.measure import (
    AGGREGATOR,
    ROLLUP_SELECT,
    Timing,
    aggregator,
    aggregator_report,
    bare_copy_psql,
    go_benchmark_seconds,
    go_stage_benchmarks,
    group_by_streamed,
    group_by_written,
    timed,
)
from bench.aggregator.targets import evaluate_targets
from bench.django_setup import setup_django
from bench.machine import machine_info
from bench.report import format_table, write_result
from bench.stack import ROOT, create_database, log, scratch_dir
from devserver.servers import start_postgres

# A production-sized buffer cache (a sixth of this machine's memory): with the default 128MB the index scans of an
# incremental run read most pages through the kernel's page cache and its time varied 2x from run to run. The COPY
# and GROUP BY scans use a small ring buffer either way.
POSTGRES_SETTINGS = {"shared_buffers": "4GB"}


def main() -> int:
    sizes = sorted(int(size) for size in os.environ.get("BENCH_SIZES", "1000000,10000000").split(","))
    repeat = int(os.environ.get("BENCH_REPEAT", "1"))
    changes = int(os.environ.get("BENCH_CHANGES", "10000"))
    if not AGGREGATOR.exists():
        raise SystemExit("go_aggregator/bin/aggregator is missing: run `make aggregator`")
    machine = machine_info()
    with scratch_dir("finance-bench-aggregator-") as workdir:
        log(f"starting PostgreSQL under {workdir}")
        postgres = start_postgres(workdir / "postgres", settings=POSTGRES_SETTINGS)
        try:
            database_url = create_database(postgres, "bench_aggregator")
            postmaster_pid = int((postgres.datadir / "postmaster.pid").read_text().split()[0])
            setup_django(database_url)
            results = []
            with psycopg.connect(database_url, autocommit=True) as conn:
                user_ids = data.create_users(conn)
                for index, size in enumerate(sizes):
                    result = _one_size(conn, database_url, postmaster_pid, user_ids, size, index, repeat, changes)
                    results.append(result)
        finally:
            postgres.stop()
    summary = {
        "benchmark": "aggregator",
        "machine": machine,
        "postgres_server": {"fsync": "off", **POSTGRES_SETTINGS, "group_by_work_mem": "2GB"},
        "users": data.USERS,
        "repeat": repeat,
        "sizes": results,
    }
    summary["targets"] = evaluate_targets(results[-1])
    for result in results:
        print(f"\n{result['rows']:,} transactions, {result['rollups']:,} rollups\n")
        print(_table(result))
        incremental = result["incremental"]
        print(
            f"\nincremental after {result['changes']['count']:,} changes: {incremental['wall_s']:.2f}s, "
            f"{incremental['report']['buckets_updated']:,} buckets, {incremental['report']['rows_read']:,} rows "
            f"({incremental['vs_full']:.2%} of the full rebuild, {incremental['vs_first_full']:.2%} of the first one "
            f"into an empty rollup table); exact: {result['exact_after_first_full']} (first full), "
            f"{result['exact_after_full']} (full), "
            f"{result['exact_after_incremental']} (incremental), "
            f"{result['fingerprints_exact_after_incremental']} (fingerprints, checked by --verify)"
        )
    print(f"\ntargets at {results[-1]['rows']:,} rows:")
    for target in summary["targets"]:
        print(f"{'MET   ' if target['met'] else 'MISSED'} {target['target']}: {target['measured']}")
    print(f"\nwritten to {write_result('aggregator', summary)}")
    checks = (
        "exact_after_first_full",
        "exact_after_full",
        "exact_after_incremental",
        "fingerprints_exact_after_incremental",
    )
    return 0 if all(result[check] for result in results for check in checks) else 1


def _one_size(
    conn: psycopg.Connection,
    database_url: str,
    postmaster_pid: int,
    user_ids: list[str],
    size: int,
    index: int,
    repeat: int,
    changes: int,
) -> dict:
    current = conn.execute("SELECT count(*) FROM ledger_transaction").fetchone()[0]
    started = time.monotonic()
    log(f"loading {size - current:,} transactions")
    data.grow_transactions(conn, add=size - current, seed=0.1 + index / 10)
    load_s = time.monotonic() - started
    rows = conn.execute("SELECT count(*) FROM ledger_transaction").fetchone()[0]
    dirty = conn.execute("SELECT count(*) FROM ledger_dirtybucket").fetchone()[0]
    log(f"{rows:,} rows, {dirty:,} dirty buckets, loaded in {load_s:.0f}s")

    def run(command: list[str], **kwargs: object) -> Timing:
        return timed(command, postmaster_pid=postmaster_pid, **kwargs)

    # The first rebuild of each size starts from an empty rollup table: it writes every rollup and fingerprint.
    conn.execute("TRUNCATE ledger_monthlyrollup, ledger_rollupfingerprint")
    first_full = run(aggregator(database_url, full=True, workers=None))
    log(f"first --full: {first_full.wall_s:.1f}s")
    exact_after_first_full = _rollups_exact(conn)
    go_env = {**os.environ, "BENCH_POSTGRES_URL": database_url}
    samples: dict[str, list[dict]] = {}
    for round_number in range(repeat):
        log(f"{rows:,} rows: round {round_number + 1} of {repeat}")
        operations = {
            "bare_copy_psql": lambda: run(bare_copy_psql(database_url)),
            "go_stages": lambda: run(go_stage_benchmarks(), env=go_env, cwd=ROOT / "go_aggregator"),
            "group_by_streamed": lambda: run(group_by_streamed(database_url)),
            # Rewrites every rollup (same figures, new rows) behind the aggregator's back; the fingerprints still
            # describe them, which the --verify run right after confirms (it must write nothing).
            "group_by_written": lambda: run(group_by_written(database_url)),
            # The rebuild that trusts no fingerprint: every stored rollup is read back and compared.
            "full_verify": lambda: run(aggregator(database_url, full=True, workers=None, verify=True)),
            "full_workers_1": lambda: run(aggregator(database_url, full=True, workers=1)),
            "full_workers_2": lambda: run(aggregator(database_url, full=True, workers=2)),
        }
        for name, operation in operations.items():
            # Every writer starts from a rollup table without the previous run's dead rows, as autovacuum
            # would leave it between rebuilds (untimed).
            conn.execute("VACUUM ledger_monthlyrollup")
            timing = operation()
            sample = {
                "wall_s": timing.wall_s,
                "client_cpu_s": timing.client_cpu_s,
                "postgres_cpu_s": timing.postgres_cpu_s,
            }
            if name.startswith("full_"):
                sample["report"] = aggregator_report(timing.output)
            if name == "go_stages":
                stages = go_benchmark_seconds(timing.output)
                samples.setdefault("bare_copy_pgx", []).append({"wall_s": stages["BareCopy"]})
                samples.setdefault("copy_and_go_aggregate", []).append({"wall_s": stages["Aggregate"]})
                continue
            samples.setdefault(name, []).append(sample)
    exact_after_full = _rollups_exact(conn)
    rollups = conn.execute("SELECT count(*) FROM ledger_monthlyrollup").fetchone()[0]

    started = time.monotonic()
    done = apply_changes(conn, user_ids=user_ids, count=changes, seed=42 + index)
    changes_s = time.monotonic() - started
    dirty = conn.execute("SELECT count(*) FROM ledger_dirtybucket").fetchone()[0]
    incremental = run(aggregator(database_url, full=False, workers=None))
    exact_after_incremental = _rollups_exact(conn)
    fingerprints_exact = _fingerprints_survive_verify(
        conn, lambda: run(aggregator(database_url, full=True, workers=None, verify=True))
    )

    best = {name: min(runs, key=lambda sample: sample["wall_s"]) for name, runs in samples.items()}
    full_s = best["full_workers_2"]["wall_s"]
    return {
        "rows": rows,
        "rollups": rollups,
        "load_s": load_s,
        "first_full": {"wall_s": first_full.wall_s, "report": aggregator_report(first_full.output)},
        "best": best,
        "samples": samples,
        "changes": {"count": changes, "kinds": done, "seconds": changes_s, "dirty_buckets": dirty},
        "incremental": {
            "wall_s": incremental.wall_s,
            "client_cpu_s": incremental.client_cpu_s,
            "postgres_cpu_s": incremental.postgres_cpu_s,
            "report": aggregator_report(incremental.output),
            "vs_full": incremental.wall_s / full_s,
            "vs_first_full": incremental.wall_s / first_full.wall_s,
        },
        "exact_after_first_full": exact_after_first_full,
        "exact_after_full": exact_after_full,
        "exact_after_incremental": exact_after_incremental,
        "fingerprints_exact_after_incremental": fingerprints_exact,
    }


def _fingerprints_survive_verify(conn: psycopg.Connection, verify: Callable[[], Timing]) -> bool:
    """A --full --verify run (which trusts no fingerprint) finds nothing to repair and recomputes the very
    fingerprints the earlier runs left."""
    query = "SELECT user_id, digest, rollup_count FROM ledger_rollupfingerprint ORDER BY user_id"
    before = conn.execute(query).fetchall()
    report = aggregator_report(verify().output)
    after = conn.execute(query).fetchall()
    exact = report["rollups_written"] == 0 and report["rollups_deleted"] == 0 and before == after
    if not exact:
        log(f"--full --verify after the incremental run repaired something: {report}")
    return exact


def _rollups_exact(conn: psycopg.Connection) -> bool:
    """Rollups equal a fresh GROUP BY of the transactions (both directions), and no bucket is left dirty."""
    conn.execute("SET work_mem = '2GB'")
    differing, dirty = conn.execute(
        f"""
        WITH expected AS MATERIALIZED ({ROLLUP_SELECT}),
             actual AS (SELECT user_id, month, account_id, category, type, total_minor::numeric,
                               transaction_count::bigint
                        FROM ledger_monthlyrollup)
        SELECT (SELECT count(*) FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM actual) AS missing)
             + (SELECT count(*) FROM (SELECT * FROM actual EXCEPT ALL SELECT * FROM expected) AS extra),
               (SELECT count(*) FROM ledger_dirtybucket)
        """
    ).fetchone()
    conn.execute("RESET work_mem")
    if differing or dirty:
        log(f"rollups differ from GROUP BY in {differing} rows; {dirty} dirty buckets left")
    return differing == 0 and dirty == 0


def _table(result: dict) -> str:
    rows_count = result["rows"]
    best = result["best"]
    floor = min(best["bare_copy_psql"]["wall_s"], best["bare_copy_pgx"]["wall_s"])
    labels = {
        "bare_copy_psql": "bare binary COPY -> psql (floor)",
        "bare_copy_pgx": "bare binary COPY -> pgx (floor, Go bench)",
        "copy_and_go_aggregate": "COPY + Go parse/aggregate, no write (Go bench)",
        "group_by_streamed": "PostgreSQL GROUP BY -> psql",
        "group_by_written": "PostgreSQL GROUP BY -> rollups (end to end)",
        "full_verify": "aggregator --full --verify (every stored row compared)",
        "full_workers_1": "aggregator --full --workers 1",
        "full_workers_2": "aggregator --full --workers 2",
    }
    rows = []
    for name, label in labels.items():
        sample = best[name]
        rows.append(
            [
                label,
                sample["wall_s"],
                rows_count / sample["wall_s"],
                f"{sample['wall_s'] / floor:.2f}x",
                sample.get("client_cpu_s"),
                sample.get("postgres_cpu_s"),
            ]
        )
    headers = ["operation", "seconds", "rows/s", "vs floor", "client CPU s", "PostgreSQL CPU s"]
    return format_table(headers, rows)
