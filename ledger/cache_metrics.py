"""Prometheus counters of the balance cache (exposed at /metrics by ops.views).

They live in the ledger, next to the cache they count, so ledger/ depends on prometheus_client only and never on
the layers above it. Under gunicorn, prometheus_client's multiprocess mode (PROMETHEUS_MULTIPROC_DIR, set by
`make run`) sums them over the worker processes.
"""

from prometheus_client import Counter

BALANCE_CACHE_HITS = Counter(
    "finance_balance_cache_hits_total", "Balance reads answered from Redis without computing the aggregate."
)
BALANCE_CACHE_MISSES = Counter(
    "finance_balance_cache_misses_total",
    "Balance reads that computed the aggregate from the database (key absent, or Redis unreachable).",
)
