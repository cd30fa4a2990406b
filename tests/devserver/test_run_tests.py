"""`make test`'s driver (devserver/run_tests.py) leaves nothing behind, also when tests fail."""

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


# One test fails; the other checks that the run's PostgreSQL still serves once pytest has set up its tmp_path (pytest
# empties its basetemp then: it must not be a directory the servers keep their data in).
SUITE = """
import os
import psycopg


def test_fails():
    assert False


def test_postgres_outlives_tmp_path(tmp_path):
    with psycopg.connect(os.environ["TEST_POSTGRES_URL"]) as connection:
        connection.execute("CREATE TEMP TABLE written_after_tmp_path (id int)")
"""


def test_a_failing_run_removes_its_servers_and_work_directory() -> None:
    # A short directory of its own as TMPDIR (PostgreSQL's socket path must stay under 108 bytes), to see what the
    # run leaves in it.
    tmp = Path(tempfile.mkdtemp(prefix="rt-"))
    try:
        failing = tmp / "test_fails.py"
        failing.write_text(SUITE)
        run = subprocess.run(
            [sys.executable, "-m", "devserver.run_tests", "-p", "no:cacheprovider", str(failing)],
            cwd=ROOT,
            env={**os.environ, "TMPDIR": str(tmp)},
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 1, run.stdout + run.stderr
        # Each test once on SQLite and once on PostgreSQL.
        assert run.stdout.splitlines()[-1] == "tests: 2 passed, 2 failed", run.stdout + run.stderr
        assert sorted(path.name for path in tmp.iterdir()) == ["test_fails.py"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
