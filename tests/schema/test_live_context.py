"""A websocket connection's context lives as long as the socket: what it caches per read is forgotten before the next
read (schema.live_context.LiveContext.fresh_read)."""

import pytest

from ledger import services
from schema.context import Principal
from schema.live_context import LiveContext
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


def test_an_account_given_another_currency_between_reads_is_read_in_it() -> None:
    user = make_user("erin")
    wallet = services.account_create(user=user, name="Wallet", kind="cash")
    context = LiveContext(request=None, response=None)
    context._principal = Principal(user=user, balance_version=None)  # as connect() sets it
    first = services.transaction_create(user=user, amount="12.50", type="expense", account_id=wallet.pk)
    first.refresh_from_db()  # a row as a read loads it, without its account
    assert context.digits_of(first) == 2
    services.transaction_delete(user=user, transaction_id=first.pk)
    services.account_update(user=user, account_id=wallet.pk, currency="JPY")
    second = services.transaction_create(user=user, amount="1800", type="expense", account_id=wallet.pk)
    second.refresh_from_db()
    context.fresh_read()
    assert context.digits_of(second) == 0
