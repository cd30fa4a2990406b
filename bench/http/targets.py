"""Issue 5's targets (issue 12's for account registers, issue 15's for the GraphQL layer's share, cache misses and
analytics), as ratios within one run (absolute figures depend on the machine)."""

from collections.abc import Callable

from bench.http.rounds import throughput_ratio

WORKER_RSS_LIMIT_MB = 150


REQUIRED_CASES = {
    "baseline",
    "balance_hit",
    "balance_plain",
    "balance_miss",
    "balance_miss_steady",
    "first_page",
    "first_page_plain",
    "deep_page",
    "entries_first",
    "entries_deep",
    "monthly_summary_12",
    "category_breakdown_12",
    "create_transaction",
}
# (costlier case, cheaper case): what one request of the first costs in requests of the second, reported whenever
# both ran (cost per request = 1 / throughput at the same concurrency).
# A GraphQL case over its plain twin is the GraphQL layer's share of a request.
COST_RATIOS = (
    ("balance_miss", "balance_hit"),
    ("balance_miss_steady", "balance_hit"),
    ("balance_hit", "balance_plain"),
    ("first_page", "first_page_plain"),
    ("deep_page", "first_page"),
    ("entries_deep", "entries_first"),
    ("monthly_summary_12", "balance_hit"),
    ("category_breakdown_12", "balance_hit"),
)


def cost_ratios(cases: dict[str, dict]) -> dict[str, float]:
    """ "a/b": the cost of a request of case a over one of case b, for each pair of COST_RATIOS that ran."""
    return {
        f"{costly}/{cheap}": throughput_ratio(cases, cheap, costly)
        for costly, cheap in COST_RATIOS
        if costly in cases and cheap in cases
    }


def evaluate_targets(cases: dict[str, dict], worker_rss_mb: list[float | None]) -> list[dict]:
    if not REQUIRED_CASES <= cases.keys():
        return []

    def ratio(case: str, reference: str) -> float:
        return throughput_ratio(cases, case, reference)

    def p99(name: str) -> float:
        return cases[name]["latency_us"]["p99"]

    # Cost per request = 1 / throughput at the same concurrency.
    miss_cost = ratio("balance_hit", "balance_miss")
    steady_miss_cost = ratio("balance_hit", "balance_miss_steady")
    deep_cost = ratio("first_page", "deep_page")
    deep_entries_cost = ratio("entries_first", "entries_deep")
    largest_rss = max((rss for rss in worker_rss_mb if rss is not None), default=None)
    return [
        _target(
            "balance hit >= 50% of baseline req/s",
            ratio("balance_hit", "baseline") >= 0.5,
            f"{ratio('balance_hit', 'baseline'):.1%}",
        ),
        _target(
            "balance hit >= 40% of baseline req/s (issue 15)",
            ratio("balance_hit", "baseline") >= 0.4,
            f"{ratio('balance_hit', 'baseline'):.1%}",
        ),
        _target(
            "balance hit p99 < 5x baseline p99",
            p99("balance_hit") / p99("baseline") < 5,
            f"{p99('balance_hit') / p99('baseline'):.1f}x",
        ),
        _target("balance miss <= 10x the cost of a hit", miss_cost <= 10, f"{miss_cost:.1f}x"),
        _target(
            "balance miss after the aggregator's run (balance_miss_steady) <= 3x the cost of a hit",
            steady_miss_cost <= 3,
            f"{steady_miss_cost:.2f}x",
        ),
        _throughput_target("balance hit", "balance_hit", "balance_plain", 0.90, ratio),
        _throughput_target("first page", "first_page", "first_page_plain", 0.85, ratio),
        _throughput_target("monthly summary (12 months)", "monthly_summary_12", "balance_hit", 0.5, ratio),
        _throughput_target("category breakdown (12 months)", "category_breakdown_12", "balance_hit", 0.5, ratio),
        _target("deep page within 1.5x of the first page", deep_cost <= 1.5, f"{deep_cost:.2f}x"),
        _target(
            "deep register page within 1.5x of the first register page",
            deep_entries_cost <= 1.5,
            f"{deep_entries_cost:.2f}x",
        ),
        _target(
            "createTransaction >= 25% of baseline req/s",
            ratio("create_transaction", "baseline") >= 0.25,
            f"{ratio('create_transaction', 'baseline'):.1%}",
        ),
        _target(
            f"every worker < {WORKER_RSS_LIMIT_MB} MB RSS",
            largest_rss is not None and largest_rss < WORKER_RSS_LIMIT_MB,
            f"largest {largest_rss} MB",
        ),
    ]


def _throughput_target(label: str, case: str, reference: str, least: float, ratio: Callable[[str, str], float]) -> dict:
    """`case` serves at least `least` times the requests per second of `reference`."""
    measured = ratio(case, reference)
    return _target(f"{label} >= {least:.2f}x the req/s of {reference}", measured >= least, f"{measured:.2f}x")


def _target(name: str, met: bool, measured: str) -> dict:
    return {"target": name, "met": met, "measured": measured}
