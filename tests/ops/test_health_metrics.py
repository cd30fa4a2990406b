"""/healthz, /readyz and /metrics over HTTP, against the real database and Redis; structured logs."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db.migrations.recorder import MigrationRecorder
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from devserver.servers import start_redis
from tests.conftest import GraphQLClient, create

ROOT = Path(__file__).resolve().parents[2]


def metric_samples() -> dict[tuple, float]:
    """Every sample of /metrics as {(name, sorted labels): value}."""
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


def test_healthz_answers_without_io() -> None:
    response = Client().get("/healthz")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_readyz_is_ok_with_every_check_and_its_latency(db: None) -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert set(body["checks"]) == {"database", "redis", "migrations"}
    for check in body["checks"].values():
        assert check["status"] == "ok"
        assert isinstance(check["latency_ms"], float | int) and check["latency_ms"] >= 0


def test_readyz_is_503_when_redis_is_down(db: None, settings, tmp_path: Path) -> None:
    own = start_redis(tmp_path / "redis")
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": own.url}}
    try:
        assert Client().get("/readyz").status_code == 200
        own.stop()
        response = Client().get("/readyz")
    finally:
        own.stop()
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert response.json()["status"] == "fail"
    assert (checks["redis"]["status"], checks["database"]["status"], checks["migrations"]["status"]) == (
        "fail",
        "ok",
        "ok",
    )
    assert "ConnectionError" in checks["redis"]["detail"]


def test_readyz_is_503_with_an_unapplied_migration(db: None) -> None:
    MigrationRecorder.Migration.objects.filter(app="ledger", name="0001_initial").delete()
    response = Client().get("/readyz")
    assert response.status_code == 503
    migrations = response.json()["checks"]["migrations"]
    assert migrations["status"] == "fail"
    assert "ledger.0001_initial" in migrations["detail"]


def test_metrics_count_graphql_operations_by_name_and_type(as_alice: GraphQLClient) -> None:
    before = metric_samples()
    named = ("finance_graphql_requests_total", (("operation", "AliceBalance"), ("type", "query")))
    created = ("finance_graphql_requests_total", (("operation", "anonymous"), ("type", "mutation")))
    errors = ("finance_graphql_errors_total", (("operation", "Broken"), ("type", "query")))
    timed = ("finance_graphql_request_duration_seconds_count", (("operation", "AliceBalance"), ("type", "query")))
    for _ in range(3):
        as_alice.data("query AliceBalance { balance { total } }")
    as_alice.data('mutation { createTransaction(input: {amount: "1.00", type: EXPENSE}) { errors { code } } }')
    as_alice.post("query Broken { transactions(first: -1) { totalCount } }")
    after = metric_samples()
    assert after[named] - before.get(named, 0) == 3
    assert after[timed] - before.get(timed, 0) == 3
    assert after[created] - before.get(created, 0) == 1
    assert after[errors] - before.get(errors, 0) == 1


def test_metrics_count_balance_cache_hits_and_misses(as_alice: GraphQLClient) -> None:
    hits, misses = ("finance_balance_cache_hits_total", ()), ("finance_balance_cache_misses_total", ())
    before = metric_samples()
    create(as_alice, "5.00", "INCOME")
    as_alice.data("query { balance { total } }")  # miss: the write made a new version
    as_alice.data("query { balance { total } }")  # hit
    as_alice.data("query { balance { total } }")  # hit
    after = metric_samples()
    assert (after[hits] - before[hits], after[misses] - before[misses]) == (2, 1)


def test_logs_are_one_json_object_per_line_when_debug_is_off(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": "k" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'logs.sqlite3'}",
    }
    code = (
        "import logging\n"
        "log = logging.getLogger('ledger.demo')\n"
        "log.warning('balance for %s', 'ada', extra={'user_id': 42})\n"
        "try:\n    1 / 0\nexcept ZeroDivisionError:\n    log.exception('it broke')\n"
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    assert [(line["level"], line["logger"], line["message"]) for line in lines] == [
        ("WARNING", "ledger.demo", "balance for ada"),
        ("ERROR", "ledger.demo", "it broke"),
    ]
    assert lines[0]["user_id"] == 42
    assert "ZeroDivisionError" in lines[1]["exception"]
    assert lines[0]["time"].endswith("+00:00")
