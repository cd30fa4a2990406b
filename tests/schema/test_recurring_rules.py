"""Recurring rules through GraphQL (issue 13): create, update, pause, resume, skip, delete, every refusal with its
exact errors (and nothing written), idempotency, and the auth matrix. Today is moved with settings.LEDGER_TODAY."""

import datetime
import uuid

import pytest
from django.db import transaction
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_token_pair
from ledger.balance_cache import bump_balance_version
from ledger.models import BalanceVersion, RecurringOccurrence, RecurringRule, Transaction
from ledger.schedules import Schedule
from tests.conftest import GraphQLClient, make_user, run_together
from tests.schema.test_accounts import UPDATE_ACCOUNT, codes, default_account_of, open_account

RULE_FIELDS = (
    "id account { id currency } amount type category description frequency interval startDate endDate count "
    "nextDate paused"
)
PAYLOAD = f"rule {{ {RULE_FIELDS} }} errors {{ field message code }}"
CREATE_RULE = f"""
mutation CreateRule($input: CreateRecurringRuleInput!) {{ createRecurringRule(input: $input) {{ {PAYLOAD} }} }}
"""
UPDATE_RULE = f"""
mutation UpdateRule($id: ID!, $input: UpdateRecurringRuleInput!) {{
  updateRecurringRule(id: $id, input: $input) {{ {PAYLOAD} }}
}}
"""
PAUSE_RULE = f"mutation PauseRule($id: ID!) {{ pauseRecurringRule(id: $id) {{ {PAYLOAD} }} }}"
RESUME_RULE = f"mutation ResumeRule($id: ID!) {{ resumeRecurringRule(id: $id) {{ {PAYLOAD} }} }}"
DELETE_RULE = (
    "mutation DeleteRule($id: ID!) { deleteRecurringRule(id: $id) { deletedId errors { field message code } } }"
)
SKIP = f"""
mutation Skip($ruleId: ID!, $date: Date!) {{ skipOccurrence(ruleId: $ruleId, date: $date) {{ {PAYLOAD} }} }}
"""
RULES = f"query {{ recurringRules {{ {RULE_FIELDS} }} }}"

TODAY = datetime.date(2026, 3, 10)


@pytest.fixture(autouse=True)
def _today(settings) -> None:
    settings.LEDGER_TODAY = TODAY


def rule_input(**fields: object) -> dict:
    """A CreateRecurringRuleInput: a 10.00 monthly expense from 2026-03-15 unless `fields` say otherwise."""
    return {"amount": "10.00", "type": "EXPENSE", "frequency": "MONTHLY", "startDate": "2026-03-15", **fields}


def new_rule(client: GraphQLClient, **fields: object) -> dict:
    """Create a rule through the API (rule_input); no errors allowed."""
    payload = client.data(CREATE_RULE, {"input": rule_input(**fields)})["createRecurringRule"]
    assert payload["errors"] == [], payload["errors"]
    return payload["rule"]


def stored(user: User) -> tuple[list[dict], list[dict], int]:
    """Every stored column of the user's rules and their occurrence rows, and their balance version: what a refused
    write must leave as it was."""
    # 0 when the user never wrote (no row): a refused write may still create the default account it looked for, whose
    # change row takes a sequence number from the version row without bumping the version (ledger.changes).
    version = BalanceVersion.objects.filter(user=user).values_list("version", flat=True).first() or 0
    return (
        list(RecurringRule.objects.filter(user=user).order_by("pk").values()),
        list(RecurringOccurrence.objects.filter(rule__user=user).order_by("pk").values()),
        version,
    )


def refused(payload: dict, field: str | None, code: str, result_key: str = "rule") -> None:
    """Exactly one error, on `field` with `code`, a message for people, and no result."""
    assert payload[result_key] is None
    assert codes(payload["errors"]) == [(field, code)]
    assert payload["errors"][0]["message"]


def record(rule_id: str) -> Transaction:
    """Record the rule's next occurrence as the Go recorder does: in one transaction, the user's version bumped
    first, then the rule row locked; the transaction and its occurrence row written; the pointer advanced past
    the occurrences that have a row (skipped ones)."""
    with transaction.atomic():
        rule = RecurringRule.objects.get(pk=rule_id)
        bump_balance_version(rule.user_id)
        rule = RecurringRule.objects.select_for_update().get(pk=rule_id)
        schedule = Schedule(rule.frequency, rule.interval, rule.start_date, rule.end_date, rule.count)
        txn = Transaction.objects.create(
            user_id=rule.user_id,
            account_id=rule.account_id,
            amount_minor=rule.amount_minor,
            type=rule.type,
            category=rule.category,
            description=rule.description,
            date=rule.next_date,
        )
        RecurringOccurrence.objects.create(rule=rule, date=rule.next_date, transaction=txn)
        taken = set(RecurringOccurrence.objects.filter(rule=rule).values_list("date", flat=True))
        index = rule.next_index + 1
        while schedule.date_at(index) in taken:
            index += 1
        RecurringRule.objects.filter(pk=rule.pk).update(next_index=index, next_date=schedule.date_at(index))
    return txn


# --- create ---------------------------------------------------------------------------------------------------------


def test_create_returns_the_rule_as_stored_with_its_defaults(as_alice: GraphQLClient, alice: User) -> None:
    main = default_account_of(as_alice)
    rule = new_rule(as_alice)
    assert {key: value for key, value in rule.items() if key != "id"} == {
        "account": {"id": main["id"], "currency": "USD"},
        "amount": "10.00",
        "type": "EXPENSE",
        "category": "Other",
        "description": "",
        "frequency": "MONTHLY",
        "interval": 1,
        "startDate": "2026-03-15",
        "endDate": None,
        "count": None,
        "nextDate": "2026-03-15",
        "paused": False,
    }
    row = RecurringRule.objects.get(pk=rule["id"])
    assert (row.user_id, row.amount_minor, row.category_key, row.next_index, row.next_date) == (
        alice.pk,
        1000,
        "other",
        0,
        datetime.date(2026, 3, 15),
    )
    assert as_alice.data(RULES)["recurringRules"] == [rule]


def test_create_with_every_field(as_alice: GraphQLClient) -> None:
    yen = open_account(as_alice, "Yen", "JPY")
    rule = new_rule(
        as_alice,
        accountId=yen["id"],
        amount="1200",
        type="INCOME",
        category="  Salary ",
        description="pay day",
        frequency="WEEKLY",
        interval=2,
        endDate="2026-12-31",
        count=10,
    )
    assert {key: value for key, value in rule.items() if key != "id"} == {
        "account": {"id": yen["id"], "currency": "JPY"},
        "amount": "1200",
        "type": "INCOME",
        "category": "Salary",
        "description": "pay day",
        "frequency": "WEEKLY",
        "interval": 2,
        "startDate": "2026-03-15",
        "endDate": "2026-12-31",
        "count": 10,
        "nextDate": "2026-03-15",
        "paused": False,
    }
    assert RecurringRule.objects.get(pk=rule["id"]).amount_minor == 1200


def test_a_past_start_date_points_at_the_first_occurrence_for_the_catch_up(as_alice: GraphQLClient) -> None:
    rule = new_rule(as_alice, startDate="2025-01-31")
    assert rule["nextDate"] == "2025-01-31"
    assert RecurringRule.objects.get(pk=rule["id"]).next_index == 0


def test_rules_are_listed_by_start_date_then_creation(as_alice: GraphQLClient, as_bob: GraphQLClient) -> None:
    late = new_rule(as_alice, startDate="2026-05-01")
    first = new_rule(as_alice, startDate="2026-04-01")
    second = new_rule(as_alice, startDate="2026-04-01")
    new_rule(as_bob)
    assert [r["id"] for r in as_alice.data(RULES)["recurringRules"]] == [first["id"], second["id"], late["id"]]


@pytest.mark.parametrize(
    ("fields", "field", "code"),
    [
        ({"amount": "0.00"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "-5.00"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "1.234"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "abc"}, "amount", "INVALID_AMOUNT"),
        ({"interval": 0}, "interval", "INVALID_SCHEDULE"),
        ({"interval": -3}, "interval", "INVALID_SCHEDULE"),
        ({"count": 0}, "count", "INVALID_SCHEDULE"),
        ({"endDate": "2026-03-14"}, "endDate", "INVALID_SCHEDULE"),
        ({"endDate": "2026-02-30"}, "endDate", "INVALID_DATE"),
        ({"startDate": "1899-12-31"}, "startDate", "INVALID_DATE"),
        ({"startDate": "3000-01-01"}, "startDate", "INVALID_DATE"),
        ({"startDate": "2026-3-1"}, "startDate", "INVALID_DATE"),
        ({"startDate": "tomorrow"}, "startDate", "INVALID_DATE"),
        ({"category": " "}, "category", "INVALID_CATEGORY"),
        ({"category": "x" * 51}, "category", "INVALID_CATEGORY"),
        ({"description": "x" * 256}, "description", "INVALID_DESCRIPTION"),
        ({"description": "nul\x00"}, "description", "INVALID_DESCRIPTION"),
        ({"idempotencyKey": ""}, "idempotencyKey", "INVALID_IDEMPOTENCY_KEY"),
        ({"accountId": str(uuid.uuid4())}, "accountId", "NOT_FOUND"),
        ({"accountId": "not-an-id"}, "accountId", "NOT_FOUND"),
    ],
)
def test_create_refusals(as_alice: GraphQLClient, alice: User, fields: dict, field: str, code: str) -> None:
    new_rule(as_alice)
    before = stored(alice)
    refused(as_alice.data(CREATE_RULE, {"input": rule_input(**fields)})["createRecurringRule"], field, code)
    assert stored(alice) == before


def test_every_problem_of_a_create_is_reported_at_once(as_alice: GraphQLClient, alice: User) -> None:
    before = stored(alice)
    given = rule_input(amount="1.001", frequency="DAILY", interval=0, count=0, endDate="2026-03-01", category="")
    payload = as_alice.data(CREATE_RULE, {"input": given})["createRecurringRule"]
    assert payload["rule"] is None
    assert sorted(codes(payload["errors"])) == [
        ("amount", "INVALID_AMOUNT"),
        ("category", "INVALID_CATEGORY"),
        ("count", "INVALID_SCHEDULE"),
        ("endDate", "INVALID_SCHEDULE"),
        ("interval", "INVALID_SCHEDULE"),
    ]
    assert stored(alice) == before


def test_the_amount_takes_the_accounts_digits(as_alice: GraphQLClient, alice: User) -> None:
    yen = open_account(as_alice, "Yen", "JPY")
    before = stored(alice)
    given = rule_input(accountId=yen["id"], amount="12.50")
    refused(as_alice.data(CREATE_RULE, {"input": given})["createRecurringRule"], "amount", "INVALID_AMOUNT")
    assert stored(alice) == before


def test_another_users_account_is_not_found(as_alice: GraphQLClient, as_bob: GraphQLClient, alice: User) -> None:
    bobs = default_account_of(as_bob)
    before = stored(alice)
    given = rule_input(accountId=bobs["id"])
    refused(as_alice.data(CREATE_RULE, {"input": given})["createRecurringRule"], "accountId", "NOT_FOUND")
    assert stored(alice) == before


@pytest.mark.parametrize("key", [{}, {"idempotencyKey": "fresh"}])
def test_an_archived_account_takes_no_rule(as_alice: GraphQLClient, alice: User, key: dict) -> None:
    default_account_of(as_alice)
    old = open_account(as_alice, "Old")
    as_alice.data(UPDATE_ACCOUNT, {"id": old["id"], "input": {"archived": True}})
    before = stored(alice)
    payload = as_alice.data(CREATE_RULE, {"input": rule_input(accountId=old["id"], **key)})["createRecurringRule"]
    refused(payload, "accountId", "ACCOUNT_ARCHIVED")
    assert stored(alice) == before


# --- idempotency ----------------------------------------------------------------------------------------------------


def test_a_retry_with_the_same_key_and_input_returns_the_first_rule(as_alice: GraphQLClient, alice: User) -> None:
    first = new_rule(as_alice, idempotencyKey="rent", category="Rent")
    before = stored(alice)
    retry = new_rule(as_alice, idempotencyKey="rent", category="Rent", interval=1)  # 1 is the default
    assert retry == first
    assert stored(alice) == before


@pytest.mark.parametrize(
    "other",
    [
        {"amount": "10.01"},
        {"category": "Food"},
        {"startDate": "2026-03-16"},
        {"interval": 2},
        {"count": 3},
        {"frequency": "WEEKLY"},
    ],
)
def test_the_same_key_with_other_input_is_refused(as_alice: GraphQLClient, alice: User, other: dict) -> None:
    new_rule(as_alice, idempotencyKey="rent", category="Rent")
    before = stored(alice)
    given = rule_input(**{"category": "Rent", "idempotencyKey": "rent", **other})
    payload = as_alice.data(CREATE_RULE, {"input": given})["createRecurringRule"]
    refused(payload, "idempotencyKey", "IDEMPOTENCY_KEY_REUSED")
    assert stored(alice) == before


def test_a_retry_after_the_account_was_archived_returns_the_first_rule(as_alice: GraphQLClient) -> None:
    default_account_of(as_alice)
    savings = open_account(as_alice, "Savings")
    first = new_rule(as_alice, accountId=savings["id"], idempotencyKey="k")
    as_alice.data(UPDATE_ACCOUNT, {"id": savings["id"], "input": {"archived": True}})
    assert new_rule(as_alice, accountId=savings["id"], idempotencyKey="k")["id"] == first["id"]


def test_keys_are_per_user(as_alice: GraphQLClient, as_bob: GraphQLClient) -> None:
    assert new_rule(as_alice, idempotencyKey="k")["id"] != new_rule(as_bob, idempotencyKey="k")["id"]


@pytest.mark.django_db(transaction=True)
def test_racing_retries_of_one_create_make_one_rule() -> None:
    carol = make_user("carol")
    token = issue_token_pair(carol).token
    default_account_of(GraphQLClient(http=Client(), token=token))
    variables = {"input": rule_input(frequency="WEEKLY", idempotencyKey="race")}
    answers = run_together(lambda: GraphQLClient(http=Client(), token=token).post(CREATE_RULE, variables), 4)
    assert all("errors" not in answer for answer in answers), answers
    assert all(answer["data"]["createRecurringRule"]["errors"] == [] for answer in answers), answers
    assert len({answer["data"]["createRecurringRule"]["rule"]["id"] for answer in answers}) == 1
    assert RecurringRule.objects.filter(user=carol).count() == 1


# --- update ---------------------------------------------------------------------------------------------------------


def test_update_changes_only_the_given_fields_and_recorded_occurrences_keep_theirs(
    as_alice: GraphQLClient, alice: User
) -> None:
    rule = new_rule(as_alice, startDate="2026-02-15", category="Rent", description="flat")
    recorded = record(rule["id"])
    variables = {"id": rule["id"], "input": {"amount": "12.5", "category": "Housing", "description": None}}
    payload = as_alice.data(UPDATE_RULE, variables)["updateRecurringRule"]
    assert payload["errors"] == []
    assert payload["rule"] == {**rule, "amount": "12.50", "category": "Housing", "nextDate": "2026-03-15"}
    row = RecurringRule.objects.get(pk=rule["id"])
    assert (row.amount_minor, row.category_key, row.description, row.next_index) == (1250, "housing", "flat", 1)
    recorded.refresh_from_db()
    assert (recorded.amount_minor, recorded.category, recorded.date) == (1000, "Rent", datetime.date(2026, 2, 15))


def test_null_end_date_and_count_keep_their_value(as_alice: GraphQLClient) -> None:
    rule = new_rule(as_alice, endDate="2026-12-31", count=5)
    payload = as_alice.data(UPDATE_RULE, {"id": rule["id"], "input": {"endDate": None, "count": None}})
    assert payload["updateRecurringRule"]["rule"] == rule


@pytest.mark.parametrize(
    ("change", "next_date"),
    [
        ({"endDate": "2026-04-14"}, None),  # the next occurrence (04-15) is past the new end
        ({"endDate": "2026-04-15"}, "2026-04-15"),
        ({"count": 1}, None),  # one occurrence recorded: the schedule has ended
        ({"count": 2}, "2026-04-15"),
    ],
)
def test_a_new_end_recomputes_the_next_date(as_alice: GraphQLClient, change: dict, next_date: str | None) -> None:
    rule = new_rule(as_alice)
    record(rule["id"])
    payload = as_alice.data(UPDATE_RULE, {"id": rule["id"], "input": change})["updateRecurringRule"]
    assert payload["errors"] == []
    assert payload["rule"]["nextDate"] == next_date
    row = RecurringRule.objects.get(pk=rule["id"])
    assert (row.next_index, row.next_date) == (1, None if next_date is None else datetime.date.fromisoformat(next_date))


def test_extending_an_ended_schedule_resumes_on_or_after_today(as_alice: GraphQLClient, settings) -> None:
    rule = new_rule(as_alice, startDate="2026-01-20", count=1)
    record(rule["id"])
    assert as_alice.data(RULES)["recurringRules"][0]["nextDate"] is None
    # Ended in January; extended on 10 March: February's occurrence was never part of it.
    payload = as_alice.data(UPDATE_RULE, {"id": rule["id"], "input": {"count": 12}})["updateRecurringRule"]
    assert payload["rule"]["nextDate"] == "2026-03-20"
    assert RecurringRule.objects.get(pk=rule["id"]).next_index == 2


def test_a_lowered_then_raised_count_keeps_the_pointer_where_nothing_had_ended(as_alice: GraphQLClient) -> None:
    rule = new_rule(as_alice, startDate="2026-01-15")
    record(rule["id"])  # January's; February's is due but not recorded yet
    as_alice.data(UPDATE_RULE, {"id": rule["id"], "input": {"count": 5}})
    assert RecurringRule.objects.get(pk=rule["id"]).next_date == datetime.date(2026, 2, 15)


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"endDate": "2026-03-14"}, "endDate", "INVALID_SCHEDULE"),
        ({"endDate": "2026-13-01"}, "endDate", "INVALID_DATE"),
        ({"count": 0}, "count", "INVALID_SCHEDULE"),
        ({"amount": "0"}, "amount", "INVALID_AMOUNT"),
        ({"amount": "1.001"}, "amount", "INVALID_AMOUNT"),
        ({"category": ""}, "category", "INVALID_CATEGORY"),
        ({"description": "x" * 256}, "description", "INVALID_DESCRIPTION"),
    ],
)
def test_update_refusals_change_nothing(
    as_alice: GraphQLClient, alice: User, change: dict, field: str, code: str
) -> None:
    rule = new_rule(as_alice)
    before = stored(alice)
    # A valid change beside the refused one is not written either.
    variables = {"id": rule["id"], "input": {"description": "new", **change}}
    refused(as_alice.data(UPDATE_RULE, variables)["updateRecurringRule"], field, code)
    assert stored(alice) == before


def test_an_update_in_yen_takes_no_decimals(as_alice: GraphQLClient, alice: User) -> None:
    yen = open_account(as_alice, "Yen", "JPY")
    rule = new_rule(as_alice, accountId=yen["id"], amount="500")
    before = stored(alice)
    payload = as_alice.data(UPDATE_RULE, {"id": rule["id"], "input": {"amount": "5.5"}})["updateRecurringRule"]
    refused(payload, "amount", "INVALID_AMOUNT")
    assert stored(alice) == before
    assert (
        as_alice.data(UPDATE_RULE, {"id": rule["id"], "input": {"amount": "600"}})["updateRecurringRule"]["rule"][
            "amount"
        ]
        == "600"
    )


# --- pause and resume -----------------------------------------------------------------------------------------------


def test_pause_and_pause_again(as_alice: GraphQLClient, alice: User) -> None:
    rule = new_rule(as_alice)
    payload = as_alice.data(PAUSE_RULE, {"id": rule["id"]})["pauseRecurringRule"]
    assert payload == {"rule": {**rule, "paused": True}, "errors": []}
    before = stored(alice)
    again = as_alice.data(PAUSE_RULE, {"id": rule["id"]})["pauseRecurringRule"]
    assert again == payload
    assert stored(alice) == before  # not even the version moved


def test_resuming_an_active_rule_changes_nothing(as_alice: GraphQLClient, alice: User) -> None:
    rule = new_rule(as_alice)
    before = stored(alice)
    assert as_alice.data(RESUME_RULE, {"id": rule["id"]})["resumeRecurringRule"] == {"rule": rule, "errors": []}
    assert stored(alice) == before


@pytest.mark.parametrize(
    ("resumed_on", "next_date", "next_index"),
    [
        ("2026-03-12", "2026-03-15", 0),  # nothing fell due while paused
        ("2026-05-15", "2026-05-15", 2),  # today's occurrence is recorded
        ("2026-05-16", "2026-06-15", 3),  # March, April and May's are never recorded
    ],
)
def test_resume_passes_over_what_fell_due_while_paused(
    as_alice: GraphQLClient, settings, resumed_on: str, next_date: str, next_index: int
) -> None:
    rule = new_rule(as_alice)
    as_alice.data(PAUSE_RULE, {"id": rule["id"]})
    settings.LEDGER_TODAY = datetime.date.fromisoformat(resumed_on)
    payload = as_alice.data(RESUME_RULE, {"id": rule["id"]})["resumeRecurringRule"]
    assert payload == {"rule": {**rule, "nextDate": next_date}, "errors": []}
    assert RecurringRule.objects.get(pk=rule["id"]).next_index == next_index


def test_resume_passes_over_skipped_occurrences(as_alice: GraphQLClient, settings) -> None:
    rule = new_rule(as_alice)
    as_alice.data(PAUSE_RULE, {"id": rule["id"]})
    for day in ("2026-05-15", "2026-06-15"):
        assert as_alice.data(SKIP, {"ruleId": rule["id"], "date": day})["skipOccurrence"]["errors"] == []
    settings.LEDGER_TODAY = datetime.date(2026, 4, 20)
    assert as_alice.data(RESUME_RULE, {"id": rule["id"]})["resumeRecurringRule"]["rule"]["nextDate"] == "2026-07-15"


def test_resume_never_moves_the_pointer_back(as_alice: GraphQLClient, settings) -> None:
    rule = new_rule(as_alice, startDate="2026-03-01", frequency="DAILY")
    for _ in range(12):  # recorded up to 12 March, ahead of today (10 March)
        record(rule["id"])
    as_alice.data(PAUSE_RULE, {"id": rule["id"]})
    assert as_alice.data(RESUME_RULE, {"id": rule["id"]})["resumeRecurringRule"]["rule"]["nextDate"] == "2026-03-13"


def test_resuming_an_ended_rule_leaves_it_ended(as_alice: GraphQLClient) -> None:
    rule = new_rule(as_alice, count=1)
    record(rule["id"])
    as_alice.data(PAUSE_RULE, {"id": rule["id"]})
    assert as_alice.data(RESUME_RULE, {"id": rule["id"]})["resumeRecurringRule"]["rule"]["nextDate"] is None


# --- skip -----------------------------------------------------------------------------------------------------------


def test_skipping_the_next_occurrence_moves_next_date(as_alice: GraphQLClient) -> None:
    rule = new_rule(as_alice)
    payload = as_alice.data(SKIP, {"ruleId": rule["id"], "date": "2026-03-15"})["skipOccurrence"]
    assert payload == {"rule": {**rule, "nextDate": "2026-04-15"}, "errors": []}
    assert list(RecurringOccurrence.objects.values_list("date", "skipped", "transaction")) == [
        (datetime.date(2026, 3, 15), True, None)
    ]
    assert RecurringRule.objects.get(pk=rule["id"]).next_index == 1


def test_skipping_the_next_occurrence_passes_over_later_skipped_ones(as_alice: GraphQLClient) -> None:
    rule = new_rule(as_alice, startDate="2026-01-31")
    for day in ("2026-04-30", "2026-03-31"):  # later ones first: the pointer stays at January
        payload = as_alice.data(SKIP, {"ruleId": rule["id"], "date": day})["skipOccurrence"]
        assert payload["rule"]["nextDate"] == "2026-01-31"
    as_alice.data(SKIP, {"ruleId": rule["id"], "date": "2026-02-28"})
    assert (
        as_alice.data(SKIP, {"ruleId": rule["id"], "date": "2026-01-31"})["skipOccurrence"]["rule"]["nextDate"]
        == "2026-05-31"
    )
    assert RecurringRule.objects.get(pk=rule["id"]).next_index == 4


def test_skipping_the_last_occurrence_ends_the_schedule(as_alice: GraphQLClient) -> None:
    rule = new_rule(as_alice, count=2)
    record(rule["id"])
    payload = as_alice.data(SKIP, {"ruleId": rule["id"], "date": "2026-04-15"})["skipOccurrence"]
    assert (payload["errors"], payload["rule"]["nextDate"]) == ([], None)


def test_skipping_twice_is_a_no_op(as_alice: GraphQLClient, alice: User) -> None:
    rule = new_rule(as_alice)
    first = as_alice.data(SKIP, {"ruleId": rule["id"], "date": "2026-03-15"})["skipOccurrence"]
    before = stored(alice)
    assert as_alice.data(SKIP, {"ruleId": rule["id"], "date": "2026-03-15"})["skipOccurrence"] == first
    assert stored(alice) == before


@pytest.mark.parametrize(
    ("day", "code"),
    [
        ("2026-03-16", "INVALID_SCHEDULE"),  # not an occurrence
        ("2026-02-15", "INVALID_SCHEDULE"),  # before the start
        ("2026-03-15", "INVALID_SCHEDULE"),  # recorded
        ("2026-06-15", "INVALID_SCHEDULE"),  # after the end
        ("2026-04-31", "INVALID_DATE"),
        ("15/04/2026", "INVALID_DATE"),
    ],
)
def test_skip_refusals(as_alice: GraphQLClient, alice: User, day: str, code: str) -> None:
    rule = new_rule(as_alice, endDate="2026-05-31")
    record(rule["id"])
    before = stored(alice)
    refused(as_alice.data(SKIP, {"ruleId": rule["id"], "date": day})["skipOccurrence"], "date", code)
    assert stored(alice) == before


def test_an_occurrence_passed_over_by_a_resume_cannot_be_skipped(
    as_alice: GraphQLClient, alice: User, settings
) -> None:
    rule = new_rule(as_alice)
    as_alice.data(PAUSE_RULE, {"id": rule["id"]})
    settings.LEDGER_TODAY = datetime.date(2026, 5, 20)
    as_alice.data(RESUME_RULE, {"id": rule["id"]})  # March, April and May's are passed over
    before = stored(alice)
    refused(
        as_alice.data(SKIP, {"ruleId": rule["id"], "date": "2026-04-15"})["skipOccurrence"], "date", "INVALID_SCHEDULE"
    )
    assert stored(alice) == before


def test_an_occurrence_whose_transaction_was_deleted_cannot_be_skipped(as_alice: GraphQLClient, alice: User) -> None:
    rule = new_rule(as_alice)
    record(rule["id"]).delete()
    before = stored(alice)
    payload = as_alice.data(SKIP, {"ruleId": rule["id"], "date": "2026-03-15"})["skipOccurrence"]
    refused(payload, "date", "INVALID_SCHEDULE")
    assert stored(alice) == before


# --- delete ---------------------------------------------------------------------------------------------------------


def test_delete_removes_the_rule_and_its_occurrences_but_not_its_transactions(
    as_alice: GraphQLClient, alice: User
) -> None:
    rule = new_rule(as_alice)
    txn = record(rule["id"])
    as_alice.data(SKIP, {"ruleId": rule["id"], "date": "2026-05-15"})
    payload = as_alice.data(DELETE_RULE, {"id": rule["id"]})["deleteRecurringRule"]
    assert payload == {"deletedId": rule["id"], "errors": []}
    assert (RecurringRule.objects.count(), RecurringOccurrence.objects.count()) == (0, 0)
    assert list(Transaction.objects.values_list("pk", flat=True)) == [txn.pk]
    assert as_alice.data(RULES)["recurringRules"] == []
    refused(as_alice.data(DELETE_RULE, {"id": rule["id"]})["deleteRecurringRule"], "id", "NOT_FOUND", "deletedId")


def test_an_account_with_a_rule_cannot_be_deleted_until_the_rule_is(as_alice: GraphQLClient) -> None:
    default_account_of(as_alice)
    savings = open_account(as_alice, "Savings")
    rule = new_rule(as_alice, accountId=savings["id"])
    delete_account = "mutation($id: ID!) { deleteAccount(id: $id) { deletedId errors { field code } } }"
    answer = as_alice.data(delete_account, {"id": savings["id"]})["deleteAccount"]
    assert answer == {"deletedId": None, "errors": [{"field": "id", "code": "ACCOUNT_NOT_EMPTY"}]}
    as_alice.data(DELETE_RULE, {"id": rule["id"]})
    assert as_alice.data(delete_account, {"id": savings["id"]})["deleteAccount"]["deletedId"] == savings["id"]


# --- the auth matrix ------------------------------------------------------------------------------------------------

UPCOMING = "query { upcoming(days: 60) { date amount rule { id } transaction { id } } }"
# name -> (query, variables naming the probed rule id and the caller's own account id, the key of the answer)
BY_RULE_ID = {
    "updateRecurringRule": (UPDATE_RULE, lambda rule, account: {"id": rule, "input": {"amount": "1.00"}}),
    "pauseRecurringRule": (PAUSE_RULE, lambda rule, account: {"id": rule}),
    "resumeRecurringRule": (RESUME_RULE, lambda rule, account: {"id": rule}),
    "deleteRecurringRule": (DELETE_RULE, lambda rule, account: {"id": rule}),
    "skipOccurrence": (SKIP, lambda rule, account: {"ruleId": rule, "date": "2026-04-15"}),
}
EVERYTHING = {
    **BY_RULE_ID,
    "createRecurringRule": (
        CREATE_RULE,
        lambda rule, account: {"input": rule_input(accountId=account)},
    ),
    "recurringRules": (RULES, lambda rule, account: {}),
    "upcoming": (UPCOMING, lambda rule, account: {}),
}


@pytest.fixture
def bobs_rule(as_bob: GraphQLClient) -> dict:
    return new_rule(as_bob)


@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_anonymous_callers_are_unauthenticated(anonymous: GraphQLClient, bob: User, bobs_rule: dict, name: str) -> None:
    query, variables = EVERYTHING[name]
    before = stored(bob)
    body = anonymous.post(query, variables(bobs_rule["id"], bobs_rule["account"]["id"]))
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert stored(bob) == before


@pytest.mark.parametrize("name", sorted(BY_RULE_ID))
def test_another_users_rule_answers_like_a_missing_one(
    as_alice: GraphQLClient, bob: User, bobs_rule: dict, name: str
) -> None:
    query, variables = BY_RULE_ID[name]
    own_account = default_account_of(as_alice)["id"]
    before = stored(bob)
    foreign = as_alice.data(query, variables(bobs_rule["id"], own_account))[name]
    missing = as_alice.data(query, variables(str(uuid.uuid4()), own_account))[name]
    assert foreign == missing
    field = "ruleId" if name == "skipOccurrence" else "id"
    assert codes(foreign["errors"]) == [(field, "NOT_FOUND")]
    assert stored(bob) == before


def test_another_users_account_and_rules_are_not_the_callers(
    as_alice: GraphQLClient, bob: User, bobs_rule: dict
) -> None:
    before = stored(bob)
    query, variables = EVERYTHING["createRecurringRule"]
    payload = as_alice.data(query, variables(None, bobs_rule["account"]["id"]))["createRecurringRule"]
    assert codes(payload["errors"]) == [("accountId", "NOT_FOUND")]
    assert as_alice.data(RULES)["recurringRules"] == []
    assert as_alice.data(UPCOMING)["upcoming"] == []
    assert stored(bob) == before


@pytest.mark.parametrize("name", sorted(EVERYTHING))
def test_the_owner_gets_the_answer(as_bob: GraphQLClient, bobs_rule: dict, name: str) -> None:
    query, variables = EVERYTHING[name]
    data = as_bob.data(query, variables(bobs_rule["id"], bobs_rule["account"]["id"]))[name]
    if name == "recurringRules":
        assert [rule["id"] for rule in data] == [bobs_rule["id"]]
    elif name == "upcoming":
        assert [(o["date"], o["rule"]["id"]) for o in data] == [
            ("2026-03-15", bobs_rule["id"]),
            ("2026-04-15", bobs_rule["id"]),
        ]
    else:
        assert data["errors"] == []
        answered = data["deletedId"] if name == "deleteRecurringRule" else data["rule"]["id"]
        assert (answered == bobs_rule["id"]) is (name in BY_RULE_ID)


@pytest.mark.django_db(transaction=True)
def test_racing_skips_of_one_occurrence_answer_alike_and_write_one_row() -> None:
    carol = make_user("carol")
    token = issue_token_pair(carol).token
    rule = new_rule(GraphQLClient(http=Client(), token=token))
    variables = {"ruleId": rule["id"], "date": "2026-03-15"}
    answers = run_together(lambda: GraphQLClient(http=Client(), token=token).post(SKIP, variables), 4)
    assert all("errors" not in answer for answer in answers), answers
    assert [answer["data"]["skipOccurrence"] for answer in answers] == [
        {"rule": {**rule, "nextDate": "2026-04-15"}, "errors": []}
    ] * 4
    assert list(RecurringOccurrence.objects.values_list("date", "skipped")) == [(datetime.date(2026, 3, 15), True)]
