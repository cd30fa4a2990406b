"""What /readyz checks: the database answers, Redis answers, and every migration on disk is applied."""

import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django_redis import get_redis_connection


@dataclass(frozen=True)
class CheckResult:
    name: str
    ok: bool
    latency_ms: float
    detail: str

    def as_json(self) -> dict:
        return {"status": "ok" if self.ok else "fail", "latency_ms": round(self.latency_ms, 2), "detail": self.detail}


def run_checks() -> list[CheckResult]:
    return [_timed("database", _check_database), _timed("redis", _check_redis), _timed("migrations", _check_migrations)]


def _timed(name: str, check: Callable[[], str]) -> CheckResult:
    started = time.perf_counter()
    try:
        detail, ok = check(), True
    except Exception as error:  # any failure means "not ready"; the detail says which and why
        detail, ok = f"{type(error).__name__}: {str(error)[:200]}", False
    return CheckResult(name, ok, (time.perf_counter() - started) * 1000, detail)


def _check_database() -> str:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connections[DEFAULT_DB_ALIAS].vendor


def _check_redis() -> str:
    # django-redis' client carries the configured socket timeouts, so a dead Redis costs at most those.
    get_redis_connection("default").ping()
    return "PONG"


_migration_targets: set[tuple[str, str]] | None = None


def _check_migrations() -> str:
    # The migrations on disk cannot change under a running process: load them once, then compare with the
    # applied set, which is one query.
    global _migration_targets
    connection = connections[DEFAULT_DB_ALIAS]
    if _migration_targets is None:
        _migration_targets = set(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)
    applied = set(MigrationRecorder(connection).applied_migrations())
    missing = sorted(_migration_targets - applied)
    if missing:
        shown = ", ".join(f"{app}.{name}" for app, name in missing[:5])
        raise RuntimeError(f"{len(missing)} unapplied migration(s): {shown}")
    return f"{len(_migration_targets)} applied"
