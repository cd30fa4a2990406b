"""Webhooks through the GraphQL endpoint (issue 14): createWebhook (the secret shown once, events, every URL rule
against SSRF, the limit), deleteWebhook, webhookDeliveries over rows the Go worker would insert, and the auth
matrix. Every refusal asserts the exact errors and that nothing was written. URLs use IP literals: no outside DNS."""

import base64
import datetime
import uuid

import pytest
from django.test import Client
from django.utils import timezone
from pytest_django.fixtures import Settings

from accounts.models import User
from accounts.tokens import issue_token_pair
from ledger.selectors.changes import last_change_sequence
from tests.conftest import GraphQLClient, create, make_user, run_together
from webhooks.events import ALL_EVENTS
from webhooks.models import Webhook, WebhookDelivery

CREATE_WEBHOOK = """
mutation Create($input: CreateWebhookInput!) {
  createWebhook(input: $input) {
    webhook { id url events allEvents description failing createdAt }
    secret
    errors { field message code }
  }
}
"""
DELETE_WEBHOOK = "mutation Delete($id: ID!) { deleteWebhook(id: $id) { deletedId errors { field message code } } }"
WEBHOOKS = "query { webhooks { id url events allEvents description failing createdAt } }"
DELIVERIES = """
query Deliveries($webhookId: ID!, $first: Int) {
  webhookDeliveries(webhookId: $webhookId, first: $first) {
    id event attempts lastStatus lastError deliveredAt nextAttemptAt createdAt sequence
  }
}
"""
PUBLIC_URL = "https://93.184.216.34/hooks/finance"  # a public address: nothing is contacted when creating


def create_webhook(client: GraphQLClient, url: str = PUBLIC_URL, **fields: object) -> dict:
    """createWebhook through the API; the payload must carry no errors. Returns the payload (webhook and secret)."""
    payload = client.data(CREATE_WEBHOOK, {"input": {"url": url, **fields}})["createWebhook"]
    assert payload["errors"] == [], payload["errors"]
    return payload


def refused(client: GraphQLClient, **fields: object) -> list[tuple]:
    """createWebhook's (field, code) errors for an input it must refuse."""
    payload = client.data(CREATE_WEBHOOK, {"input": {"url": PUBLIC_URL, **fields}})["createWebhook"]
    assert (payload["webhook"], payload["secret"]) == (None, None)
    return [(error["field"], error["code"]) for error in payload["errors"]]


def stored(user: User) -> list[dict]:
    """Every stored column of the user's webhooks and their deliveries: what a refused write must leave as it was."""
    webhooks = list(Webhook.objects.filter(user=user).order_by("pk").values())
    deliveries = list(WebhookDelivery.objects.filter(webhook__user=user).order_by("pk").values())
    return webhooks + deliveries


def deliver(webhook_id: str, sequence: int, **columns: object) -> WebhookDelivery:
    """A delivery row as the Go worker inserts it (then updates with each attempt's outcome)."""
    defaults = {"event": "transaction.created", "payload": '{"type": "transaction.created"}'}
    return WebhookDelivery.objects.create(webhook_id=webhook_id, sequence=sequence, **{**defaults, **columns})


# --- createWebhook ------------------------------------------------------------------------------------------------


def test_create_answers_the_webhook_and_its_secret_once(as_alice: GraphQLClient, alice: User) -> None:
    payload = create_webhook(as_alice, description="  Bookkeeping sync ")
    webhook = payload["webhook"]
    assert webhook == {
        "id": webhook["id"],
        "url": PUBLIC_URL,
        "events": list(ALL_EVENTS),
        "allEvents": True,
        "description": "Bookkeeping sync",
        "failing": False,
        "createdAt": webhook["createdAt"],
    }
    secret = payload["secret"]
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret.removeprefix("whsec_"), validate=True)) == 32
    row = Webhook.objects.get(pk=webhook["id"])
    assert (row.user_id, row.secret, row.events, row.failing) == (alice.pk, secret, [], False)
    # Never readable again: the list has no secret field, and asking for one is a document error.
    assert as_alice.data(WEBHOOKS)["webhooks"] == [webhook]
    body = as_alice.post("query { webhooks { secret } }")
    assert [error["extensions"]["code"] for error in body["errors"]] == ["GRAPHQL_VALIDATION_FAILED"]


def test_each_webhook_gets_its_own_secret(as_alice: GraphQLClient) -> None:
    assert create_webhook(as_alice)["secret"] != create_webhook(as_alice)["secret"]


def test_explicit_events_are_stored_deduplicated_in_canonical_order(as_alice: GraphQLClient) -> None:
    events = ["transfer.deleted", "transaction.created", "transfer.deleted", "budget.updated"]
    webhook = create_webhook(as_alice, events=events)["webhook"]
    assert (webhook["events"], webhook["allEvents"]) == (
        ["transaction.created", "transfer.deleted", "budget.updated"],
        False,
    )
    assert Webhook.objects.get(pk=webhook["id"]).events == webhook["events"]


def test_every_event_named_is_not_all_events(as_alice: GraphQLClient) -> None:
    """Naming all fifteen subscribes to those fifteen; only omitting `events` takes future ones too."""
    webhook = create_webhook(as_alice, events=list(reversed(ALL_EVENTS)))["webhook"]
    assert (webhook["events"], webhook["allEvents"]) == (list(ALL_EVENTS), False)
    assert create_webhook(as_alice, events=None)["webhook"]["allEvents"] is True


@pytest.mark.parametrize(
    "events", [["transaction.created", "transaction.moved"], ["Transaction.Created"], ["transaction"], []]
)
def test_unknown_events_are_refused(as_alice: GraphQLClient, alice: User, events: list[str]) -> None:
    payload = as_alice.data(CREATE_WEBHOOK, {"input": {"url": PUBLIC_URL, "events": events}})["createWebhook"]
    [error] = payload["errors"]
    assert (error["field"], error["code"]) == ("events", "INVALID_EVENT")
    assert error["message"].endswith(f"Valid events: {', '.join(ALL_EVENTS)}.")
    assert stored(alice) == []


def test_an_unknown_events_message_names_it(as_alice: GraphQLClient) -> None:
    payload = as_alice.data(CREATE_WEBHOOK, {"input": {"url": PUBLIC_URL, "events": ["account.moved"]}})
    assert payload["createWebhook"]["errors"][0]["message"].startswith("Unknown events: account.moved. Valid events:")


def test_every_field_error_comes_at_once(as_alice: GraphQLClient, alice: User) -> None:
    assert refused(as_alice, url="ftp://93.184.216.34/", events=["nope"], description="x" * 501) == [
        ("url", "INVALID_URL"),
        ("events", "INVALID_EVENT"),
        ("description", "INVALID_DESCRIPTION"),
    ]
    assert stored(alice) == []


def test_a_description_of_500_characters_fits(as_alice: GraphQLClient, alice: User) -> None:
    assert create_webhook(as_alice, description="é" * 500)["webhook"]["description"] == "é" * 500
    assert refused(as_alice, description="a\x00b") == [("description", "INVALID_DESCRIPTION")]


def test_the_webhook_hears_only_of_changes_after_it(
    as_alice: GraphQLClient, as_bob: GraphQLClient, alice: User
) -> None:
    """last_sequence starts at the owner's latest change (the worker sends those after it); other users' changes
    have their own sequences."""
    assert Webhook.objects.get(pk=create_webhook(as_alice)["webhook"]["id"]).last_sequence == 0
    create(as_alice, "1.00")  # also creates the default account: two changes
    for amount in ("1.00", "2.00", "3.00"):
        create(as_bob, amount)
    webhook = create_webhook(as_alice)["webhook"]
    assert last_change_sequence(alice) == 2
    assert Webhook.objects.get(pk=webhook["id"]).last_sequence == 2


# --- URL rules ----------------------------------------------------------------------------------------------------

NOT_AN_HTTPS_URL = [
    "/hooks",
    "93.184.216.34/hooks",
    "ftp://93.184.216.34/hooks",
    "http://93.184.216.34/hooks",
    "https://user:secret@93.184.216.34/hooks",
    "https://93.184.216.34/" + "a" * 1979,
    "",
]
NON_PUBLIC = [
    "https://127.0.0.1/hooks",
    "https://localhost:8443/hooks",
    "https://10.0.0.8/hooks",
    "https://172.20.1.1/hooks",
    "https://192.168.0.10/hooks",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/hooks",
    "https://[::1]/hooks",
    "https://[fd00::8]/hooks",
    "https://[fe80::1]/hooks",
    "https://[::ffff:127.0.0.1]/hooks",
    "https://[::ffff:10.0.0.1]/hooks",
    "https://0.0.0.0/hooks",
    "https://nothing-here.invalid/hooks",
]


@pytest.mark.parametrize("url", NOT_AN_HTTPS_URL + NON_PUBLIC)
def test_urls_the_server_must_not_call_are_refused(as_alice: GraphQLClient, alice: User, url: str) -> None:
    assert refused(as_alice, url=url) == [("url", "INVALID_URL")]
    assert stored(alice) == []


def test_the_refusal_says_which_address_and_why(as_alice: GraphQLClient) -> None:
    payload = as_alice.data(CREATE_WEBHOOK, {"input": {"url": "https://[::ffff:169.254.169.254]/"}})
    assert payload["createWebhook"]["errors"][0]["message"] == (
        'The host "::ffff:169.254.169.254" resolves to ::ffff:a9fe:a9fe, a link-local address: webhooks are '
        "delivered to public addresses only."
    )


@pytest.mark.parametrize("url", ["http://93.184.216.34/hooks", *NON_PUBLIC[:-1]])
def test_private_addresses_and_plain_http_are_allowed_by_the_setting(
    as_alice: GraphQLClient, settings: Settings, url: str
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert create_webhook(as_alice, url=url)["webhook"]["url"] == url


@pytest.mark.parametrize("url", NOT_AN_HTTPS_URL[:3] + NOT_AN_HTTPS_URL[4:])
def test_the_setting_still_refuses_urls_that_are_not_http(
    as_alice: GraphQLClient, alice: User, settings: Settings, url: str
) -> None:
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    assert refused(as_alice, url=url) == [("url", "INVALID_URL")]
    assert stored(alice) == []


# --- the limit ----------------------------------------------------------------------------------------------------


def test_at_most_the_limit_of_webhooks_per_user(
    as_alice: GraphQLClient, as_bob: GraphQLClient, alice: User, settings: Settings
) -> None:
    settings.WEBHOOK_MAX_PER_USER = 3
    ids = [create_webhook(as_alice)["webhook"]["id"] for _ in range(3)]
    before = stored(alice)
    payload = as_alice.data(CREATE_WEBHOOK, {"input": {"url": PUBLIC_URL}})["createWebhook"]
    assert payload["errors"] == [
        {"field": None, "message": "You already have 3 webhooks: delete one first.", "code": "TOO_MANY_WEBHOOKS"}
    ]
    assert stored(alice) == before
    create_webhook(as_bob)  # the limit is per user
    as_alice.data(DELETE_WEBHOOK, {"id": ids[0]})
    create_webhook(as_alice)


@pytest.mark.django_db(transaction=True)
def test_racing_creates_never_pass_the_limit(settings: Settings) -> None:
    """Creates of one user queue on their row (SQLite: on the write lock), so the count they check is committed."""
    settings.WEBHOOK_MAX_PER_USER = 3
    carol = make_user("carol")
    token = issue_token_pair(carol).token
    create_webhook(GraphQLClient(http=Client(), token=token))
    answers = run_together(
        lambda: GraphQLClient(http=Client(), token=token).data(CREATE_WEBHOOK, {"input": {"url": PUBLIC_URL}}), 6
    )
    codes = sorted(error["code"] for answer in answers for error in answer["createWebhook"]["errors"])
    assert codes == ["TOO_MANY_WEBHOOKS"] * 4
    assert Webhook.objects.filter(user=carol).count() == 3


# --- deleteWebhook ------------------------------------------------------------------------------------------------


def test_delete_removes_the_webhook_and_its_deliveries(as_alice: GraphQLClient, alice: User) -> None:
    kept, gone = (create_webhook(as_alice)["webhook"]["id"] for _ in range(2))
    deliver(kept, 1)
    deliver(gone, 1)
    deliver(gone, 2)
    payload = as_alice.data(DELETE_WEBHOOK, {"id": gone})["deleteWebhook"]
    assert payload == {"deletedId": gone, "errors": []}
    assert [w["id"] for w in as_alice.data(WEBHOOKS)["webhooks"]] == [kept]
    assert list(WebhookDelivery.objects.values_list("webhook_id", flat=True)) == [uuid.UUID(kept)]
    again = as_alice.data(DELETE_WEBHOOK, {"id": gone})["deleteWebhook"]
    assert [(e["field"], e["code"]) for e in again["errors"]] == [("id", "NOT_FOUND")]


@pytest.mark.parametrize("webhook_id", ["not-an-id", str(uuid.uuid4()), ""])
def test_deleting_an_unknown_id_is_not_found(as_alice: GraphQLClient, alice: User, webhook_id: str) -> None:
    create_webhook(as_alice)
    before = stored(alice)
    payload = as_alice.data(DELETE_WEBHOOK, {"id": webhook_id})["deleteWebhook"]
    assert payload == {
        "deletedId": None,
        "errors": [{"field": "id", "message": "No webhook with this id.", "code": "NOT_FOUND"}],
    }
    assert stored(alice) == before


# --- webhooks and webhookDeliveries -------------------------------------------------------------------------------


def test_webhooks_are_listed_oldest_first(as_alice: GraphQLClient) -> None:
    ids = [create_webhook(as_alice, description=str(n))["webhook"]["id"] for n in range(3)]
    Webhook.objects.filter(pk=ids[0]).update(created_at=timezone.now() + datetime.timedelta(minutes=1))
    assert [w["id"] for w in as_alice.data(WEBHOOKS)["webhooks"]] == [ids[1], ids[2], ids[0]]


def test_a_failing_webhook_says_so(as_alice: GraphQLClient) -> None:
    webhook_id = create_webhook(as_alice)["webhook"]["id"]
    Webhook.objects.filter(pk=webhook_id).update(failing=True)  # the worker, after the 8th failed attempt
    assert as_alice.data(WEBHOOKS)["webhooks"][0]["failing"] is True


def test_deliveries_newest_first_with_their_outcome(as_alice: GraphQLClient) -> None:
    webhook_id = create_webhook(as_alice)["webhook"]["id"]
    start = datetime.datetime(2026, 11, 30, 12, 0, tzinfo=datetime.UTC)
    sent = deliver(
        webhook_id, 7, created_at=start, attempts=1, last_status=204, delivered_at=start + datetime.timedelta(seconds=1)
    )
    retrying = deliver(
        webhook_id,
        8,
        event="budget.deleted",
        created_at=start + datetime.timedelta(seconds=5),
        attempts=2,
        last_status=None,
        last_error="connection refused",
        next_attempt_at=start + datetime.timedelta(minutes=5),
    )
    # One batch of the worker shares its time: the change's sequence orders it.
    batch = [deliver(webhook_id, sequence, created_at=start + datetime.timedelta(seconds=9)) for sequence in (9, 10)]
    answer = as_alice.data(DELIVERIES, {"webhookId": webhook_id})["webhookDeliveries"]
    assert [d["id"] for d in answer] == [str(batch[1].pk), str(batch[0].pk), str(retrying.pk), str(sent.pk)]
    assert answer[2:] == [
        {
            "id": str(retrying.pk),
            "event": "budget.deleted",
            "attempts": 2,
            "lastStatus": None,
            "lastError": "connection refused",
            "deliveredAt": None,
            "nextAttemptAt": "2026-11-30T12:05:00+00:00",
            "createdAt": "2026-11-30T12:00:05+00:00",
            "sequence": "8",
        },
        {
            "id": str(sent.pk),
            "event": "transaction.created",
            "attempts": 1,
            "lastStatus": 204,
            "lastError": "",
            "deliveredAt": "2026-11-30T12:00:01+00:00",
            "nextAttemptAt": None,
            "createdAt": "2026-11-30T12:00:00+00:00",
            "sequence": "7",
        },
    ]


def test_deliveries_are_paged_by_first(as_alice: GraphQLClient, settings: Settings) -> None:
    webhook_id = create_webhook(as_alice)["webhook"]["id"]
    start = timezone.now()
    for sequence in range(1, 61):
        deliver(webhook_id, sequence, created_at=start + datetime.timedelta(seconds=sequence))

    def sequences(**variables: object) -> list[str]:
        answer = as_alice.data(DELIVERIES, {"webhookId": webhook_id, **variables})["webhookDeliveries"]
        return [d["sequence"] for d in answer]

    assert sequences() == [str(n) for n in range(60, 10, -1)]  # 50 by default
    assert as_alice.data("query($id: ID!) { webhookDeliveries(webhookId: $id) { sequence } }", {"id": webhook_id})[
        "webhookDeliveries"
    ][-1] == {"sequence": "11"}
    assert sequences(first=2) == ["60", "59"]
    assert sequences(first=0) == []
    settings.GRAPHQL_MAX_PAGE_SIZE = 5
    assert len(sequences(first=100)) == 5


def test_a_negative_first_is_an_input_error(as_alice: GraphQLClient) -> None:
    webhook_id = create_webhook(as_alice)["webhook"]["id"]
    body = as_alice.post(DELIVERIES, {"webhookId": webhook_id, "first": -1})
    assert body["data"] is None
    assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
        ("INVALID_PAGE_SIZE", "first")
    ]


@pytest.mark.parametrize("webhook_id", ["not-an-id", str(uuid.uuid4())])
def test_deliveries_of_an_unknown_webhook_are_empty(as_alice: GraphQLClient, webhook_id: str) -> None:
    deliver(create_webhook(as_alice)["webhook"]["id"], 1)
    assert as_alice.data(DELIVERIES, {"webhookId": webhook_id})["webhookDeliveries"] == []


# --- auth matrix --------------------------------------------------------------------------------------------------

OPERATIONS = {
    "webhooks": (WEBHOOKS, lambda webhook_id: {}),
    "webhookDeliveries": (DELIVERIES, lambda webhook_id: {"webhookId": webhook_id}),
    "createWebhook": (CREATE_WEBHOOK, lambda webhook_id: {"input": {"url": PUBLIC_URL}}),
    "deleteWebhook": (DELETE_WEBHOOK, lambda webhook_id: {"id": webhook_id}),
}


@pytest.fixture
def alices_webhook(as_alice: GraphQLClient) -> str:
    """One of Alice's webhooks, with one delivery."""
    webhook_id = create_webhook(as_alice)["webhook"]["id"]
    deliver(webhook_id, 1)
    return webhook_id


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_anonymous_callers_are_refused_everywhere(
    anonymous: GraphQLClient, alice: User, alices_webhook: str, name: str
) -> None:
    before = stored(alice)
    query, variables = OPERATIONS[name]
    body = anonymous.post(query, variables(alices_webhook))
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert stored(alice) == before
    assert Webhook.objects.count() == 1


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_another_users_webhooks_are_invisible_and_untouchable(
    as_bob: GraphQLClient, alice: User, bob: User, alices_webhook: str, name: str
) -> None:
    before = stored(alice)
    query, variables = OPERATIONS[name]
    as_bob_answer = as_bob.data(query, variables(alices_webhook))
    if name == "createWebhook":  # Bob's own webhook; Alice's untouched
        assert Webhook.objects.filter(user=bob).count() == 1
    else:  # exactly like an id that exists nowhere
        assert as_bob_answer == as_bob.data(query, variables(str(uuid.uuid4())))
    if name == "deleteWebhook":
        assert [(e["field"], e["code"]) for e in as_bob_answer["deleteWebhook"]["errors"]] == [("id", "NOT_FOUND")]
    elif name in ("webhooks", "webhookDeliveries"):
        assert as_bob_answer == {name: []}
    assert stored(alice) == before


@pytest.mark.parametrize("name", list(OPERATIONS))
def test_the_owner_gets_the_answer(as_alice: GraphQLClient, alices_webhook: str, name: str) -> None:
    query, variables = OPERATIONS[name]
    answer = as_alice.data(query, variables(alices_webhook))
    expected = {
        "webhooks": lambda: [w["id"] for w in answer["webhooks"]] == [alices_webhook],
        "webhookDeliveries": lambda: [d["sequence"] for d in answer["webhookDeliveries"]] == ["1"],
        "createWebhook": lambda: answer["createWebhook"]["errors"] == [] and answer["createWebhook"]["secret"],
        "deleteWebhook": lambda: answer["deleteWebhook"] == {"deletedId": alices_webhook, "errors": []},
    }
    assert expected[name]()
