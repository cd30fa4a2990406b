"""The servers a benchmark runs against: a throwaway PostgreSQL and Redis (devserver.servers, the same real
servers `make test` uses) and the API started exactly as `make run` starts it."""

import os
import secrets
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg

from devserver.servers import PostgresServer, RedisServer, free_port, start_postgres, start_redis, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
# The exact command of devserver/run.py (`make run`).
API_COMMAND = [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"]


@contextmanager
def scratch_dir(prefix: str) -> Iterator[Path]:
    """A temporary directory for a run's servers, removed after a successful run (10M rows take ~5 GB) and kept,
    with its logs, after a failure."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    try:
        yield path
    except BaseException:
        log(f"kept {path} (server logs) after the failure")
        raise
    shutil.rmtree(path, ignore_errors=True)


@dataclass
class Backing:
    postgres: PostgresServer
    redis: RedisServer
    workdir: Path

    def stop(self) -> None:
        self.postgres.stop()
        self.redis.stop()


@contextmanager
def backing_servers(workdir: Path) -> Iterator[Backing]:
    log(f"starting PostgreSQL and Redis under {workdir}")
    redis = start_redis(workdir / "redis")
    try:
        postgres = start_postgres(workdir / "postgres")
    except BaseException:
        redis.stop()
        raise
    backing = Backing(postgres=postgres, redis=redis, workdir=workdir)
    try:
        yield backing
    finally:
        backing.stop()


def create_database(postgres: PostgresServer, name: str) -> str:
    """A new, migrated database; returns its URL."""
    with psycopg.connect(postgres.url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    url = postgres.url_for(name)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        check=True,
    )
    return url


def api_environment(database_url: str, redis_url: str, port: int, workdir: Path) -> dict[str, str]:
    """Production-like settings: DEBUG off, a real secret, tokens that outlive the run."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        PORT=str(port),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(48),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        # The default 5 minutes would expire the benchmark's token mid-run.
        ACCESS_TOKEN_LIFETIME="86400",
        # Every request comes from 127.0.0.1: the per-address login limit (30 per 15 minutes) would refuse the
        # login case. Raised, not disabled, so the limiter's Redis work is still part of what login costs.
        LOGIN_ATTEMPTS_PER_ADDRESS="1000000000",
        # config.settings with the bench-only URLconf (the plain views beside the API's routes); production never
        # loads this module.
        DJANGO_SETTINGS_MODULE="bench.http.settings",
    )
    # As devserver/run.py does: gunicorn's workers share prometheus_client's multiprocess files here.
    metrics_dir = workdir / "prometheus"
    metrics_dir.mkdir(exist_ok=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    return env


@contextmanager
def api_server(database_url: str, redis_url: str, log_path: Path) -> Iterator[tuple[subprocess.Popen, int]]:
    """gunicorn as `make run` starts it; yields (master process, port)."""
    port = free_port()
    env = api_environment(database_url, redis_url, port, log_path.parent)
    with started_server(API_COMMAND, env, port, log_path) as process:
        yield process, port


@contextmanager
def started_server(command: list[str], env: dict[str, str], port: int, log_path: Path) -> Iterator[subprocess.Popen]:
    """`command` running (its output in `log_path`) until the block ends, once it listens on `port`."""
    with log_path.open("wb") as sink:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, 60, process)
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def log(message: str) -> None:
    print(f"bench: {message}", file=sys.stderr, flush=True)
