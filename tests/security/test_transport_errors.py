"""/graphql/ answers every request with JSON and a code: oversized documents, bodies it cannot parse, bodies over
the upload limit and unexpected errors alike, with DEBUG on or off; never Django's HTML error pages."""

import json

import pytest
from django.test import Client

from schema.extensions import MAX_DOCUMENT_LENGTH


def post(body: bytes | str, debug: bool, settings) -> tuple[int, dict]:
    settings.DEBUG = debug
    response = Client(raise_request_exception=False).post("/graphql/", data=body, content_type="application/json")
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    return response.status_code, response.json()


def code_of(body: dict) -> str:
    [error] = body["errors"]
    return error["extensions"]["code"]


@pytest.mark.parametrize("debug", [False, True])
def test_a_huge_document_is_refused_before_parsing(settings, debug: bool) -> None:
    query = "{ __typename }" + "#" + "x" * 10_000_000  # one comment: one token, passes every other limit
    status, body = post(json.dumps({"query": query}), debug, settings)
    assert (status, code_of(body)) == (413, "QUERY_TOO_LARGE")
    assert str(MAX_DOCUMENT_LENGTH) in body["errors"][0]["message"]


def test_a_document_at_the_limit_is_accepted(settings) -> None:
    query = "{ __typename }" + " " * (MAX_DOCUMENT_LENGTH - len("{ __typename }"))
    status, body = post(json.dumps({"query": query}), False, settings)
    assert (status, body) == (200, {"data": {"__typename": "Query"}})


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize(
    "raw",
    [
        b'{"query": "{ __typename }", "variables": ' + b"[" * 1000 + b"]" * 1000 + b"}",  # too deep for json
        b'{"query": "{ __typename }", "variables": {"a": "\xff\xfe"}}',  # not UTF-8
        b'{"query": ',  # truncated
    ],
    ids=["nested-1000", "not-utf8", "truncated"],
)
def test_a_body_that_cannot_be_parsed_is_a_bad_request(settings, debug: bool, raw: bytes) -> None:
    status, body = post(raw, debug, settings)
    assert (status, code_of(body)) == (400, "BAD_REQUEST")


@pytest.mark.parametrize("debug", [False, True])
def test_a_body_over_the_upload_limit_is_json(settings, debug: bool) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    status, body = post(json.dumps({"query": "{ __typename }", "variables": {"x": "y" * 2000}}), debug, settings)
    assert (status, code_of(body)) == (413, "PAYLOAD_TOO_LARGE")


@pytest.mark.parametrize("debug", [False, True])
def test_an_unexpected_error_in_the_view_is_json_without_a_traceback(settings, debug: bool, monkeypatch) -> None:
    from schema.views import FinanceGraphQLView

    def broken(self, **kwargs):  # a failure outside any resolver (resolver errors are masked by the schema)
        raise RuntimeError("secret internals")

    # execute_single: both the view's JSON path and Strawberry's run() go through it.
    monkeypatch.setattr(FinanceGraphQLView, "execute_single", broken)
    status, body = post(json.dumps({"query": "{ __typename }"}), debug, settings)
    assert (status, code_of(body)) == (500, "INTERNAL_SERVER_ERROR")
    assert "secret" not in json.dumps(body)
