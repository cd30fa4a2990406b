"""The bench-only plain views (bench.http.plain_views) answer byte for byte what the GraphQL API answers to the
requests they stand beside in `make bench`, and production's URLconf never routes them."""

import datetime

import pytest
from django.test import Client
from django.urls import Resolver404, resolve

from accounts.models import User
from accounts.tokens import issue_token_pair
from bench.http.cases import BALANCE, BALANCE_PLAIN_PATH, FIRST_PAGE_PLAIN_PATH, PAGE, graphql_body
from ledger import services

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def bench_urls(settings: object) -> None:
    settings.ROOT_URLCONF = "bench.http.urls"


def answers(user: User, path: str, query: str) -> tuple[bytes, bytes]:
    """(the GraphQL answer, the plain view's answer) to the same body and token."""
    client = Client()
    headers = {"HTTP_AUTHORIZATION": f"Bearer {issue_token_pair(user).token}"}
    body = graphql_body(query)
    graphql = client.post("/graphql/", body, content_type="application/json", **headers)
    plain = client.post(path, body, content_type="application/json", **headers)
    assert graphql.status_code == plain.status_code == 200
    assert graphql["Content-Type"] == plain["Content-Type"]
    return graphql.content, plain.content


def write_ledger(user: User, rows: int) -> None:
    """Rows in two accounts and two currencies (a transfer too, which neither answer lists or counts)."""
    main = services.ensure_default_account(user=user)
    yen = services.account_create(user=user, name="Yen", kind="cash", currency="JPY", opening_balance="500")
    day = datetime.date(2026, 1, 31)
    for n in range(rows):
        in_yen = n % 5 == 0
        services.transaction_create(
            user=user,
            amount=f"{n + 1}" if in_yen or n % 3 == 0 else f"{n + 1}.0{n % 10}",
            type="income" if n % 4 == 0 else "expense",
            date=day - datetime.timedelta(days=n % 7),
            description=f'row "{n}" \u00e9',
            category=["Food", "Rent", "Straße"][n % 3],
            account_id=yen.pk if in_yen else main.pk,
        )
    services.transfer_create(user=user, from_account_id=yen.pk, to_account_id=main.pk, amount="100", to_amount="0.65")


@pytest.mark.parametrize("rows", [0, 3, 60])
def test_balance_plain_answers_the_graphql_bytes(alice: User, rows: int) -> None:
    write_ledger(alice, rows)
    graphql, plain = answers(alice, BALANCE_PLAIN_PATH, BALANCE)
    assert plain == graphql


@pytest.mark.parametrize("rows", [0, 3, 60])
def test_first_page_plain_answers_the_graphql_bytes(alice: User, rows: int) -> None:
    write_ledger(alice, rows)
    graphql, plain = answers(alice, FIRST_PAGE_PLAIN_PATH, PAGE)
    assert plain == graphql
    assert (b'"hasNextPage":true' in plain) == (rows > 50)


def test_production_never_routes_the_plain_views(settings: object) -> None:
    settings.ROOT_URLCONF = "config.urls"
    for path in (BALANCE_PLAIN_PATH, FIRST_PAGE_PLAIN_PATH):
        with pytest.raises(Resolver404):
            resolve(path)
