"""`make test`: every test, against real servers started here.

Starts one real Redis and one throwaway PostgreSQL (installing Debian's package if it is missing), then runs
`go test ./...` in go_aggregator/ and the pytest suite twice: on SQLite and on PostgreSQL. Ends with one line
`tests: N passed, N failed`.
"""

import json
import os
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from devserver.servers import start_postgres, start_redis

ROOT = Path(__file__).resolve().parent.parent


def main(pytest_args: list[str]) -> int:
    workdir = Path(tempfile.mkdtemp(prefix="finance-tests-"))
    redis = start_redis(workdir / "redis")
    postgres = start_postgres(workdir / "postgres")
    passed = failed = 0
    try:
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
                [sys.executable, "-m", "pytest", f"--junitxml={report}", *pytest_args],
                cwd=ROOT,
                env={**env, "DATABASE_URL": url},
            ).returncode
            engine_passed, engine_failed = count_junit(report)
            if code != 0 and engine_failed == 0:
                engine_failed = 1  # collection error, no tests, or a crash
            passed, failed = passed + engine_passed, failed + engine_failed
    finally:
        postgres.stop()
        redis.stop()
    print(f"\ntests: {passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 and passed > 0 else 1


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
    sys.exit(main(sys.argv[1:]))
