"""Bench-only plain Django views doing the work of two GraphQL requests by hand, with no GraphQL: what the GraphQL
layer costs is the gap between a case and its plain twin, measured in the same run on any machine (issue 15).

Routed only by bench.http.urls, which the benchmark's server loads through bench.http.settings (the bench sets
DJANGO_SETTINGS_MODULE): config/urls.py never routes them. Each answers byte for byte what the API answers
(tests/bench/test_plain_views.py).
"""

import json

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.models import User
from accounts.tokens import AuthenticationFailed, access_claims, token_holder
from ledger.currencies import currency_digits
from ledger.money import from_minor
from ledger.selectors import (
    accounts_by_id,
    balance_in,
    encode_cursor,
    ledger_figures,
    transaction_page,
    user_for_request,
)

FIRST_PAGE_SIZE = 50  # bench.http.cases.PAGE asks for transactions(first: 50)


@csrf_exempt
@require_POST
def balance_plain(request: HttpRequest) -> HttpResponse:
    """`{ balance { total income expense transactionCount } }`: the token check, the user with their balance
    version in one lookup, the figures from Redis."""
    json.loads(request.body)  # the GraphQL view parses its body too
    try:
        user, version = _caller(request, with_balance_version=True)
    except AuthenticationFailed as error:
        return _unauthenticated(error)
    figures = balance_in(ledger_figures(user=user, version=version))
    digits = currency_digits(figures.currency)
    balance = {
        "total": _money(figures.income_minor - figures.expense_minor, digits),
        "income": _money(figures.income_minor, digits),
        "expense": _money(figures.expense_minor, digits),
        "transactionCount": figures.transaction_count,
    }
    return _json({"data": {"balance": balance}})


@csrf_exempt
@require_POST
def first_page_plain(request: HttpRequest) -> HttpResponse:
    """`transactions(first: 50)` with `edges { cursor node { id amount type category date description } }` and
    `pageInfo { hasNextPage endCursor }`: the token check, the user, the page, the caller's accounts (currencies)."""
    json.loads(request.body)
    try:
        user, _ = _caller(request, with_balance_version=False)
    except AuthenticationFailed as error:
        return _unauthenticated(error)
    page = transaction_page(user=user, filters=None, first=FIRST_PAGE_SIZE, after=None, with_timestamps=False)
    accounts = accounts_by_id(user=user)
    edges = [
        {
            "cursor": encode_cursor(row),
            "node": {
                "id": str(row.pk),
                "amount": _money(row.amount_minor, currency_digits(accounts[row.account_id].currency)),
                "type": row.type.upper(),
                "category": row.category,
                "date": row.date.isoformat(),
                "description": row.description,
            },
        }
        for row in page.rows
    ]
    page_info = {"hasNextPage": page.has_next_page, "endCursor": edges[-1]["cursor"] if edges else None}
    return _json({"data": {"transactions": {"edges": edges, "pageInfo": page_info}}})


def _caller(request: HttpRequest, *, with_balance_version: bool) -> tuple[User, int | None]:
    claims = access_claims(request)
    if claims is None:
        raise AuthenticationFailed("Authentication required.")
    user, version = user_for_request(claims.user_id, with_balance_version=with_balance_version)
    return token_holder(claims, user), version


def _money(minor: int, digits: int) -> str:
    return f"{from_minor(minor, digits):f}"  # as the Decimal scalar serializes (schema.scalars)


def _json(payload: dict) -> HttpResponse:
    # The separators of Strawberry's Django view.
    return HttpResponse(json.dumps(payload, separators=(",", ":")), content_type="application/json")


def _unauthenticated(error: AuthenticationFailed) -> JsonResponse:
    return JsonResponse({"errors": [{"message": error.message, "extensions": {"code": "UNAUTHENTICATED"}}]})
