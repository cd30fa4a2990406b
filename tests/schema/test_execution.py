"""The executor's shortcut for plain leaf fields (schema/execution.py) answers exactly what graphql-core's own path
answers: the same data, and the same errors at the same paths when a value is null or refused by its scalar."""

import enum

import pytest
import strawberry
from strawberry.extensions import SchemaExtension

from schema.execution import FastLeafExecutionContext, leaf_reader
from schema.schema import schema as api_schema


@strawberry.enum
class Kind(enum.Enum):
    IN = "in"
    OUT = "out"


@strawberry.type
class Row:
    name: str
    count: int
    kind: Kind
    note: str | None
    required: str  # a row can be built with None here: graphql-core's non-null error must come back

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()


@strawberry.type
class Query:
    @strawberry.field
    def rows(self) -> list[Row]:
        return [
            Row(name="a", count=1, kind=Kind.IN, note=None, required="x"),
            Row(name="b", count=2, kind=Kind.OUT, note="n", required="y"),
        ]

    @strawberry.field
    def broken(self) -> list[Row]:
        return [
            Row(name="a", count=1, kind=Kind.IN, note=None, required=None),
            Row(name="b", count="not a number", kind="sideways", note=None, required="y"),
        ]

    @strawberry.field
    def maybe(self) -> Row | None:
        return Row(name="c", count=3, kind=Kind.IN, note=None, required=None)


class SeesEveryField(SchemaExtension):
    seen: list[str] = []

    def resolve(self, _next, root, info, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        SeesEveryField.seen.append(info.field_name)
        return _next(root, info, *args, **kwargs)


STANDARD = strawberry.Schema(query=Query)
FAST = strawberry.Schema(query=Query, execution_context_class=FastLeafExecutionContext)

DOCUMENTS = [
    "{ rows { name count kind note required shout __typename } }",
    "{ rows { a: name b: name ...F } } fragment F on Row { count kind }",
    "{ broken { name count } }",
    "{ broken { kind } }",
    "{ broken { required } }",
    "{ maybe { name required } }",
    "{ rows { name } broken { count } }",
]


def _answer(schema: strawberry.Schema, document: str) -> tuple[object, list]:
    result = schema.execute_sync(document)
    errors = [(error.message, error.path, error.locations) for error in result.errors or []]
    return result.data, errors


@pytest.mark.parametrize("document", DOCUMENTS)
def test_answers_equal_graphql_cores_own_path(document: str) -> None:
    assert _answer(FAST, document) == _answer(STANDARD, document)


def test_the_cases_above_include_errors_so_the_comparison_covers_them() -> None:
    data, errors = _answer(FAST, "{ broken { name count } }")
    assert [path for _, path, _ in errors] == [["broken", 1, "count"]]
    assert data is None  # `broken` is [Row!]!: the error nulls every non-null level up to the root
    _, errors = _answer(FAST, "{ maybe { name required } }")
    assert errors[0][0] == "Cannot return null for non-nullable field Row.required."


def test_only_plain_leaf_fields_take_the_shortcut() -> None:
    row = STANDARD._schema.type_map["Row"].fields
    assert leaf_reader(row["name"]) is not None
    assert leaf_reader(row["kind"]) is not None  # enums are leaves
    assert leaf_reader(row["note"]).nullable
    assert leaf_reader(row["shout"]) is None  # a resolver
    assert leaf_reader(STANDARD._schema.type_map["Query"].fields["rows"]) is None  # a list of objects


def test_resolver_middleware_sees_every_field() -> None:
    SeesEveryField.seen = []
    schema = strawberry.Schema(
        query=Query, extensions=[SeesEveryField], execution_context_class=FastLeafExecutionContext
    )
    data, _ = _answer(schema, "{ rows { name count } }")
    assert data == {"rows": [{"name": "a", "count": 1}, {"name": "b", "count": 2}]}
    assert SeesEveryField.seen == ["rows", "name", "count", "name", "count"]


def test_the_api_schema_uses_it() -> None:
    assert api_schema.execution_context_class is FastLeafExecutionContext
