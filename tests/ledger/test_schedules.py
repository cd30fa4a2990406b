"""The schedule arithmetic of recurring rules (ledger/schedules.py): the table shared with Go, our own cases (month
ends, leap days, intervals, count and end date, year 9999), the index search against a walk of every occurrence,
and random rules answered by Python and by the Go binary's `schedule` subcommand."""

import datetime
import json
import random
import subprocess
from pathlib import Path

import pytest

from ledger.schedules import Schedule

ROOT = Path(__file__).resolve().parents[2]
SHARED_TABLE = json.loads((ROOT / "go_aggregator" / "testdata" / "schedules.json").read_text(encoding="utf-8"))
AGGREGATOR = ROOT / "go_aggregator" / "bin" / "aggregator"


def day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)


def schedule_of(case: dict) -> Schedule:
    """A case in the shared table's spelling (and the Go subcommand's) as a Schedule."""
    end = case.get("end")
    return Schedule(case["frequency"], case["interval"], day(case["start"]), end and day(end), case.get("count"))


def first_dates(schedule: Schedule, take: int) -> list[str]:
    """The first `take` occurrences (fewer when the schedule ends), as the shared table and Go spell them."""
    dates = []
    for index in range(take):
        occurrence = schedule.date_at(index)
        if occurrence is None:
            break
        dates.append(occurrence.isoformat())
    return dates


# --- the table shared with Go -----------------------------------------------------------------------------------


@pytest.mark.parametrize("case", SHARED_TABLE["dates"], ids=lambda case: case["name"])
def test_shared_table_dates(case: dict) -> None:
    assert first_dates(schedule_of(case), case["take"]) == case["dates"]


@pytest.mark.parametrize("case", SHARED_TABLE["first_index_on_or_after"], ids=lambda case: case["name"])
def test_shared_table_first_index_on_or_after(case: dict) -> None:
    assert schedule_of(case).first_index_on_or_after(day(case["on_or_after"])) == case["index"]


def test_the_shared_table_is_not_empty() -> None:
    assert len(SHARED_TABLE["dates"]) >= 10 and len(SHARED_TABLE["first_index_on_or_after"]) >= 5


# --- our own cases ------------------------------------------------------------------------------------------------

OWN_DATES = [
    # (frequency, interval, start, end, count, take, dates)
    ("monthly", 1, "2025-01-31", None, None, 5, ["2025-01-31", "2025-02-28", "2025-03-31", "2025-04-30", "2025-05-31"]),
    ("monthly", 1, "2024-01-30", None, None, 3, ["2024-01-30", "2024-02-29", "2024-03-30"]),
    ("monthly", 3, "2024-11-30", None, None, 4, ["2024-11-30", "2025-02-28", "2025-05-30", "2025-08-30"]),
    ("monthly", 1, "2025-12-31", None, None, 3, ["2025-12-31", "2026-01-31", "2026-02-28"]),
    ("monthly", 13, "2023-01-31", None, None, 3, ["2023-01-31", "2024-02-29", "2025-03-31"]),
    ("yearly", 1, "2024-02-29", None, None, 5, ["2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29"]),
    ("yearly", 4, "2096-02-29", None, None, 3, ["2096-02-29", "2100-02-28", "2104-02-29"]),  # 2100: no leap day
    ("yearly", 2, "2023-12-31", None, None, 2, ["2023-12-31", "2025-12-31"]),
    ("weekly", 2, "2025-12-25", None, None, 3, ["2025-12-25", "2026-01-08", "2026-01-22"]),
    ("weekly", 52, "2024-01-01", None, None, 2, ["2024-01-01", "2024-12-30"]),
    ("daily", 1, "2100-02-28", None, None, 2, ["2100-02-28", "2100-03-01"]),
    ("daily", 366, "2024-01-01", None, None, 2, ["2024-01-01", "2025-01-01"]),
    # count and end date
    ("daily", 1, "2026-03-10", None, 2, 5, ["2026-03-10", "2026-03-11"]),
    ("monthly", 1, "2026-01-31", "2026-03-31", None, 9, ["2026-01-31", "2026-02-28", "2026-03-31"]),
    ("monthly", 1, "2026-01-31", "2026-03-30", None, 9, ["2026-01-31", "2026-02-28"]),
    ("weekly", 1, "2026-03-10", "2026-03-10", None, 3, ["2026-03-10"]),
    ("yearly", 1, "2026-03-10", "2030-01-01", 2, 9, ["2026-03-10", "2027-03-10"]),
    ("daily", 1, "2026-03-10", None, None, 0, []),
    # the end of year 9999
    ("weekly", 1, "9999-12-24", None, None, 3, ["9999-12-24", "9999-12-31"]),
    ("monthly", 6, "9998-12-31", None, None, 5, ["9998-12-31", "9999-06-30", "9999-12-31"]),
    ("yearly", 1000, "1900-01-01", None, None, 20, [f"{year}-01-01" for year in range(1900, 10000, 1000)]),
]


@pytest.mark.parametrize(("frequency", "interval", "start", "end", "count", "take", "dates"), OWN_DATES)
def test_own_dates(
    frequency: str, interval: int, start: str, end: str | None, count: int | None, take: int, dates: list[str]
) -> None:
    case = {"frequency": frequency, "interval": interval, "start": start, "end": end, "count": count}
    assert first_dates(schedule_of(case), take) == dates


OWN_INDEXES = [
    # (frequency, interval, start, on_or_after, index)
    ("monthly", 1, "2025-01-31", "2025-02-28", 1),
    ("monthly", 1, "2025-01-31", "2025-03-01", 2),
    ("monthly", 1, "2025-01-31", "2025-03-31", 2),
    ("monthly", 2, "2025-01-31", "2025-02-01", 1),  # 2025-03-31
    ("yearly", 1, "2024-02-29", "2025-02-28", 1),
    ("yearly", 1, "2024-02-29", "2028-02-29", 4),
    ("yearly", 1, "2024-02-29", "2028-02-28", 4),
    ("weekly", 3, "2026-01-01", "2026-01-22", 1),
    ("weekly", 3, "2026-01-01", "2026-01-23", 2),
    ("daily", 7, "2026-01-01", "2025-06-01", 0),
    ("daily", 1, "2026-01-01", "2026-01-01", 0),
    ("daily", 1, "1900-01-01", "2999-12-31", 401766),
    ("monthly", 1, "9999-12-31", "9999-12-31", 0),
    ("yearly", 1, "9999-06-30", "9999-07-01", 1),  # past the last occurrence: its index, which has no date
]


@pytest.mark.parametrize(("frequency", "interval", "start", "on_or_after", "index"), OWN_INDEXES)
def test_own_first_index_on_or_after(frequency: str, interval: int, start: str, on_or_after: str, index: int) -> None:
    schedule = Schedule(frequency, interval, day(start))
    assert schedule.first_index_on_or_after(day(on_or_after)) == index


def test_a_date_before_the_first_occurrence_or_past_the_count_has_none() -> None:
    schedule = Schedule("monthly", 1, day("2026-01-31"), count=3)
    assert [schedule.date_at(index) for index in (-1, 0, 2, 3)] == [None, day("2026-01-31"), day("2026-03-31"), None]


def test_occurrences_between_two_days_both_included() -> None:
    schedule = Schedule("weekly", 1, day("2026-03-03"), end_date=day("2026-03-31"))
    assert list(schedule.occurrences(day("2026-03-10"), day("2026-03-24"))) == [
        (1, day("2026-03-10")),
        (2, day("2026-03-17")),
        (3, day("2026-03-24")),
    ]
    assert list(schedule.occurrences(day("2026-03-25"), day("2026-12-31"))) == [(4, day("2026-03-31"))]
    assert list(schedule.occurrences(day("2026-03-11"), day("2026-03-16"))) == []


def random_rule(rng: random.Random) -> dict:
    """A rule in the shared table's spelling, biased to where schedules are subtle: month ends, 29 February, long
    intervals, the last years before 9999, small counts and close end dates."""
    frequency = rng.choice(["daily", "weekly", "monthly", "yearly"])
    interval = rng.choice([1, 1, 1, 2, 3, rng.randint(1, 40), rng.randint(1, 500)])
    year = rng.choice([rng.randint(1900, 2999), rng.randint(1990, 2040), rng.randint(9980, 9999)])
    month = rng.randint(1, 12)
    last_day = (datetime.date(year, month % 12 + 1, 1) - datetime.timedelta(days=1)).day if month < 12 else 31
    start = datetime.date(year, month, rng.choice([1, 15, 28, last_day - 1, last_day, rng.randint(1, last_day)]))
    if rng.random() < 0.1:
        start = datetime.date(rng.choice([2000, 2024, 2096, 2400]), 2, 29)
    end = None
    if rng.random() < 0.3:
        try:
            end = start + datetime.timedelta(days=rng.randint(-3, 3000))
        except OverflowError:
            end = datetime.date.max
    count = rng.choice([None, None, None, rng.randint(1, 30)])
    return {
        "frequency": frequency,
        "interval": interval,
        "start": start.isoformat(),
        "end": end and end.isoformat(),
        "count": count,
    }


def probe_day(rng: random.Random, rule: dict) -> str:
    """A day around the rule's occurrences: before its start, on one, between two."""
    start = day(rule["start"])
    span = rng.choice([-40, 3, 31, 400, 4000, 40000])
    offset = rng.randint(min(0, span), max(0, span))
    try:
        return (start + datetime.timedelta(days=offset)).isoformat()
    except OverflowError:
        return datetime.date.max.isoformat()


@pytest.mark.parametrize("seed", range(4))
def test_the_index_is_the_first_occurrence_on_or_after_the_day(seed: int) -> None:
    """first_index_on_or_after (an estimate corrected by steps) against the definition, on random rules."""
    rng = random.Random(seed)
    for _ in range(250):
        rule = random_rule(rng)
        schedule = Schedule(rule["frequency"], rule["interval"], day(rule["start"]))  # unbounded: every index dated
        probe = day(probe_day(rng, rule))
        index = schedule.first_index_on_or_after(probe)
        at, before = schedule.date_at(index), schedule.date_at(index - 1)
        assert at is None or at >= probe, (rule, probe, index)
        assert index == 0 or (before is not None and before < probe), (rule, probe, index)


# --- Python and Go on the same random rules ---------------------------------------------------------------------


@pytest.mark.e2e
def test_python_and_the_go_binary_agree_on_random_rules() -> None:
    assert AGGREGATOR.exists(), "go_aggregator/bin/aggregator is built by `make test` (or `make aggregator`)"
    rng = random.Random(20261130)
    requests = []
    for _ in range(300):
        rule = random_rule(rng)
        requests.append({**rule, "take": rng.choice([0, 1, 5, 12, 40])})
        requests.append({**rule, "on_or_after": probe_day(rng, rule)})
    result = subprocess.run(
        [str(AGGREGATOR), "schedule"],
        input="".join(json.dumps(request) + "\n" for request in requests),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    answers = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(answers) == len(requests)
    mismatches = []
    for request, answer in zip(requests, answers, strict=True):
        schedule = schedule_of(request)
        if "take" in request:
            expected = {"dates": first_dates(schedule, request["take"])}
        else:
            expected = {"index": schedule.first_index_on_or_after(day(request["on_or_after"]))}
        if answer != expected:
            mismatches.append((request, answer, expected))
    assert mismatches == []
    # The rules reached what they are biased to: month-end clamping and dates near the end of year 9999.
    all_dates = [date for answer in answers for date in answer.get("dates", [])]
    assert any(date.endswith("-02-28") for date in all_dates) and any(date.startswith("9999-") for date in all_dates)
