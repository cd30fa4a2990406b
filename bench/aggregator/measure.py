"""The timed operations, each a separate client process, with the CPU each side used.

CPU seconds come from /proc: the client's from its rusage, PostgreSQL's as the change in the whole server's
(postmaster plus exited and live backends) utime + stime. On 2 cores, client + server CPU close to 2 x wall
means the run was bound by the CPUs, not by either side's code alone.
"""

import json
import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench.machine import child_pids
from bench.stack import ROOT

AGGREGATOR = ROOT / "go_aggregator" / "bin" / "aggregator"
COLUMNS = "user_id, account_id, date, category_key, type, amount_minor"
# The rollups by SQL: transactions per account, category and type, and each transfer's two legs (category "").
ROLLUP_SELECT = (
    "SELECT user_id, to_char(date, 'YYYY-MM'), account_id, category, type, sum(amount), count(*) FROM ("
    "SELECT user_id, date, account_id, category_key AS category, type::text, amount_minor AS amount "
    "FROM ledger_transaction "
    "UNION ALL SELECT user_id, date, from_account_id, '', 'transfer_out', amount_minor FROM ledger_transfer "
    "UNION ALL SELECT user_id, date, to_account_id, '', 'transfer_in', to_amount_minor FROM ledger_transfer"
    ") AS entries GROUP BY 1, 2, 3, 4, 5"
)
# PostgreSQL gets the memory the Go program takes for itself, so its hash aggregate does not spill to disk.
GROUP_BY_WORK_MEM = "SET work_mem = '2GB'"


@dataclass
class Timing:
    wall_s: float
    client_cpu_s: float
    postgres_cpu_s: float
    output: str


def timed(command: list[str], *, postmaster_pid: int, env: dict[str, str] | None = None, cwd: Path = ROOT) -> Timing:
    before_children = os.times()
    postgres_before = postgres_cpu_seconds(postmaster_pid)
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=cwd)
    wall = time.perf_counter() - started
    after_children = os.times()
    # The client's backend exits when it disconnects; give the postmaster a moment to reap it into its cutime.
    time.sleep(0.3)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])}... failed ({completed.returncode}): {completed.stderr[-2000:]}")
    client = (after_children.children_user - before_children.children_user) + (
        after_children.children_system - before_children.children_system
    )
    return Timing(
        wall_s=wall,
        client_cpu_s=client,
        postgres_cpu_s=postgres_cpu_seconds(postmaster_pid) - postgres_before,
        output=completed.stdout,
    )


def postgres_cpu_seconds(postmaster_pid: int) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = _cpu_ticks(postmaster_pid, with_waited_children=True)
    for pid in child_pids(postmaster_pid):
        total += _cpu_ticks(pid, with_waited_children=False)
    return total / ticks


def _cpu_ticks(pid: int, *, with_waited_children: bool) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0  # exited between the listing and the read: its time is now in the postmaster's cutime
    # After ")": state is fields[0], so utime/stime/cutime/cstime (stat fields 14-17) are fields[11:15].
    utime, stime, cutime, cstime = (int(value) for value in fields[11:15])
    return utime + stime + (cutime + cstime if with_waited_children else 0)


def psql(database_url: str, *statements: str) -> list[str]:
    """psql running the statements in one session, output discarded by the caller (COPY TO STDOUT > nothing)."""
    command = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", database_url, "-o", "/dev/null"]
    for statement in statements:
        command += ["-c", statement]
    return command


def bare_copy_psql(database_url: str) -> list[str]:
    return psql(database_url, f"COPY (SELECT {COLUMNS} FROM ledger_transaction) TO STDOUT (FORMAT binary)")


def group_by_streamed(database_url: str) -> list[str]:
    """PostgreSQL reads and aggregates; the rollup rows are streamed to the client (binary) and discarded."""
    return psql(database_url, GROUP_BY_WORK_MEM, f"COPY ({ROLLUP_SELECT}) TO STDOUT (FORMAT binary)")


def group_by_written(database_url: str) -> list[str]:
    """The same end result as `aggregator --full`: all rollups replaced by a GROUP BY, in one transaction."""
    return psql(
        database_url,
        GROUP_BY_WORK_MEM,
        "BEGIN",
        "DELETE FROM ledger_monthlyrollup",
        "INSERT INTO ledger_monthlyrollup (user_id, month, account_id, category, type, total_minor, transaction_count) "
        + ROLLUP_SELECT,
        "COMMIT",
    )


def aggregator(database_url: str, *, full: bool, workers: int | None, verify: bool = False) -> list[str]:
    command = [str(AGGREGATOR), "--database-url", database_url]
    if full:
        command.append("--full")
    if verify:
        command.append("--verify")
    if workers is not None:
        command += ["--workers", str(workers)]
    return command


def aggregator_report(output: str) -> dict:
    """The aggregator's one JSON summary line."""
    for line in reversed(output.splitlines()):
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError(f"no JSON summary line in aggregator output: {output[-500:]}")


def go_stage_benchmarks() -> list[str]:
    """go_aggregator/postgres/bench_test.go, once each: the pgx COPY read alone, and COPY + Go parse + aggregate."""
    return ["go", "test", "-run", "^$", "-bench", "FullPath_(BareCopy|Aggregate)$", "-benchtime", "1x", "./postgres/"]


def go_benchmark_seconds(output: str) -> dict[str, float]:
    """`BenchmarkFullPath_BareCopy-2   1   3456789 ns/op ...` -> {"BareCopy": 0.0034...}."""
    found = {}
    for match in re.finditer(r"^BenchmarkFullPath_(\w+?)(?:-\d+)?\s+\d+\s+(\d+) ns/op", output, re.MULTILINE):
        found[match.group(1)] = int(match.group(2)) / 1e9
    return found
