"""The Redis commands a write sends once it commits (storage.cache.send_after_commit): in one round trip per
transaction, after the commit, never after a rollback, and failing open when Redis is unreachable."""

import datetime
import logging
import time
from collections.abc import Iterator

import pytest
from django.db import transaction
from django_redis import get_redis_connection
from redis.connection import AbstractConnection

from accounts.models import User
from ledger import services
from ledger.balance_cache import figures_cache_key
from ledger.models import BalanceVersion
from storage.cache import RedisCommand, send_after_commit
from tests.conftest import make_user

pytestmark = pytest.mark.django_db(transaction=True)  # autocommit, as a request runs

DAY = datetime.date(2026, 3, 14)


@pytest.fixture
def erin() -> User:
    user = make_user("erin")
    services.ensure_default_account(user=user)
    return user


@pytest.fixture
def sent(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bytes]]:
    """What reaches Redis, one entry per round trip (a pipeline is sent as one packet), once the connection for the
    after-commit commands is made (its handshake is not theirs)."""
    send_after_commit(RedisCommand(("PING",), logging.getLogger(__name__), "no ping"))
    packets: list[bytes] = []
    real = AbstractConnection.send_packed_command

    def record(self: AbstractConnection, command: object, check_health: bool = True) -> None:
        parts = [command] if isinstance(command, bytes | str) else command
        packets.append(b"".join(part if isinstance(part, bytes) else part.encode() for part in parts))
        real(self, command, check_health)

    monkeypatch.setattr(AbstractConnection, "send_packed_command", record)
    return packets


def _set(key: str) -> RedisCommand:
    return RedisCommand(("SET", key, "1"), logging.getLogger(__name__), "not set")


def _stored(*keys: str) -> list[str]:
    return [key for key in keys if get_redis_connection("default").exists(key)]


@pytest.mark.parametrize("key", [None, "k-1"])
def test_a_create_drops_the_superseded_figures_and_publishes_in_one_round_trip(
    erin: User, sent: list[bytes], key: str | None
) -> None:
    services.transaction_create(user=erin, amount="1.00", type="income", date=DAY)
    version = BalanceVersion.objects.get(user=erin).version
    get_redis_connection("default").set(figures_cache_key(erin.pk, version), b"figures")
    sent.clear()

    services.transaction_create(user=erin, amount="2.50", type="expense", date=DAY, idempotency_key=key)

    assert len(sent) == 1, sent
    assert b"DEL" in sent[0] and b"PUBLISH" in sent[0], sent
    assert _stored(figures_cache_key(erin.pk, version)) == []


def test_an_update_and_a_delete_send_one_round_trip_each(erin: User, sent: list[bytes]) -> None:
    created = services.transaction_create(user=erin, amount="1.00", type="income", date=DAY)
    sent.clear()
    services.transaction_update(user=erin, transaction_id=created.pk, amount="2.00")
    services.transaction_delete(user=erin, transaction_id=created.pk)
    assert len(sent) == 2, sent
    assert all(b"DEL" in packet and b"PUBLISH" in packet for packet in sent), sent


def test_commands_wait_for_the_commit_and_go_together(sent: list[bytes]) -> None:
    with transaction.atomic():
        send_after_commit(_set("a"))
        send_after_commit(_set("b"), _set("c"))
        assert sent == []  # nothing before the commit
    assert len(sent) == 1, sent
    assert _stored("a", "b", "c") == ["a", "b", "c"]


def test_outside_a_transaction_they_are_sent_at_once(sent: list[bytes]) -> None:
    send_after_commit(_set("a"), _set("b"))
    assert len(sent) == 1, sent
    assert _stored("a", "b") == ["a", "b"]


def test_nothing_is_sent_after_a_rollback(sent: list[bytes]) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        send_after_commit(_set("a"))
        send_after_commit(_set("b"))
        raise RuntimeError("the write fails")
    assert sent == []
    assert _stored("a", "b") == []


def test_a_rolled_back_savepoint_takes_only_its_own_commands(sent: list[bytes]) -> None:
    with transaction.atomic():
        send_after_commit(_set("before"))
        with pytest.raises(RuntimeError), transaction.atomic():
            send_after_commit(_set("inside"))
            raise RuntimeError("the inner write fails")
        send_after_commit(_set("after"))
        with transaction.atomic():
            send_after_commit(_set("released"))
    assert _stored("before", "inside", "after", "released") == ["before", "after", "released"]


def test_a_savepoint_rolled_back_after_joining_the_batch_drops_nothing_of_the_outer_block(
    sent: list[bytes],
) -> None:
    with transaction.atomic():
        with transaction.atomic():
            send_after_commit(_set("kept"))
        with pytest.raises(RuntimeError), transaction.atomic():
            send_after_commit(_set("dropped"))
            raise RuntimeError("the inner write fails")
    assert _stored("kept", "dropped") == ["kept"]


def test_an_unreachable_redis_is_logged_and_the_write_stands(
    erin: User, settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.CACHES = {**settings.CACHES, "default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1"}}
    with caplog.at_level(logging.WARNING):
        created = services.transaction_create(user=erin, amount="2.50", type="expense", date=DAY)
    assert created.pk is not None
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert any(message.startswith("balance cache tidy-up skipped: ") for message in warnings), warnings
    assert any(message.startswith("live update not published on ") for message in warnings), warnings


def test_replies_are_read_at_the_next_send_and_errors_among_them_logged(caplog: pytest.LogCaptureFixture) -> None:
    get_redis_connection("default").set("text", "not a number")
    with caplog.at_level(logging.WARNING, logger="storage.cache"):
        send_after_commit(RedisCommand(("INCR", "text"), logging.getLogger(__name__), "not counted"))
        assert [record for record in caplog.records if record.name == "storage.cache"] == []  # not awaited
        deadline = time.monotonic() + 5
        while not any(record.name == "storage.cache" for record in caplog.records) and time.monotonic() < deadline:
            send_after_commit(_set("next"))  # reads the replies that have arrived
    failures = [record.getMessage() for record in caplog.records if record.name == "storage.cache"]
    assert failures == ["a command sent after a commit failed: value is not an integer or out of range"]
    assert _stored("next") == ["next"]


def test_unread_replies_never_pile_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from storage import cache  # noqa: PLC0415

    monkeypatch.setattr(cache, "MAX_UNREAD_REPLIES", 3)
    monkeypatch.setattr(AbstractConnection, "can_read", lambda self, timeout=0: False)  # as if none had arrived yet
    for n in range(20):
        send_after_commit(_set(f"k{n}"))
        assert cache._unawaited.pending <= 3  # noqa: SLF001 (the bound itself is the subject)
    assert _stored(*(f"k{n}" for n in range(20))) == [f"k{n}" for n in range(20)]
