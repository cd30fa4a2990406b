"""Each distinct document is validated once; the limit rules must not defeat the validation cache.

Counted through one of the schema's own validation rules: graphql-core runs every rule's visitor on each
validation, so the rule's calls are the number of times the document was validated.
"""

import uuid

import pytest

from schema.query_limits import MaxFieldSelectionsRule
from tests.conftest import GraphQLClient


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The operation names validated from now on, one entry per validation."""
    seen: list[str] = []
    enter = MaxFieldSelectionsRule.enter_operation_definition

    def counting_enter(rule: MaxFieldSelectionsRule, node, *args: object) -> None:
        seen.append(node.name.value if node.name else "")
        return enter(rule, node, *args)

    monkeypatch.setattr(MaxFieldSelectionsRule, "enter_operation_definition", counting_enter)
    return seen


def test_a_repeated_document_is_validated_once(as_alice: GraphQLClient, validations: list[str]) -> None:
    """Validation is a fifth of a cached balance request; the limiters must not defeat its cache."""
    # Names no earlier test (or run in this process) used, so the first request is a miss.
    first, second = (f"Cached{uuid.uuid4().hex}" for _ in range(2))
    for _ in range(4):
        as_alice.data(f"query {first} {{ balance {{ total }} me {{ id }} }}")
    assert validations == [first]
    as_alice.data(f"query {second} {{ balance {{ total }} }}")
    as_alice.data(f"query {first} {{ balance {{ total }} me {{ id }} }}")
    assert validations == [first, second]
