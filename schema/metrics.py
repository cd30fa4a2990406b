"""Prometheus metrics per GraphQL operation: how many, how long, how many ended with errors.

Operation names come from clients, so they are sanitized and capped per process (MAX_OPERATION_NAMES): a client
sending random names must not grow the metric series without bound. Unnamed operations count as "anonymous".
"""

import re

from prometheus_client import Counter, Histogram
from strawberry.types import ExecutionContext

MAX_OPERATION_NAMES = 200
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")
_LABELS = ("operation", "type")

GRAPHQL_REQUESTS = Counter(
    "finance_graphql_requests_total", "GraphQL operations executed, by operation name and type.", _LABELS
)
GRAPHQL_ERRORS = Counter(
    "finance_graphql_errors_total",
    "GraphQL operations whose result carried errors, by operation name and type.",
    _LABELS,
)
GRAPHQL_DURATION = Histogram(
    "finance_graphql_request_duration_seconds",
    "Time from parsing to the result, by operation name and type.",
    _LABELS,
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

_seen_names: set[str] = set()
# The request and duration metrics' children per (operation, type) label pair: labels() takes a lock and checks its
# arguments on every call. Bounded like the names: at most MAX_OPERATION_NAMES + 3 operation labels times four types.
_children: dict[tuple[str, str], tuple] = {}


def record_operation(context: ExecutionContext, elapsed: float) -> None:
    """Count one operation under its name and type, with its duration (parsing to result) and whether it failed."""
    labels = (operation_label(context.operation_name), _operation_type(context))
    try:
        requests, duration = _children[labels]
    except KeyError:
        requests, duration = _children[labels] = (GRAPHQL_REQUESTS.labels(*labels), GRAPHQL_DURATION.labels(*labels))
    requests.inc()
    duration.observe(elapsed)
    result = context.result
    if context.pre_execution_errors or (result is not None and result.errors):
        GRAPHQL_ERRORS.labels(*labels).inc()  # its series appears with the first failure, as before


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _NAME.fullmatch(name):
        return "invalid"
    if name not in _seen_names:
        if len(_seen_names) >= MAX_OPERATION_NAMES:
            return "other"
        _seen_names.add(name)
    return name


def _operation_type(context: object) -> str:
    try:
        return context.operation_type.value
    except Exception:  # no document (a parse error) or no operation with the given name
        return "unknown"
