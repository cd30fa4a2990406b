"""The HTTP schema runs operations without Strawberry's extension machinery (schema.extensions.run_operation_sync);
what it answers, raises and counts equals Strawberry's own Schema.execute_sync running OperationPipeline as an
extension, on the same schema instance."""

import pytest
import strawberry
from django.test import RequestFactory
from prometheus_client import REGISTRY
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES

from schema.context import RequestContext
from schema.schema import _NOT_OVER_HTTP, schema
from tests.conftest import GraphQLClient

DOCUMENTS = [
    ("{ __typename }", None, None),
    ("query Me { me { username } }", None, "Me"),
    ("{ balance { total income expense transactionCount currency } }", None, None),
    ("query A { __typename } query B { me { id } }", None, "B"),
    ("query A { __typename } query B { me { id } }", None, None),  # raises: which operation?
    ("query A { __typename }", None, "Nope"),
    ("query Q($n: Int) { transactions(first: $n) { edges { cursor } } }", {"n": "x"}, None),
    ("query Q($n: Int!) { transactions(first: $n) { edges { cursor } } }", {}, None),
    ("{ transactions(first: 2) { edges { node { id amount type date } } pageInfo { hasNextPage } } }", None, None),
    ("{ nope }", None, None),
    ("{ __typename", None, None),
    ("", None, None),  # raises: no query
    ("{ __schema { types { name } } }", None, None),
    ('mutation { deleteTransaction(id: "00000000-0000-0000-0000-000000000000") { errors { code } } }', None, None),
    ('mutation { createTransaction(input: {amount: "1.50", type: EXPENSE}) { transaction { amount } } }', None, None),
    ("subscription { changes { sequence } }", None, None),  # raises: not over HTTP
    ("{ a: __typename " + " ".join(f"b{i}: __typename" for i in range(20)) + " }", None, None),  # too many aliases
]


def _counts() -> dict:
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for metric in REGISTRY.collect()
        if metric.name.startswith("finance_graphql_")
        for sample in metric.samples
        if sample.name.endswith("_total") or sample.name.endswith("_count")
    }


def _run(execute, document: str, variables: dict | None, name: str | None, token: str | None) -> tuple:
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    request = RequestFactory().post("/graphql/", **headers)
    before = _counts()
    try:
        result = execute(
            document,
            variable_values=variables,
            context_value=RequestContext(request=request, response=None),
            operation_name=name,
        )
    except Exception as error:  # noqa: BLE001 (what is raised is part of the comparison)
        answer = ("raised", type(error), str(error))
    else:
        answer = (result.data, [error.formatted for error in result.errors or []], result.extensions)
    after = _counts()
    counted = {key: value - before.get(key, 0) for key, value in after.items() if value != before.get(key, 0)}
    return answer, counted


@pytest.mark.django_db
@pytest.mark.parametrize(("document", "variables", "name"), DOCUMENTS)
@pytest.mark.parametrize("signed_in", [False, True])
def test_equals_strawberrys_execute_sync(document, variables, name, signed_in, as_alice: GraphQLClient) -> None:  # noqa: ANN001
    token = as_alice.token if signed_in else None
    if "createTransaction" in document:  # a write: each run makes its own, so compare the shape of the answers
        ours = _run(schema.execute_sync, document, variables, name, token)
        strawberrys = _run(_strawberry_execute_sync, document, variables, name, token)
        assert _shape(ours) == _shape(strawberrys)
        return
    ours = _run(schema.execute_sync, document, variables, name, token)
    strawberrys = _run(_strawberry_execute_sync, document, variables, name, token)
    if document == "{ __typename":
        # One deliberate difference: Strawberry's path raised the syntax error out of the parse hook, past the
        # operation hook, so a document that does not parse was never counted; it is now, as a failed operation.
        assert ours[0] == strawberrys[0]
        assert strawberrys[1] == {}
        failed = (("operation", "anonymous"), ("type", "unknown"))
        assert ours[1] == {
            ("finance_graphql_requests_total", failed): 1,
            ("finance_graphql_errors_total", failed): 1,
            ("finance_graphql_request_duration_seconds_count", failed): 1,
        }
        return
    assert ours == strawberrys


def _strawberry_execute_sync(document: str, **kwargs: object) -> object:
    # Strawberry's own path on the same instance, with the HTTP schema's one rule: no subscriptions over HTTP.
    allowed = DEFAULT_ALLOWED_OPERATION_TYPES - _NOT_OVER_HTTP
    return strawberry.Schema.execute_sync(schema, document, allowed_operation_types=allowed, **kwargs)


def _shape(run: tuple) -> object:
    (data, errors, extensions), counted = run
    return (data is None, len(errors), extensions, counted)


def test_the_comparison_is_against_the_extension_path() -> None:
    # Strawberry's path must actually run OperationPipeline as an extension, or the comparison above is void.
    assert [type(extension).__name__ for extension in schema.get_extensions(sync=True)] == ["OperationPipeline"]
