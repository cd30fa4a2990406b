"""A JavaScript frontend's session (clients/js: graphql-request under Node's own test runner) against the live stack."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveStack

pytestmark = pytest.mark.e2e

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "js"


def install_js_client() -> None:
    """`npm ci` from the committed package-lock.json, only when node_modules is missing."""
    if (CLIENT / "node_modules" / ".package-lock.json").exists():
        return
    installed = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, f"npm ci failed in {CLIENT}:\n{installed.stdout}\n{installed.stderr}"


def test_graphql_request_client_runs_a_session_under_node(live_stack: LiveStack) -> None:
    install_js_client()
    run = subprocess.run(
        ["node", "--test", "--test-reporter=tap"],
        cwd=CLIENT,
        env={**os.environ, "FINANCE_API_URL": f"{live_stack.base}/graphql/"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = f"{run.stdout}\n{run.stderr}"
    assert run.returncode == 0, f"node --test failed:\n{output}"
    # Node's TAP summary: both tests ran and passed (a test file that was not found would run zero tests).
    assert re.search(r"^# pass 2$", run.stdout, re.MULTILINE), output
    assert re.search(r"^# fail 0$", run.stdout, re.MULTILINE), output
