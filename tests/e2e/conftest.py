"""The system started exactly as `make run` starts it (devserver.run), driven over HTTP from outside."""

import json
import os
import signal
import subprocess
import sys
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest

from devserver.servers import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


# Modules that need PostgreSQL: several hosts on one database, which SQLite (one file on one machine) cannot serve.
POSTGRES_ONLY_MODULES = {"test_multi_host.py", "test_concurrent_migrate.py"}


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On SQLite, deselect the PostgreSQL-only modules rather than skip them: `make test` counts a skip as a failure.
    (collect_ignore would not do: pytest still collects a file named on the command line.)"""
    if on_postgres():
        return
    here = Path(__file__).parent
    deselected = [item for item in items if item.path.parent == here and item.path.name in POSTGRES_ONLY_MODULES]
    if deselected:
        items[:] = [item for item in items if item not in deselected]
        config.hook.pytest_deselected(items=deselected)


@dataclass
class LiveStack:
    process: subprocess.Popen
    port: int
    database_url: str
    log: Path
    live_port: int = 0  # the live server (uvicorn: websockets at /graphql/, and HTTP)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def live_url(self) -> str:
        return f"ws://127.0.0.1:{self.live_port}/graphql/"

    def sign_up(self, username: str, password: str = "a long passphrase") -> str:
        """Register through the API and log in; returns the access token."""
        registered = self.graphql(
            "mutation($u: String!, $e: String!, $p: String!) { register(username: $u, email: $e, password: $p) "
            "{ errors { code } } }",
            {"u": username, "e": f"{username}@example.com", "p": password},
        )
        assert registered["data"]["register"]["errors"] == [], registered
        login = self.graphql(
            "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token errors { code } } }",
            {"u": username, "p": password},
        )["data"]["login"]
        assert login["errors"] == [], login
        return login["token"]

    def graphql(self, query: str, variables: dict | None = None, token: str | None = None) -> dict:
        request = urllib.request.Request(
            f"{self.base}/graphql/",
            data=json.dumps({"query": query, "variables": variables or {}}).encode(),
            headers={"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})},
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 200
            return json.loads(response.read())


def fresh_database_url(tmp_path: Path) -> str:
    """A database of its own for the live server: a new PostgreSQL database, or a new SQLite file."""
    url = os.environ["DATABASE_URL"]
    if url.startswith(("postgres://", "postgresql://")):
        name = f"e2e_{uuid.uuid4().hex[:12]}"
        with psycopg.connect(os.environ["TEST_POSTGRES_URL"], autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        return url.rsplit("/", 1)[0] + f"/{name}"
    return f"sqlite:///{tmp_path / 'live.sqlite3'}"


@contextmanager
def running_stack(workdir: Path, **extra_env: str) -> Iterator[LiveStack]:
    """Start devserver.run (what `make run` runs) on a fresh database and a free port; SIGTERM it afterwards."""
    port = free_port()
    live_port = free_port()
    while live_port == port:
        live_port = free_port()
    env = {key: value for key, value in os.environ.items() if key not in ("REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(
        PORT=str(port),
        LIVE_PORT=str(live_port),
        DATABASE_URL=fresh_database_url(workdir),
        WEB_CONCURRENCY="2",
        AGGREGATOR_INTERVAL="200ms",
    )
    env.update(extra_env)
    log = workdir / "stack.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "devserver.run"],
            cwd=ROOT,
            env=env,
            stdout=sink,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    stack = LiveStack(process=process, port=port, database_url=env["DATABASE_URL"], log=log, live_port=live_port)
    try:
        wait_for_port(port, 60, process)
        wait_for_port(live_port, 60, process)
        yield stack
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen) -> int:
    """SIGTERM, then SIGKILL to its whole session after 30 s; returns the exit code."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    return process.returncode


@pytest.fixture
def live_stack(tmp_path: Path) -> Iterator[LiveStack]:
    with running_stack(tmp_path) as stack:
        yield stack
