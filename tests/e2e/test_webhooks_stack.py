"""Webhooks through the whole system as `make run` starts it (issue 14): a webhook created with the API, writes made
with the API, and the delivery worker `make run` starts sends them to a real receiver on this machine within seconds
of the commit, signed with the secret createWebhook showed once (checked with webhooks.signatures.verify), retried
with the same webhook-id after a failure, and listed by webhookDeliveries."""

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveStack, running_stack
from tests.e2e.webhook_receiver import Receiver, serving_receiver
from webhooks.signatures import InvalidSignature, verify

pytestmark = pytest.mark.e2e

CREATE_WEBHOOK = """mutation($input: CreateWebhookInput!) {
  createWebhook(input: $input) { webhook { id url events failing } secret errors { field code message } }
}"""
CREATE = """mutation($input: CreateTransactionInput!) {
  createTransaction(input: $input) { transaction { id } errors { code } }
}"""
UPDATE = """mutation($id: ID!) {
  updateTransaction(id: $id, input: {description: "renamed"}) { transaction { id } errors { code } }
}"""
DELETE = "mutation($id: ID!) { deleteTransaction(id: $id) { deletedId errors { code } } }"
DELIVERIES = """query($id: ID!) {
  webhookDeliveries(webhookId: $id) { id event attempts lastStatus deliveredAt nextAttemptAt }
}"""


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStack]:
    # The receiver is on 127.0.0.1: allowed here as in any local development setup, never by default.
    with running_stack(Path(tmp_path_factory.mktemp("stack")), WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true") as live:
        yield live


def wait_for(condition: Callable[[], bool], seconds: float) -> float:
    """Seconds until `condition()` held; fails after `seconds`."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < seconds, "nothing arrived in time"
        time.sleep(0.05)
    return time.monotonic() - started


def test_writes_reach_the_receiver_signed_within_seconds_and_a_failed_attempt_is_retried(stack: LiveStack) -> None:
    token = stack.sign_up("hana")
    stranger = stack.sign_up("ivo")
    with serving_receiver(lambda headers, body: True) as receiver:
        created = stack.graphql(
            CREATE_WEBHOOK,
            {"input": {"url": receiver.url("/hook"), "events": ["transaction.created", "transaction.deleted"]}},
            token,
        )["data"]["createWebhook"]
        assert created["errors"] == []
        secret = created["secret"]
        assert secret.startswith("whsec_")
        # The receiver fails the first attempt of each delivery, like a receiver restarting.
        receiver.answer = lambda path, webhook_id, attempt: 503 if attempt == 1 else 204

        txn = stack.graphql(CREATE, {"input": {"amount": "12.34", "type": "EXPENSE"}}, token)
        txn_id = txn["data"]["createTransaction"]["transaction"]["id"]
        delay = wait_for(lambda: len(receiver.received()) >= 1, 10)
        # Written by a stranger, and an update the webhook does not take: neither may arrive.
        stack.graphql(CREATE, {"input": {"amount": "1.00", "type": "EXPENSE"}}, stranger)
        assert stack.graphql(UPDATE, {"id": txn_id}, token)["data"]["updateTransaction"]["errors"] == []
        assert stack.graphql(DELETE, {"id": txn_id}, token)["data"]["deleteTransaction"]["errors"] == []
        # The second attempts come after the schedule's 5 s (+-20%).
        wait_for(lambda: delivered_ids(receiver) == 2, 30)

    requests = receiver.received()
    assert delay < 5, f"the first attempt left {delay:.1f}s after the commit"
    events = {}
    for request in requests:
        verify(secret, request.headers, request.body)  # raises on a bad signature
        body = json.loads(request.body)
        events.setdefault(request.headers["webhook-id"], []).append(body)
    assert sorted((bodies[0]["type"], len(bodies)) for bodies in events.values()) == [
        ("transaction.created", 2),
        ("transaction.deleted", 2),
    ]
    for bodies in events.values():
        assert bodies[0] == bodies[1]  # a retry sends the same body under the same webhook-id
        change = bodies[0]["data"]
        assert change["entityId"] == txn_id and change["entityType"] == "TRANSACTION"
        assert change["snapshot"]["amount_minor"] == 1234 and change["snapshot"]["currency"] == "USD"
    # A receiver's check catches a changed body.
    with pytest.raises(InvalidSignature):
        verify(secret, requests[0].headers, requests[0].body.replace(b"1234", b"9234"))

    webhook_id = created["webhook"]["id"]
    deliveries = stack.graphql(DELIVERIES, {"id": webhook_id}, token)["data"]["webhookDeliveries"]
    assert [(d["event"], d["attempts"], d["lastStatus"], d["nextAttemptAt"]) for d in deliveries] == [
        ("transaction.deleted", 2, 204, None),
        ("transaction.created", 2, 204, None),
    ]
    assert all(d["deliveredAt"] for d in deliveries)
    assert {d["id"] for d in deliveries} == set(events)
    # The stranger sees nothing of it.
    assert stack.graphql(DELIVERIES, {"id": webhook_id}, stranger)["data"]["webhookDeliveries"] == []


def delivered_ids(receiver: Receiver) -> int:
    """How many webhook-ids have had a successful (second) attempt."""
    return len(
        {
            r.headers["webhook-id"]
            for r in receiver.received()
            if receiver.attempts(r.path, r.headers["webhook-id"]) >= 2
        }
    )
