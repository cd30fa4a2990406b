"""`upcoming(days)` through GraphQL (issue 13): the occurrences of the caller's active rules from today on, by date
then rule, recorded ones with their transaction; the bounds of `days`; a bounded amount of work and queries."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ledger.models import RecurringRule
from ledger.selectors import MAX_UPCOMING_OCCURRENCES
from tests.conftest import GraphQLClient
from tests.schema.test_accounts import default_account_of, open_account
from tests.schema.test_recurring_rules import PAUSE_RULE, SKIP, TODAY, UPDATE_RULE, new_rule, record

UPCOMING = """
query Upcoming($days: Int) {
  upcoming(days: $days) {
    date amount rule { id amount nextDate } transaction { id amount date category account { id } }
  }
}
"""


@pytest.fixture(autouse=True)
def _today(settings) -> None:
    settings.LEDGER_TODAY = TODAY  # 2026-03-10


def upcoming(client: GraphQLClient, days: int | None = None) -> list[dict]:
    return client.data(UPCOMING, {} if days is None else {"days": days})["upcoming"]


def dates_and_rules(occurrences: list[dict]) -> list[tuple[str, str]]:
    return [(o["date"], o["rule"]["id"]) for o in occurrences]


def test_occurrences_by_date_then_rule_in_creation_order(as_alice: GraphQLClient) -> None:
    weekly = new_rule(as_alice, frequency="WEEKLY", startDate="2026-03-01")  # 03-08 is past
    month_end = new_rule(as_alice, startDate="2026-01-31", amount="7.00")  # clamps to 28 February, 31 March
    later = new_rule(as_alice, frequency="DAILY", interval=10, startDate="2026-03-15")
    got = upcoming(as_alice, 25)  # up to 2026-04-04
    assert dates_and_rules(got) == [
        ("2026-03-15", weekly["id"]),
        ("2026-03-15", later["id"]),
        ("2026-03-22", weekly["id"]),
        ("2026-03-25", later["id"]),
        ("2026-03-29", weekly["id"]),
        ("2026-03-31", month_end["id"]),
        ("2026-04-04", later["id"]),
    ]
    assert {o["amount"] for o in got if o["rule"]["id"] == month_end["id"]} == {"7.00"}
    assert all(o["transaction"] is None for o in got)


def test_days_default_to_30_and_include_both_ends(as_alice: GraphQLClient) -> None:
    rule = new_rule(as_alice, frequency="DAILY", startDate="2026-01-01")
    got = upcoming(as_alice)
    assert [o["date"] for o in got] == [(TODAY + datetime.timedelta(days=n)).isoformat() for n in range(31)]
    assert upcoming(as_alice, 0) == [got[0]]
    assert len(upcoming(as_alice, 366)) == 367
    assert {o["rule"]["id"] for o in got} == {rule["id"]}
    assert as_alice.data("{ upcoming(days: null) { date } }")["upcoming"] == [{"date": o["date"]} for o in got]


@pytest.mark.parametrize("days", [-1, 367, 100000])
def test_days_out_of_range_is_an_invalid_days_error(as_alice: GraphQLClient, days: int) -> None:
    new_rule(as_alice)
    body = as_alice.post(UPCOMING, {"days": days})
    assert body["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [("INVALID_DAYS", "days")]


def test_recorded_occurrences_carry_their_transaction_and_its_amount(as_alice: GraphQLClient) -> None:
    main = default_account_of(as_alice)
    rule = new_rule(as_alice, frequency="DAILY", startDate="2026-03-09", category="Coffee")
    record(rule["id"])  # 03-09: before today, not listed
    today = record(rule["id"])  # 03-10
    as_alice.data(UPDATE_RULE, {"id": rule["id"], "input": {"amount": "11.00"}})
    got = upcoming(as_alice, 1)
    assert got == [
        {
            "date": "2026-03-10",
            "amount": "10.00",
            "rule": {"id": rule["id"], "amount": "11.00", "nextDate": "2026-03-11"},
            "transaction": {
                "id": str(today.pk),
                "amount": "10.00",
                "date": "2026-03-10",
                "category": "Coffee",
                "account": {"id": main["id"]},
            },
        },
        {
            "date": "2026-03-11",
            "amount": "11.00",
            "rule": {"id": rule["id"], "amount": "11.00", "nextDate": "2026-03-11"},
            "transaction": None,
        },
    ]


def test_skipped_paused_and_deleted_occurrences_are_left_out(as_alice: GraphQLClient) -> None:
    rule = new_rule(as_alice, frequency="DAILY", startDate="2026-03-10")
    record(rule["id"]).delete()  # today's: recorded, then its transaction deleted
    as_alice.data(SKIP, {"ruleId": rule["id"], "date": "2026-03-12"})
    paused = new_rule(as_alice, frequency="DAILY", startDate="2026-03-10")
    as_alice.data(PAUSE_RULE, {"id": paused["id"]})
    assert dates_and_rules(upcoming(as_alice, 3)) == [("2026-03-11", rule["id"]), ("2026-03-13", rule["id"])]


def test_occurrences_passed_over_by_a_resume_are_left_out(as_alice: GraphQLClient) -> None:
    rule = new_rule(as_alice, frequency="DAILY", startDate="2026-03-10")
    # The pointer past today (as a resume leaves it when today's occurrence was recorded or passed over).
    RecurringRule.objects.filter(pk=rule["id"]).update(next_index=2, next_date=datetime.date(2026, 3, 12))
    assert [o["date"] for o in upcoming(as_alice, 3)] == ["2026-03-12", "2026-03-13"]


def test_an_ended_schedule_shows_what_remains(as_alice: GraphQLClient) -> None:
    rule = new_rule(as_alice, frequency="WEEKLY", startDate="2026-03-10", count=3)
    txn = record(rule["id"])
    got = upcoming(as_alice, 366)
    assert [(o["date"], (o["transaction"] or {}).get("id")) for o in got] == [
        ("2026-03-10", str(txn.pk)),
        ("2026-03-17", None),
        ("2026-03-24", None),
    ]


def test_at_most_the_earliest_occurrences_are_answered(as_alice: GraphQLClient) -> None:
    rules = [new_rule(as_alice, frequency="DAILY", startDate="2026-03-10")["id"] for _ in range(6)]  # 6 x 367
    got = upcoming(as_alice, 366)
    assert len(got) == MAX_UPCOMING_OCCURRENCES
    expected = [((TODAY + datetime.timedelta(days=n)).isoformat(), rule) for n in range(367) for rule in rules][
        :MAX_UPCOMING_OCCURRENCES
    ]
    assert dates_and_rules(got) == expected


def test_queries_do_not_grow_with_the_number_of_rules(as_alice: GraphQLClient) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            upcoming(as_alice, 60)
        return len(captured.captured_queries)

    first = new_rule(as_alice, frequency="WEEKLY", startDate="2026-03-10")
    record(first["id"])
    one = queries()
    for n in range(5):
        rule = new_rule(
            as_alice, frequency="WEEKLY", startDate="2026-03-10", accountId=open_account(as_alice, f"A{n}")["id"]
        )
        record(rule["id"])
    assert queries() == one
