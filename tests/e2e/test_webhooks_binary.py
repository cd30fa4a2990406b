"""The real Go binary delivers webhooks (issue 14, `aggregator deliver`) to a real HTTP receiver on this machine: every
change a webhook takes arrives, signed as Standard Webhooks says (checked here with an HMAC written independently of
webhooks.signatures and of the Go code), at least once and exactly once per webhook-id, with the body the contract
gives; failed attempts are retried on the schedule, a webhook whose retries run out is marked failing, and the next
delivery that arrives clears it. The writes go through the ledger services, which append the change rows."""

import base64
import datetime
import hashlib
import hmac
import json
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from ledger.models import Change
from ledger.selectors.changes import last_change_sequence
from ledger.services.accounts import account_create
from ledger.services.bookkeeping import ensure_default_account
from ledger.services.transactions import transaction_create, transaction_delete, transaction_update
from ledger.services.transfers import transfer_create
from tests.conftest import make_user
from tests.e2e.test_aggregator import AGGREGATOR, database_url
from tests.e2e.webhook_receiver import Receiver, Request, serving_receiver
from webhooks.models import Webhook, WebhookDelivery

pytestmark = pytest.mark.e2e

SECRET = "whsec_" + base64.b64encode(b"e2e-webhook-secret-32-bytes-long").decode()
FAST_SCHEDULE = "0s,50ms,50ms,50ms"  # four attempts, a fraction of a second apart


def receiver_signature(secret: str, message_id: str, timestamp: str, body: bytes) -> str:
    """What a receiver computes on its own: base64(HMAC-SHA256(secret bytes, "id.timestamp.body"))."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    return base64.b64encode(
        hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    ).decode()


def genuine(headers: dict[str, str], body: bytes) -> bool:
    expected = "v1," + receiver_signature(SECRET, headers["webhook-id"], headers["webhook-timestamp"], body)
    fresh = abs(time.time() - int(headers["webhook-timestamp"])) < 300
    entries = headers["webhook-signature"].split(" ")
    return fresh and any(hmac.compare_digest(expected, entry) for entry in entries)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with serving_receiver(genuine) as state:
        yield state


def binary_env(*, allow_private: bool = True) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name != "WEBHOOK_ALLOW_PRIVATE_ADDRESSES"}
    if allow_private:
        env["WEBHOOK_ALLOW_PRIVATE_ADDRESSES"] = "true"
    return env


def deliver_once(*args: str, allow_private: bool = True) -> dict:
    assert AGGREGATOR.exists(), "go_aggregator/bin/aggregator is built by `make test`"
    result = subprocess.run(
        [str(AGGREGATOR), "deliver", "--database-url", database_url(), "--once", "--timeout", "5s", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env=binary_env(allow_private=allow_private),
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def deliver_until(done: Callable[[], bool], *, seconds: float = 20) -> None:
    """Passes of `deliver --once` on the fast schedule until `done()` (each pass sends what is due)."""
    deadline = time.monotonic() + seconds
    while not done():
        assert time.monotonic() < deadline, "the deliveries did not settle in time"
        deliver_once("--retry-schedule", FAST_SCHEDULE)
        time.sleep(0.06)


def new_webhook(user, url: str, events: list[str]) -> Webhook:
    # Through the ORM, as webhooks.services.webhook_create stores one: it hears of what happens after it exists.
    return Webhook.objects.create(
        user=user, url=url, events=events, secret=SECRET, last_sequence=last_change_sequence(user)
    )


def payload_time(at: datetime.datetime) -> str:
    return at.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def expected_body(change: Change) -> dict:
    """The contract (go_aggregator README, Webhooks): the change with its snapshot, under its event's name."""
    event = f"{change.entity_type.lower()}.{change.operation.lower()}"
    at = payload_time(change.at)
    return {
        "type": event,
        "timestamp": at,
        "data": {
            "sequence": str(change.sequence),
            "entityType": change.entity_type,
            "entityId": str(change.entity_id),
            "operation": change.operation,
            "at": at,
            "snapshot": change.snapshot,
        },
    }


def first_bodies(requests: list[Request], path: str) -> dict[str, bytes]:
    """webhook-id -> body of the requests to path, de-duplicated by id (every attempt sends the same body)."""
    bodies: dict[str, bytes] = {}
    for r in requests:
        if r.path == path:
            assert bodies.setdefault(r.headers["webhook-id"], r.body) == r.body, "a retry sent another body"
    return bodies


@pytest.mark.django_db(transaction=True)
def test_every_change_a_webhook_takes_arrives_signed_once_per_id_through_retries(receiver: Receiver) -> None:
    user = make_user("webhooks-e2e")
    stranger = make_user("webhooks-e2e-stranger")
    main = ensure_default_account(user=user)
    ensure_default_account(user=stranger)
    every = new_webhook(user, receiver.url("/every"), [])
    some = new_webhook(user, receiver.url("/some"), ["transaction.created", "transaction.deleted"])
    strangers = new_webhook(stranger, receiver.url("/stranger"), [])
    start = every.last_sequence
    # Every other new message id is refused twice before it is taken: the retries carry it.
    flaky: dict[str, bool] = {}

    def answer(path: str, webhook_id: str, attempt: int) -> int:
        with receiver.lock:
            fails = flaky.setdefault(webhook_id, len(flaky) % 2 == 0)
        return 500 if fails and attempt <= 2 else 200

    receiver.answer = answer

    savings = account_create(user=user, name="Savings", kind="savings")
    lunch = transaction_create(user=user, amount="12.50", type="expense", category="Food", date="2026-11-02")
    transaction_create(user=user, amount="3000", type="income", category="Salary", date="2026-11-01")
    transaction_update(user=user, transaction_id=lunch.pk, amount="13.75")
    transfer_create(user=user, from_account_id=main.pk, to_account_id=savings.pk, amount="500", date="2026-11-03")
    transaction_delete(user=user, transaction_id=lunch.pk)
    changes = list(Change.objects.filter(user=user, sequence__gt=start).order_by("sequence"))
    events = [expected_body(c)["type"] for c in changes]
    assert events == [
        "account.created",
        "transaction.created",
        "transaction.created",
        "transaction.updated",
        "transfer.created",
        "transaction.deleted",
    ]

    deliver_until(
        lambda: not WebhookDelivery.objects.filter(delivered_at=None).exists() and len(receiver.received()) > 0
    )

    requests = receiver.received()
    assert all(r.genuine for r in requests)
    assert all(r.headers["content-type"] == "application/json" and r.headers["user-agent"] for r in requests)
    assert not [r for r in requests if r.path == "/stranger"]  # the stranger wrote nothing after creating theirs
    for webhook, path, takes in ((every, "/every", None), (some, "/some", set(some.events))):
        wanted = [c for c in changes if takes is None or expected_body(c)["type"] in takes]
        bodies = first_bodies(requests, path)
        # De-duplicated by webhook-id: exactly the expected events, each with its body, byte for byte the stored one.
        assert sorted(json.loads(b)["data"]["sequence"] for b in bodies.values()) == sorted(
            str(c.sequence) for c in wanted
        )
        by_sequence = {json.loads(b)["data"]["sequence"]: b for b in bodies.values()}
        for change in wanted:
            assert json.loads(by_sequence[str(change.sequence)]) == expected_body(change)
        deliveries = WebhookDelivery.objects.filter(webhook=webhook).order_by("sequence")
        assert [d.sequence for d in deliveries] == [c.sequence for c in wanted]
        for d in deliveries:
            attempts = receiver.attempts(path, str(d.pk))
            assert bodies[str(d.pk)] == d.payload.encode()
            assert attempts == (3 if flaky[str(d.pk)] else 1)
            assert (d.attempts, d.last_status, d.last_error) == (attempts, 200, "")
            assert d.delivered_at is not None and d.next_attempt_at is None and d.locked_until is None
        webhook.refresh_from_db()
        assert webhook.failing is False and webhook.last_sequence == changes[-1].sequence
    strangers.refresh_from_db()
    assert WebhookDelivery.objects.filter(webhook=strangers).count() == 0

    # A receiver's check catches a tampered body or signature.
    genuine_request = next(r for r in requests if r.path == "/every")
    assert genuine(genuine_request.headers, genuine_request.body)
    assert not genuine(genuine_request.headers, genuine_request.body.replace(b'"sequence":"', b'"sequence":"9'))
    forged = {**genuine_request.headers, "webhook-signature": "v1," + base64.b64encode(b"x" * 32).decode()}
    assert not genuine(forged, genuine_request.body)

    # Nothing is sent twice once taken: another pass enqueues and sends nothing.
    before = len(receiver.received())
    report = deliver_once("--retry-schedule", FAST_SCHEDULE)
    assert (report["deliveries_enqueued"], report["attempts"]) == (0, 0)
    assert len(receiver.received()) == before


@pytest.mark.django_db(transaction=True)
def test_a_webhook_whose_retries_run_out_is_failing_until_a_delivery_arrives(receiver: Receiver) -> None:
    user = make_user("webhooks-e2e-down")
    ensure_default_account(user=user)
    webhook = new_webhook(user, receiver.url("/down"), ["transaction.created"])
    up = threading.Event()
    receiver.answer = lambda path, webhook_id, attempt: 200 if up.is_set() else 500
    transaction_create(user=user, amount="1", type="expense", category="Coffee", date="2026-11-04")

    # The watcher retries on the schedule by itself; SIGTERM stops it cleanly.
    watcher = subprocess.Popen(
        [str(AGGREGATOR), "deliver", "--database-url", database_url(), "--watch", "50ms"]
        + ["--retry-schedule", "0s,20ms,20ms", "--timeout", "5s"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=binary_env(),
    )
    try:
        deadline = time.monotonic() + 20
        while not Webhook.objects.filter(pk=webhook.pk, failing=True).exists():
            assert time.monotonic() < deadline and watcher.poll() is None, "the webhook was never marked failing"
            time.sleep(0.05)
    finally:
        watcher.send_signal(signal.SIGTERM)
        stdout, stderr = watcher.communicate(timeout=30)
    assert watcher.returncode == 0, stderr
    given_up = WebhookDelivery.objects.get(webhook=webhook)
    assert (given_up.attempts, given_up.last_status, given_up.last_error) == (3, 500, "HTTP 500")
    assert given_up.delivered_at is None and given_up.next_attempt_at is None
    assert receiver.attempts("/down", str(given_up.pk)) == 3
    assert "retries used up, webhook marked failing" in stderr
    assert sum(json.loads(line)["given_up"] for line in stdout.splitlines()) == 1

    up.set()
    transaction_create(user=user, amount="2", type="expense", category="Coffee", date="2026-11-05")
    report = deliver_once("--retry-schedule", "0s,20ms,20ms")
    assert (report["deliveries_enqueued"], report["delivered"], report["attempts"]) == (1, 1, 1)
    webhook.refresh_from_db()
    assert webhook.failing is False
    given_up.refresh_from_db()
    assert given_up.delivered_at is None and given_up.attempts == 3  # given up: not tried again


@pytest.mark.django_db(transaction=True)
def test_a_private_address_is_refused_at_delivery_unless_allowed(receiver: Receiver) -> None:
    user = make_user("webhooks-e2e-ssrf")
    ensure_default_account(user=user)
    webhook = new_webhook(user, receiver.url("/private"), [])
    transaction_create(user=user, amount="1", type="expense", category="Coffee", date="2026-11-04")

    report = deliver_once("--retry-schedule", "0s,1h", allow_private=False)

    assert (report["attempts"], report["attempts_failed"], report["delivered"]) == (1, 1, 0)
    delivery = WebhookDelivery.objects.get(webhook=webhook)
    assert delivery.last_status is None and "refused to connect to 127.0.0.1" in delivery.last_error
    assert delivery.next_attempt_at is not None and delivery.delivered_at is None
    assert receiver.received() == []
