"""`make test`: every test, against real servers started here.

Starts one real Redis and one throwaway PostgreSQL (installing Debian's package if it is missing), then runs
`go test ./...` in go_aggregator/ and the pytest suite twice: on SQLite and on PostgreSQL. Ends with one line
`tests: N passed, N failed`.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from devserver.servers import ThrowawayServers

ROOT = Path(__file__).resolve().parent.parent


def main(pytest_args: list[str]) -> int:
    # SIGTERM (a CI time-out, `kill`) unwinds like Ctrl-C, so the finally below still stops the servers.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    # Everything of this run (PostgreSQL's data, Redis, SQLite files, reports, pytest's tmp_path) lives in workdir,
    # removed at the end whatever happened: a failure, a crash, Ctrl-C.
    servers = ThrowawayServers.in_new_directory("finance-tests-")
    workdir = servers.workdir
    passed = failed = 0
    try:
        redis = servers.start_redis()
        postgres = servers.start_postgres()
        env = {
            **os.environ,
            "REDIS_URL": redis.url,
            "TEST_POSTGRES_URL": postgres.url,
            "REQUIRE_POSTGRES": "1",
            "TEST_WORKDIR": str(workdir),
        }
        if (ROOT / "go_aggregator" / "go.mod").exists() and not pytest_args:
            go_passed, go_failed = run_go_tests(env)
            passed, failed = passed + go_passed, failed + go_failed
        for engine, url in (("sqlite", f"sqlite:///{workdir / 'suite.sqlite3'}"), ("postgres", postgres.url)):
            report = workdir / f"pytest-{engine}.xml"
            print(f"\n=== pytest on {engine} ===", flush=True)
            code = subprocess.run(
                [sys.executable, "-m", "pytest", f"--junitxml={report}", f"--basetemp={workdir / f'pytest-{engine}'}"]
                + pytest_args,
                cwd=ROOT,
                env={**env, "DATABASE_URL": url},
            ).returncode
            engine_passed, engine_failed = count_junit(report)
            if code != 0 and engine_failed == 0:
                engine_failed = 1  # collection error, no tests, or a crash
            passed, failed = passed + engine_passed, failed + engine_failed
    finally:
        try:
            keep_artifacts(workdir, failed=failed > 0)
        finally:
            servers.stop()
    print(f"\ntests: {passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 and passed > 0 else 1


def keep_artifacts(workdir: Path, *, failed: bool) -> None:
    """Browser screenshots of a failed run (the last state of each browser test) move to var/artifacts/failed-run/."""
    artifacts = workdir / "artifacts"
    if not failed or not artifacts.is_dir():
        return
    kept = ROOT / "var" / "artifacts" / "failed-run"
    shutil.rmtree(kept, ignore_errors=True)
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(artifacts, kept)
    print(f"screenshots of this run: {kept}", flush=True)


def run_go_tests(env: dict[str, str]) -> tuple[int, int]:
    print("=== go test ./... ===", flush=True)
    process = subprocess.Popen(
        ["go", "test", "-count=1", "-timeout=5m", "-json", "./..."],
        cwd=ROOT / "go_aggregator",
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    passed = failed = 0
    for line in process.stdout:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            print(line, end="")
            continue
        action, test = event.get("Action"), event.get("Test")
        if action == "output" and (not test or event["Output"].startswith(("--- FAIL", "    "))):
            print(event["Output"], end="")
        if test and action == "pass":
            passed += 1
        elif test and action == "fail":
            failed += 1
    if process.wait() != 0 and failed == 0:
        failed = 1  # build failure
    return passed, failed


def count_junit(report: Path) -> tuple[int, int]:
    if not report.exists():
        return 0, 0
    suite = ElementTree.parse(report).getroot()
    suite = suite if suite.tag == "testsuite" else suite.find("testsuite")
    total, failures, errors, skipped = (int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped"))
    # A skip is a failure here: a test that needs PostgreSQL or Redis gets them from this harness.
    return total - failures - errors - skipped, failures + errors + skipped


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except KeyboardInterrupt:
        print("\ntests: interrupted; servers stopped, work directory removed", file=sys.stderr, flush=True)
        sys.exit(130)
