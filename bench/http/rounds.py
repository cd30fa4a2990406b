"""One figure per case from interleaved rounds: each round runs every case once, so a drift of the machine over
the run (measured: the baseline moved by up to 15% within a run) reaches every case alike instead of the ones that
happened to run during it."""


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
