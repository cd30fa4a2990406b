"""A JavaScript frontend's session (clients/js: graphql-request, and graphql-ws for the live changes subscription,
under Node's own test runner) against the live stack."""

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveStack

pytestmark = pytest.mark.e2e

CLIENT = Path(__file__).resolve().parents[2] / "clients" / "js"


def install_js_client() -> None:
    """`npm ci` from the committed package-lock.json, when node_modules is missing or holds other packages than the
    lock names (a checkout whose lock gained one since the last install)."""
    installed_lock = CLIENT / "node_modules" / ".package-lock.json"
    if installed_lock.exists() and _packages(installed_lock) == _packages(CLIENT / "package-lock.json"):
        return
    installed = subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
        cwd=CLIENT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, f"npm ci failed in {CLIENT}:\n{installed.stdout}\n{installed.stderr}"


def _packages(lock: Path) -> dict:
    """What a lock file installs: each package's path and version (npm ci's hidden lock in node_modules has the same
    keys, without the root package)."""
    packages = json.loads(lock.read_text())["packages"]
    return {path: entry.get("version") for path, entry in packages.items() if path}


def test_graphql_request_client_runs_a_session_under_node(live_stack: LiveStack) -> None:
    install_js_client()
    run = subprocess.run(
        ["node", "--test", "--test-reporter=tap"],
        cwd=CLIENT,
        env={**os.environ, "FINANCE_API_URL": f"{live_stack.base}/graphql/", "FINANCE_LIVE_URL": live_stack.live_url},
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = f"{run.stdout}\n{run.stderr}"
    assert run.returncode == 0, f"node --test failed:\n{output}"
    # Node's TAP summary: every test ran and passed (a test file that was not found would run zero tests): two of
    # the HTTP session, two of the live subscription.
    assert re.search(r"^# pass 4$", run.stdout, re.MULTILINE), output
    assert re.search(r"^# fail 0$", run.stdout, re.MULTILINE), output
