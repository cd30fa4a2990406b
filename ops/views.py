"""/readyz (readiness, JSON) and /metrics (Prometheus text format)."""

import os

from django.http import HttpRequest, HttpResponse, JsonResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess

from ops.readiness import run_checks


def readyz(request: HttpRequest) -> JsonResponse:
    """200 when the database and Redis answer and no migration is pending, else 503; each check with its latency."""
    checks = run_checks()
    ready = all(check.ok for check in checks)
    return JsonResponse(
        {"status": "ok" if ready else "fail", "checks": {check.name: check.as_json() for check in checks}},
        status=200 if ready else 503,
    )


def metrics(request: HttpRequest) -> HttpResponse:
    """Every metric of this process, or of all gunicorn workers when PROMETHEUS_MULTIPROC_DIR is set."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
    else:
        registry = REGISTRY
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
