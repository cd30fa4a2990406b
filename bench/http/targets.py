"""Issue 5's targets (and issue 12's for account registers), as ratios within one run (absolute figures depend on
the machine)."""

WORKER_RSS_LIMIT_MB = 150


REQUIRED_CASES = {
    "baseline",
    "balance_hit",
    "balance_miss",
    "first_page",
    "deep_page",
    "entries_first",
    "entries_deep",
    "create_transaction",
}
# (costlier case, cheaper case): what one request of the first costs in requests of the second, reported whenever
# both ran (cost per request = 1 / throughput at the same concurrency).
COST_RATIOS = (("balance_miss", "balance_hit"), ("deep_page", "first_page"), ("entries_deep", "entries_first"))


def cost_ratios(cases: dict[str, dict]) -> dict[str, float]:
    """ "a/b": the cost of a request of case a over one of case b, for each pair of COST_RATIOS that ran."""
    return {
        f"{costly}/{cheap}": cases[cheap]["requests_per_s"] / cases[costly]["requests_per_s"]
        for costly, cheap in COST_RATIOS
        if costly in cases and cheap in cases
    }


def evaluate_targets(cases: dict[str, dict], worker_rss_mb: list[float | None]) -> list[dict]:
    if not REQUIRED_CASES <= cases.keys():
        return []

    def rps(name: str) -> float:
        return cases[name]["requests_per_s"]

    def p99(name: str) -> float:
        return cases[name]["latency_us"]["p99"]

    # Cost per request = 1 / throughput at the same concurrency.
    miss_cost = rps("balance_hit") / rps("balance_miss")
    deep_cost = rps("first_page") / rps("deep_page")
    deep_entries_cost = rps("entries_first") / rps("entries_deep")
    largest_rss = max((rss for rss in worker_rss_mb if rss is not None), default=None)
    return [
        _target(
            "balance hit >= 50% of baseline req/s",
            rps("balance_hit") / rps("baseline") >= 0.5,
            f"{rps('balance_hit') / rps('baseline'):.1%}",
        ),
        _target(
            "balance hit p99 < 5x baseline p99",
            p99("balance_hit") / p99("baseline") < 5,
            f"{p99('balance_hit') / p99('baseline'):.1f}x",
        ),
        _target("balance miss <= 10x the cost of a hit", miss_cost <= 10, f"{miss_cost:.1f}x"),
        _target("deep page within 1.5x of the first page", deep_cost <= 1.5, f"{deep_cost:.2f}x"),
        _target(
            "deep register page within 1.5x of the first register page",
            deep_entries_cost <= 1.5,
            f"{deep_entries_cost:.2f}x",
        ),
        _target(
            "createTransaction >= 25% of baseline req/s",
            rps("create_transaction") / rps("baseline") >= 0.25,
            f"{rps('create_transaction') / rps('baseline'):.1%}",
        ),
        _target(
            f"every worker < {WORKER_RSS_LIMIT_MB} MB RSS",
            largest_rss is not None and largest_rss < WORKER_RSS_LIMIT_MB,
            f"largest {largest_rss} MB",
        ),
    ]


def _target(name: str, met: bool, measured: str) -> dict:
    return {"target": name, "met": met, "measured": measured}
