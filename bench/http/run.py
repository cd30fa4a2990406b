"""`make bench`: the HTTP benchmark.

Starts its own PostgreSQL and Redis, generates the data in the database (and runs the Go aggregator over it once),
starts the API exactly as `make run` does (gunicorn with config/gunicorn.conf.py, DEBUG off), logs in through the
API, then runs the cases with wrk (fixed connections, a warm-up, then a measured run) in interleaved rounds: each
round runs every case once, and a case's figure is its median round, its ratio to another case the median of their
ratios within each round (bench.http.rounds). Prints a table with each case's ratio to the baseline of the same
run, and the cost ratios of deep to first pages, and writes the same as JSON to bench/results/http-<timestamp>.json.
The server loads bench.http.settings (config.settings with the bench-only URLconf that adds the plain views of
bench.http.plain_views).

Environment: BENCH_ROUNDS (default 5), BENCH_DURATION (seconds per case and round, default 6), BENCH_WARMUP
(seconds before each, default 2), BENCH_CONNECTIONS (default 32), BENCH_THREADS (wrk threads, default 1: on 2
cores every client cycle is taken from the server), BENCH_CASES (comma-separated case names, default all; targets
are evaluated only for complete runs).
"""

import json
import os
import time
import urllib.request

from bench.http import data
from bench.http.cases import LOGIN, Case, build_cases, graphql_body
from bench.http.rounds import failed_requests, median_round, throughput_ratio
from bench.http.states import case_state
from bench.http.targets import cost_ratios, evaluate_targets
from bench.http.wrk import Load, Request, ensure_wrk, run_wrk
from bench.machine import child_pids, machine_info, process_rss_mb
from bench.report import format_table, write_result
from bench.stack import api_server, backing_servers, create_database, log, scratch_dir


def main() -> int:
    load = Load(
        connections=int(os.environ.get("BENCH_CONNECTIONS", "32")),
        threads=int(os.environ.get("BENCH_THREADS", "1")),
        duration_s=int(os.environ.get("BENCH_DURATION", "6")),
    )
    warmup = Load(load.connections, load.threads, int(os.environ.get("BENCH_WARMUP", "2")))
    rounds = int(os.environ.get("BENCH_ROUNDS", "5"))
    wanted = {name for name in os.environ.get("BENCH_CASES", "").split(",") if name}
    # Empty means all. The baseline always runs: every other figure is a ratio to it.
    selected = wanted | {"baseline"} if wanted else set()
    ensure_wrk()
    machine = machine_info()
    with scratch_dir("finance-bench-http-") as workdir, backing_servers(workdir) as backing:
        database_url = create_database(backing.postgres, "bench_http")
        started = time.monotonic()
        dataset = data.generate(database_url, data.hash_password(database_url))
        log(f"data generated in {time.monotonic() - started:.1f}s")
        with api_server(database_url, backing.redis.url, workdir / "api.log") as (master, port):
            base = f"http://127.0.0.1:{port}"
            token = _login(base)
            cases = [case for case in build_cases(dataset, token) if not selected or case.name in selected]
            runs: dict[str, list[dict]] = {case.name: [] for case in cases}
            for round_number in range(1, rounds + 1):
                log(f"round {round_number} of {rounds}")
                for case in cases:
                    runs[case.name].append(_run_case(base, case, load, warmup, database_url))
            results = {name: median_round(case_runs) for name, case_runs in runs.items()}
            workers = {pid: process_rss_mb(pid) for pid in child_pids(master.pid)}
    summary = {
        "benchmark": "http",
        "machine": machine,
        "load": {
            "connections": load.connections,
            "wrk_threads": load.threads,
            "duration_s": load.duration_s,
            "rounds": rounds,
            "figure": "each case's median round; a ratio between cases, the median of their ratios within each round",
        },
        "server": {"command": "python -m gunicorn -c config/gunicorn.conf.py config.wsgi:application"},
        "data": {
            "main_user_transactions": data.MAIN_TRANSACTIONS,
            "main_user_transfers": data.SAVINGS_TRANSFERS,
            "other_users": data.OTHER_USERS,
            "rollups": "aggregator --full after the load; balance_miss marks every month dirty again",
        },
        "cases": _with_ratios(results),
        "worker_rss_mb": list(workers.values()),
    }
    summary["cost_ratios"] = cost_ratios(summary["cases"])
    summary["targets"] = evaluate_targets(summary["cases"], summary["worker_rss_mb"])
    print(_table(summary))
    for pair, ratio in summary["cost_ratios"].items():
        print(f"cost per request {pair}: {ratio:.2f}x")
    print(f"\nworker RSS (MB): {summary['worker_rss_mb']}")
    for target in summary["targets"]:
        print(f"{'MET   ' if target['met'] else 'MISSED'} {target['target']}: {target['measured']}")
    print(f"\nwritten to {write_result('http', summary)}")
    return 0


def _run_case(base: str, case: Case, load: Load, warmup: Load, database_url: str) -> dict:
    log(f"{case.name}: {case.note}")
    with case_state(case, database_url):
        return _measure(base, case, load, warmup)


def _measure(base: str, case: Case, load: Load, warmup: Load) -> dict:
    _check_once(base, case.request)
    if warmup.duration_s > 0:
        run_wrk(base, case.request, warmup)
        _wait_until_idle(base)
    result = run_wrk(base, case.request, load)
    _wait_until_idle(base)
    failures = failed_requests(result)
    if failures:
        log(f"{case.name}: {failures} failed requests, first: {result['first_bad']}")
    return {"note": case.note, **result}


def _wait_until_idle(base: str) -> None:
    """Let the server finish what wrk left in flight when it stopped.

    Sync workers queue connections in the listen backlog: 32 abandoned logins are seconds of PBKDF2 that would
    otherwise be charged to the next run. A health check answered promptly means the backlog is drained.
    """
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        started = time.monotonic()
        with urllib.request.urlopen(f"{base}/healthz", timeout=120) as response:
            response.read()
        if time.monotonic() - started < 0.02:
            return
    raise RuntimeError("the server stayed busy for 2 minutes after wrk stopped")


def _check_once(base: str, request: Request) -> None:
    """One request by hand before the load, so a broken case fails loudly instead of timing errors."""
    body = request.body.replace("{n}", "0").encode() if request.body is not None else None
    headers = {"Content-Type": "application/json"}
    if request.token:
        headers["Authorization"] = f"Bearer {request.token}"
    http_request = urllib.request.Request(base + request.path, data=body, headers=headers, method=request.method)
    with urllib.request.urlopen(http_request, timeout=60) as response:
        text = response.read().decode()
    if request.expect and request.expect not in text:
        raise RuntimeError(f"{request.method} {request.path}: expected {request.expect!r} in {text[:500]}")


def _login(base: str) -> str:
    body = graphql_body(LOGIN, {"username": data.MAIN_USERNAME, "password": data.PASSWORD}).encode()
    request = urllib.request.Request(f"{base}/graphql/", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        payload = json.loads(response.read())
    token = payload["data"]["login"]["token"]
    if not token:
        raise RuntimeError(f"login failed: {payload}")
    return token


def _with_ratios(results: dict[str, dict]) -> dict[str, dict]:
    baseline = results["baseline"]
    for name, result in results.items():
        result["rps_vs_baseline"] = throughput_ratio(results, name, "baseline")
        result["p99_vs_baseline"] = result["latency_us"]["p99"] / baseline["latency_us"]["p99"]
    return results


def _table(summary: dict) -> str:
    rows = []
    for name, result in summary["cases"].items():
        latency = result["latency_us"]
        rows.append(
            [
                name,
                result["requests_per_s"],
                latency["p50"] / 1000,
                latency["p99"] / 1000,
                f"{result['rps_vs_baseline']:.1%}",
                f"{result['p99_vs_baseline']:.1f}x",
                " / ".join(f"{rate:.0f}" for rate in result["rounds_requests_per_s"]),
                result["failed_requests"],
            ]
        )
    machine = summary["machine"]
    title = (
        f"{machine['nproc']} x {machine['cpu_model']}, load before {machine['loadavg_before'][0]:.2f}; "
        f"wrk {summary['load']['connections']} connections, {summary['load']['duration_s']} s per case and round; "
        f"each case's median of {summary['load']['rounds']} interleaved rounds, ratios the median of those within a "
        "round"
    )
    headers = ["case", "req/s", "p50 ms", "p99 ms", "req/s vs baseline", "p99 vs baseline", "rounds req/s", "failed"]
    return title + "\n\n" + format_table(headers, rows)
