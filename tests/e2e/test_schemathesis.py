"""schemathesis fuzzes every query and mutation of the live endpoint, for a bounded number of examples: the
server must never answer with a server error (5xx) or leak a stack trace, whatever the input."""

from collections.abc import Iterator

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis.graphql import nodes

from tests.e2e.conftest import LiveStack, running_stack

pytestmark = pytest.mark.e2e

# Amounts are strings: well-formed ones, and the malformed kinds a client could send.
schemathesis.graphql.scalar(
    "Decimal",
    st.one_of(
        st.decimals(min_value="0.01", max_value="999999999999.99", places=2).map(str),
        st.sampled_from(["0", "-1", "1e3", "NaN", "Infinity", "1.001", "", " ", "12,50", "٣"]),
        st.text(max_size=12),
    ).map(nodes.String),
)
schemathesis.graphql.scalar(
    "Date", st.one_of(st.dates().map(lambda day: day.isoformat()), st.text(max_size=12)).map(nodes.String)
)


@pytest.fixture(scope="module")
def fuzzed_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveStack, str]]:
    with running_stack(tmp_path_factory.mktemp("fuzz"), LOGIN_ATTEMPTS_PER_ADDRESS="100000") as stack:
        stack.graphql(
            'mutation { register(username: "fuzz", email: "fuzz@example.com", password: "fuzzing passphrase") '
            "{ errors { code } } }"
        )
        token = stack.graphql('mutation { login(username: "fuzz", password: "fuzzing passphrase") { token } }')
        yield stack, token["data"]["login"]["token"]


@pytest.fixture(scope="module")
def graphql_schema(fuzzed_stack: tuple[LiveStack, str]) -> schemathesis.schemas.BaseSchema:
    stack, _ = fuzzed_stack
    return schemathesis.graphql.from_url(f"{stack.base}/graphql/")


def test_no_server_errors_for_any_operation(
    graphql_schema: schemathesis.schemas.BaseSchema, fuzzed_stack: tuple[LiveStack, str]
) -> None:
    _, token = fuzzed_stack
    checked = []
    for result in graphql_schema.get_all_operations():
        operation = result.ok()

        @given(case=operation.as_strategy())
        @settings(
            max_examples=15,
            deadline=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case: schemathesis.Case) -> None:
            response = case.call(headers={"Authorization": f"Bearer {token}"})
            assert response.status_code < 500, response.text
            assert "Traceback" not in response.text
            body = response.json()
            assert "data" in body or "errors" in body
            for error in body.get("errors") or []:
                assert error.get("message") != "Internal server error.", (case.body, body)

        fuzz()
        checked.append(operation.label)
    assert {"Query.balance", "Query.transactions", "Mutation.createTransaction", "Mutation.login"} <= set(checked)
