"""One figure per case from interleaved rounds: each round runs every case once, so a drift of the machine over
the run (measured: the baseline moved by up to 15% within a run) reaches every case alike instead of the ones that
happened to run during it."""

from statistics import median


def failed_requests(result: dict) -> int:
    """Socket errors, timeouts and answers that were not 200 or lacked the expected text, in one wrk run."""
    return sum(result["errors"].values()) + result["bad_responses"]


def median_round(runs: list[dict]) -> dict:
    """The run with the median requests/s (the lower of the two middle ones for an even count), with every round's
    requests/s and the failed requests of all rounds: a failure in any round is reported."""
    if not runs:
        raise ValueError("no rounds ran")
    median = sorted(runs, key=lambda run: run["requests_per_s"])[(len(runs) - 1) // 2]
    return {
        **median,
        "rounds_requests_per_s": [run["requests_per_s"] for run in runs],
        "failed_requests": sum(failed_requests(run) for run in runs),
    }


def throughput_ratio(cases: dict[str, dict], case: str, reference: str) -> float:
    """`case`'s requests/s over `reference`'s: the median of the ratios within each round when both ran in every
    round, else the ratio of their figures. Paired by round, a slow round slows both sides of its ratio: the median
    rounds of two cases can come from rounds minutes apart on a machine whose speed moved by 30% in between
    (bench/README.md)."""
    rounds, reference_rounds = (cases[name].get("rounds_requests_per_s") for name in (case, reference))
    if rounds and reference_rounds and len(rounds) == len(reference_rounds):
        return median(rate / reference_rate for rate, reference_rate in zip(rounds, reference_rounds, strict=True))
    return cases[case]["requests_per_s"] / cases[reference]["requests_per_s"]
