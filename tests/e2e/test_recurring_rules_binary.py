"""Recurring rules made through the API and recorded by the real Go binary (issue 13): catch-up from a past start
date, skips and pauses honoured, `nextDate` and `upcoming` showing what was recorded, edits applying to future
occurrences only."""

import datetime
import threading

import pytest
from django.db import connection
from django.test import Client

from accounts.tokens import issue_token_pair
from ledger.models import RecurringOccurrence, Transaction
from tests.conftest import GraphQLClient, make_user
from tests.e2e.test_recurring_binary import record
from tests.schema.test_recurring_rules import PAUSE_RULE, RESUME_RULE, RULES, SKIP, UPDATE_RULE, new_rule

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

UPCOMING = "query($days: Int) { upcoming(days: $days) { date amount rule { id } transaction { id amount date } } }"
TRANSACTIONS = "query { transactions(first: 100) { edges { node { date amount category description } } } }"


def test_rules_made_through_the_api_are_recorded_as_they_say(settings) -> None:
    user = make_user("recurring-api-e2e")
    client = GraphQLClient(http=Client(), token=issue_token_pair(user).token)
    settings.LEDGER_TODAY = datetime.date(2026, 3, 10)
    rent = new_rule(client, startDate="2025-12-31", category="Rent", amount="900.00")  # catch-up from December
    gym = new_rule(client, frequency="WEEKLY", startDate="2026-03-03", category="Gym", amount="5.00")
    paused = new_rule(client, frequency="DAILY", startDate="2026-03-01", category="Coffee", amount="3.00")
    assert client.data(SKIP, {"ruleId": rent["id"], "date": "2026-01-31"})["skipOccurrence"]["errors"] == []
    assert client.data(PAUSE_RULE, {"id": paused["id"]})["pauseRecurringRule"]["errors"] == []

    record("2026-03-10")

    recorded = [edge["node"] for edge in client.data(TRANSACTIONS)["transactions"]["edges"]]
    assert sorted((t["date"], t["category"], t["amount"]) for t in recorded) == [
        ("2025-12-31", "Rent", "900.00"),
        ("2026-02-28", "Rent", "900.00"),  # January's was skipped
        ("2026-03-03", "Gym", "5.00"),
        ("2026-03-10", "Gym", "5.00"),  # today's is due
    ]
    rules = {rule["id"]: rule for rule in client.data(RULES)["recurringRules"]}
    assert [rules[r["id"]]["nextDate"] for r in (rent, gym, paused)] == ["2026-03-31", "2026-03-17", "2026-03-01"]
    gym_today = Transaction.objects.get(user=user, category="Gym", date=datetime.date(2026, 3, 10))
    upcoming = client.data(UPCOMING, {"days": 7})["upcoming"]
    assert [(o["date"], o["rule"]["id"], o["transaction"]) for o in upcoming] == [
        ("2026-03-10", gym["id"], {"id": str(gym_today.pk), "amount": "5.00", "date": "2026-03-10"}),
        ("2026-03-17", gym["id"], None),
    ]

    # Next week: the gym rule costs more from now on, the coffee rule resumes (its March days stay unrecorded).
    settings.LEDGER_TODAY = datetime.date(2026, 3, 17)
    assert (
        client.data(UPDATE_RULE, {"id": gym["id"], "input": {"amount": "6.00"}})["updateRecurringRule"]["errors"] == []
    )
    assert client.data(RESUME_RULE, {"id": paused["id"]})["resumeRecurringRule"]["rule"]["nextDate"] == "2026-03-17"
    record("2026-03-17")
    assert record("2026-03-17")["recurring"]["occurrences_recorded"] == 0  # each occurrence once

    dated = sorted(
        (t.date.isoformat(), t.category, t.amount_minor)
        for t in Transaction.objects.filter(user=user, date__gte="2026-03-10")
    )
    assert dated == [
        ("2026-03-10", "Gym", 500),
        ("2026-03-17", "Coffee", 300),
        ("2026-03-17", "Gym", 600),
    ]


def test_skips_racing_the_binarys_recording_leave_each_occurrence_skipped_or_recorded(settings) -> None:
    """The API's skip and the binary's recording take the same locks in the same order (the user's version row, then
    the rule): whichever comes second sees what the first did, so each occurrence ends up skipped (the binary passed
    it by) or recorded (the skip answered INVALID_SCHEDULE), never both, and neither side fails."""
    user = make_user("recurring-race")
    client = GraphQLClient(http=Client(), token=issue_token_pair(user).token)
    settings.LEDGER_TODAY = datetime.date(2026, 3, 10)
    rules = [new_rule(client, frequency="DAILY", startDate="2026-03-10")["id"] for _ in range(8)]
    answers: dict[str, list[str]] = {}

    def skip_all() -> None:
        try:
            for rule in rules:
                payload = client.data(SKIP, {"ruleId": rule, "date": "2026-03-10"})["skipOccurrence"]
                answers[rule] = [error["code"] for error in payload["errors"]]
        finally:
            connection.close()  # this thread's own

    skipping = threading.Thread(target=skip_all)
    skipping.start()
    summary = record("2026-03-10")["recurring"]
    skipping.join()

    assert summary["rules_failed"] == 0
    for rule in rules:
        rows = list(RecurringOccurrence.objects.filter(rule_id=rule).values_list("date", "skipped", "transaction"))
        assert len(rows) == 1, rows
        _, skipped, transaction_id = rows[0]
        assert (skipped, transaction_id is None) == ((True, True) if answers[rule] == [] else (False, False))
        assert answers[rule] in ([], ["INVALID_SCHEDULE"])
    assert Transaction.objects.filter(user=user).count() == summary["occurrences_recorded"]
    assert {rule["nextDate"] for rule in client.data(RULES)["recurringRules"]} == {"2026-03-11"}
