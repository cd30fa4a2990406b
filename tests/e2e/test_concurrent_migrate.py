"""Several hosts starting together on a new PostgreSQL database: their `migrate` runs wait for each other instead
of colliding (ops/management/commands/migrate.py). PostgreSQL only (tests/e2e/conftest.py)."""

import os
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

from tests.e2e.conftest import ROOT, fresh_database_url

pytestmark = pytest.mark.e2e


def test_three_migrate_runs_at_once_all_succeed(tmp_path: Path) -> None:
    database_url = fresh_database_url(tmp_path)
    env = {key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"}
    env["DATABASE_URL"] = database_url
    runs = [
        subprocess.Popen(
            [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [(run.wait(timeout=300), run.stderr.read()) for run in runs]
    assert [code for code, _ in results] == [0, 0, 0], [err for _, err in results]
    with psycopg.connect(database_url) as db:
        pending = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--check", "-v", "0"], cwd=ROOT, env=env, check=False
        )
        assert pending.returncode == 0  # every migration applied, once
        applied = db.execute("SELECT count(*), count(DISTINCT (app, name)) FROM django_migrations").fetchone()
        assert applied[0] == applied[1]
