"""The hot path's connection handling (storage.connections): the per-request user lookup is a prepared statement on
PostgreSQL, and only connections that sat idle are health-checked before a request."""

import pytest
from django.core.signals import request_finished, request_started
from django.db import connection

from ledger.selectors import user_for_request
from storage.connections import _note_request_end, _trust_busy_connections
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_the_user_lookup_is_prepared_once_per_connection_on_postgresql() -> None:
    alice = make_user("alice")
    for with_version in (True, True, False):
        assert user_for_request(alice.pk, with_balance_version=with_version)[0] == alice
    if connection.vendor != "postgresql":
        assert user_for_request(alice.pk, with_balance_version=True) == (alice, 0)
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE statement LIKE %s", ["%accounts_user u%"])
        prepared = [row[0] for row in cursor.fetchall()]
    assert len(prepared) == 2  # with and without the version join, each prepared once


def test_the_lookup_loads_a_normal_user_with_the_rest_deferred() -> None:
    alice = make_user("alice")
    user, version = user_for_request(alice.pk, with_balance_version=True)
    assert (user.pk, user.username, user.email, user.is_active, user.token_version, version) == (
        alice.pk,
        "alice",
        "alice@example.com",
        True,
        0,
        0,
    )
    assert user.get_deferred_fields() >= {"password", "date_joined"}
    assert user.check_password("correct horse 9")  # a deferred field loads on access


def test_a_connection_that_just_served_a_request_skips_the_health_check(settings) -> None:
    connection.ensure_connection()
    if connection.vendor != "postgresql":
        assert connection.health_check_enabled is False  # nothing to skip on SQLite; the PostgreSQL run checks the rest
        return
    # The receivers themselves: sending the signals would also run Django's own handler, which closes the test's
    # connection (its transaction is still open).
    assert _trust_busy_connections in request_started._live_receivers(None)[0]
    assert _note_request_end in request_finished._live_receivers(None)[0]
    settings.DB_HEALTH_CHECK_AFTER_IDLE = 60
    _note_request_end()
    connection.health_check_done = False  # what Django's request_started handler does first
    _trust_busy_connections()
    assert connection.health_check_done is True
    settings.DB_HEALTH_CHECK_AFTER_IDLE = 0  # everything counts as idle: checked as Django always did
    _note_request_end()
    connection.health_check_done = False
    _trust_busy_connections()
    assert connection.health_check_done is False
