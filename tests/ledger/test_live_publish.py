"""Every write wakes the subscription servers after it commits (storage.live): one PUBLISH of the writer's last
change sequence on their channel. The one-statement create on PostgreSQL writes its change row without
record_changes, so it is checked here too: without its publish, subscribers would wait for the poll."""

import datetime
from collections.abc import Callable, Iterator

import pytest
from django.core.exceptions import ValidationError
from django_redis import get_redis_connection
from redis.client import PubSub

from accounts.models import User
from ledger import services
from ledger.selectors.changes import last_change_sequence
from storage.live import live_channel
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as a request runs (the one-statement create)

DAY = datetime.date(2026, 3, 14)


@pytest.fixture
def erin() -> User:
    return make_user("erin")


@pytest.fixture
def listener(erin: User) -> Iterator[PubSub]:
    services.ensure_default_account(user=erin)
    pubsub = get_redis_connection("default").pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(live_channel(erin.pk))
    assert pubsub.get_message(timeout=1) is None  # reads the subscription's confirmation (ignored)
    try:
        yield pubsub
    finally:
        pubsub.close()


def create(user: User) -> None:
    services.transaction_create(user=user, amount="12.34", type="expense", date=DAY)


def create_with_key(user: User) -> None:
    services.transaction_create(user=user, amount="12.34", type="expense", date=DAY, idempotency_key="k-1")


def open_account(user: User) -> None:
    services.account_create(user=user, name="Savings", kind="savings", currency="USD")


@pytest.mark.parametrize("write", [create, create_with_key, open_account])
def test_a_committed_write_publishes_its_last_sequence(erin: User, listener: PubSub, write: Callable) -> None:
    write(erin)
    message = listener.get_message(timeout=5)
    assert message is not None, "nothing was published"
    assert message["data"].decode() == str(last_change_sequence(erin))
    assert listener.get_message(timeout=0.2) is None


def test_a_refused_write_publishes_nothing(erin: User, listener: PubSub) -> None:
    with pytest.raises(ValidationError):
        services.transaction_create(user=erin, amount="not money", type="expense", date=DAY)
    assert listener.get_message(timeout=0.3) is None
