"""The GraphQL view's own path for JSON bodies sent by POST (schema/views.py, FinanceGraphQLView._post_json) answers
exactly what Strawberry's run() answers for the same request: status, body and content type, for good operations
and for every way a body can be wrong."""

import json

import pytest
import strawberry
from django.test import Client, RequestFactory
from django.views.decorators.csrf import csrf_exempt

from schema.extensions import MAX_DOCUMENT_LENGTH
from schema.views import FinanceGraphQLView
from tests.conftest import GraphQLClient

BODIES = [
    {"query": "{ __typename }"},
    {"query": "query Me { me { username } }", "operationName": "Me"},
    {"query": "query A { __typename } query B { me { id } }", "operationName": "B"},
    {"query": "query A { __typename } query B { me { id } }"},  # which operation: 400
    {"query": "query A { __typename }", "operationName": "Nope"},
    {"query": "{ balance { total } }"},
    {"query": "query Q($n: Int) { transactions(first: $n) { edges { cursor } } }", "variables": {"n": "x"}},
    {"query": "{ nope }"},
    {"query": "{ __typename"},
    {"query": "subscription { changes { sequence } }"},
    {"query": 'mutation { deleteTransaction(id: "00000000-0000-0000-0000-000000000000") { errors { code } } }'},
    {"query": 7},
    {"query": "{ __typename }", "variables": []},
    {"query": "{ __typename }", "extensions": "x"},
    {"query": None},
    {},
    {"variables": {}},
    {"query": "{ __typename }" + "#" * MAX_DOCUMENT_LENGTH},
]
RAW = [b'{"query": "{ __typename }"', b'{"query": "\xff"}', b"{}   "]


def _answer(client: Client, body: bytes, token: str | None) -> tuple[int, str, object]:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    response = client.post("/graphql/", data=body, content_type="application/json", **headers)
    return response.status_code, response["Content-Type"], json.loads(response.content)


@pytest.fixture
def through_run(monkeypatch):  # noqa: ANN201
    """Send the view's JSON requests through Strawberry's run() instead, the path this view's own replaces."""
    taken = []

    def via_run(self, request):  # noqa: ANN001, ANN202
        taken.append(request)
        return self.run(request=request)

    def use() -> list:
        monkeypatch.setattr(FinanceGraphQLView, "_post_json", via_run)
        return taken

    return use


@pytest.mark.django_db
@pytest.mark.parametrize("signed_in", [False, True])
@pytest.mark.parametrize("body", [json.dumps(body).encode() for body in BODIES] + RAW)
def test_answers_what_strawberrys_run_answers(body: bytes, signed_in: bool, as_alice: GraphQLClient, through_run):  # noqa: ANN001
    token = as_alice.token if signed_in else None
    client = Client(raise_request_exception=False)
    own = _answer(client, body, token)
    taken = through_run()
    strawberrys = _answer(client, body, token)
    assert taken, "the second request did not go through run()"
    assert own == strawberrys


@pytest.mark.django_db
def test_a_stream_in_accept_is_left_to_strawberry(as_alice: GraphQLClient) -> None:
    response = Client(raise_request_exception=False).post(
        "/graphql/",
        data=json.dumps({"query": "subscription { changes { sequence } }"}),
        content_type="application/json",
        HTTP_ACCEPT="text/event-stream",
        HTTP_AUTHORIZATION=f"Bearer {as_alice.token}",
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["extensions"]["code"] == "BAD_REQUEST"


@strawberry.type
class _Marking:
    @strawberry.field
    def marked(self, info: strawberry.Info) -> str:
        response = info.context.response  # made on first use on the JSON path
        response["X-Marked"] = "yes"
        response.status_code = 202
        response.set_cookie("seen", "1")
        return "ok"


def test_what_a_resolver_sets_on_the_sub_response_is_answered(through_run) -> None:  # noqa: ANN001
    view = csrf_exempt(FinanceGraphQLView.as_view(schema=strawberry.Schema(query=_Marking)))

    def answer() -> tuple:
        body = json.dumps({"query": "{ marked }"})
        response = view(RequestFactory().post("/graphql/", data=body, content_type="application/json"))
        return response.status_code, response["X-Marked"], response.cookies["seen"].value, json.loads(response.content)

    own = answer()
    taken = through_run()
    assert own == answer() == (202, "yes", "1", {"data": {"marked": "ok"}})
    assert taken


@pytest.mark.django_db
def test_an_answer_carries_the_headers_strawberrys_carries(through_run) -> None:  # noqa: ANN001
    client = Client(raise_request_exception=False)
    body = json.dumps({"query": "{ __typename }"})
    own = dict(client.post("/graphql/", data=body, content_type="application/json").items())
    through_run()
    assert own == dict(client.post("/graphql/", data=body, content_type="application/json").items())
