"""The `changes` subscription is in the HTTP schema's SDL (for clients), but it runs on the live server's websocket:
over HTTP it is refused with a coded error before anything runs."""

import json

import pytest
from django.test import Client

from tests.conftest import GraphQLClient


@pytest.mark.parametrize("authenticated", [False, True], ids=["anonymous", "owner"])
def test_a_subscription_over_http_post_is_a_coded_400(as_alice: GraphQLClient, authenticated: bool) -> None:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {as_alice.token}"} if authenticated else {}
    response = Client().post(
        "/graphql/",
        data=json.dumps({"query": "subscription { changes { sequence } }"}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 400
    assert response.json() == {
        "errors": [{"message": "subscriptions are not allowed when using POST", "extensions": {"code": "BAD_REQUEST"}}]
    }


def test_the_http_schema_still_answers_queries_and_mutations(as_alice: GraphQLClient) -> None:
    assert as_alice.data("{ changeCursor }")["changeCursor"]
