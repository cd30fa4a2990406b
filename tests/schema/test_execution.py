"""The executor's shortcut for plain leaf fields (schema/execution.py) answers exactly what graphql-core's own path
answers: the same data, and the same errors at the same paths when a value is null or refused by its scalar."""

import enum
import uuid

import graphql
import pytest
import strawberry
from graphql import GraphQLError
from strawberry.extensions import FieldExtension, SchemaExtension
from strawberry.types.field import StrawberryField

from schema import execution
from schema.execution import PlainFieldExecutionContext, plain_field, reads_context
from schema.schema import schema as api_schema


@strawberry.enum
class Kind(enum.Enum):
    IN = "in"
    OUT = "out"


class Shouting(StrawberryField):
    """A field class with its own get_result, as strawberry_django's: the shortcut must go through it."""

    def get_result(self, source, info, args, kwargs):  # noqa: ANN001, ANN201
        return super().get_result(source, info, args, kwargs).upper()


@strawberry.type
class Child:
    label: str
    size: int


@strawberry.type
class Row:
    name: str
    count: int
    kind: Kind
    note: str | None
    required: str  # a row can be built with None here: graphql-core's non-null error must come back
    child: Child | None = None
    pinned: Child = strawberry.field(default_factory=lambda: Child(label="p", size=0))
    loud: str = Shouting(default="quiet")

    @strawberry.field
    def shout(self) -> str:
        return self.name.upper()

    @strawberry.field
    @reads_context(lambda root, context: _scaled(root, context, "read"))
    def scaled(self, root: strawberry.Parent["Row"], info: strawberry.Info) -> int:
        return _scaled(root, info.context, "resolver")


CALLS: list[str] = []


class Refusals(FieldExtension):
    """Turns a resolver's ValueError into an error with a code, and passes every answer through unchanged."""

    passes_results_through = True

    def resolve(self, next_, source, info, **kwargs):  # noqa: ANN001, ANN003, ANN201
        try:
            return next_(source, info, **kwargs)
        except ValueError as error:
            raise GraphQLError(str(error), extensions={"code": "REFUSED"}) from None


def _multiplied(context: dict, times: int, label: str | None, by: str) -> Row:
    CALLS.append(by)
    if times < 0:
        raise ValueError("times must not be negative")
    return Row(name=label or "m", count=times * context["scale"], kind=Kind.IN, note=None, required="r")


def _scaled(row: Row, context: dict, by: str) -> int:
    CALLS.append(by)
    return row.count * context["scale"]


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

    @strawberry.field(extensions=[Refusals()])
    @reads_context(
        lambda root, context, times=1, label=None, extra_count=0: _multiplied(
            context, times + extra_count, label, "read"
        )
    )
    def multiplied(self, info: strawberry.Info, times: int = 1, label: str | None = None, extra_count: int = 0) -> Row:
        return _multiplied(info.context, times + extra_count, label, "resolver")

    @strawberry.field
    @reads_context(lambda root, context, kind: _multiplied(context, 1, kind.value, "read"))
    def by_kind(self, info: strawberry.Info, kind: Kind) -> Row:  # an enum argument: Strawberry converts it
        return _multiplied(info.context, 1, kind.value, "resolver")

    @strawberry.field
    def maybe(self) -> Row | None:
        return Row(name="c", count=3, kind=Kind.IN, note=None, required=None)

    @strawberry.field
    def gaps(self) -> list[Row | None]:  # a null item: the whole list goes to graphql-core
        return [None, Row(name="g", count=7, kind=Kind.OUT, note=None, required="x")]

    @strawberry.field
    def nested(self) -> list[Row | None]:
        return [
            Row(name="a", count=1, kind=Kind.IN, note=None, required="x", child=Child(label="c", size=1)),
            Row(name="b", count=2, kind=Kind.IN, note=None, required="y", child=Child(label=None, size=2)),
            Row(name="c", count=3, kind=Kind.IN, note=None, required="z", pinned=Child(label="q", size="big")),
            Row(name="d", count=4, kind=Kind.IN, note=None, required="w", pinned=None),
        ]


class Loud(str):
    pass


@strawberry.type
class Tagged:
    """Values of every class the executor answers before calling serialize (str and UUID for ID, str for String,
    enum values remembered per request), and values beside them that serialize must still see."""

    id: strawberry.ID
    label: str
    kind: Kind | None


@strawberry.type
class TaggedQuery:
    @strawberry.field
    def tagged(self) -> list[Tagged]:
        return [
            Tagged(id=uuid.UUID(int=7), label="plain", kind=Kind.IN),
            Tagged(id=42, label=Loud("subclass"), kind=Kind.OUT),
            Tagged(id="x", label=3, kind=Kind.IN),
            Tagged(id=uuid.UUID(int=8), label=True, kind=None),
            Tagged(id=Loud("y"), label="again", kind=Kind.OUT),
        ]

    @strawberry.field
    def mistagged(self) -> list[Tagged]:
        return [
            Tagged(id=uuid.UUID(int=9), label="ok", kind=Kind.IN),
            Tagged(id=1.5, label="a float id", kind="sideways"),
            Tagged(id=uuid.UUID(int=10), label=[1], kind="in"),
            Tagged(id=b"bytes", label="ok", kind=["unhashable"]),
        ]


class SeesEveryField(SchemaExtension):
    seen: list[str] = []

    def resolve(self, _next, root, info, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        SeesEveryField.seen.append(info.field_name)
        return _next(root, info, *args, **kwargs)


STANDARD = strawberry.Schema(query=Query)
FAST = strawberry.Schema(query=Query, execution_context_class=PlainFieldExecutionContext)
TAGGED = (
    strawberry.Schema(query=TaggedQuery),
    strawberry.Schema(query=TaggedQuery, execution_context_class=PlainFieldExecutionContext),
)

DOCUMENTS = [
    "{ rows { name count kind note required shout __typename } }",
    "{ rows { a: name b: name ...F } } fragment F on Row { count kind }",
    "{ broken { name count } }",
    "{ broken { kind } }",
    "{ broken { required } }",
    "{ maybe { name required } }",
    "{ rows { name } broken { count } }",
    "{ rows { child { label } pinned { label size } loud } }",
    "{ nested { name child { label size } } }",
    "{ nested { name pinned { size } } }",
    "{ nested { pinned { label } } }",
    "{ nested { child { __typename label } } }",
    "{ rows { scaled } broken { name scaled } }",
    "{ gaps { name child { label } } }",
    "{ multiplied { name count } }",
    '{ a: multiplied(times: 2, label: "x") { name count } b: multiplied(times: -1) { name } }',
    "{ byKind(kind: OUT) { name } }",
]


def _answer(schema: strawberry.Schema, document: str) -> tuple[object, list]:
    result = schema.execute_sync(document, context_value={"scale": 3})
    errors = [(error.message, error.path, error.locations) for error in result.errors or []]
    return result.data, errors


@pytest.mark.parametrize("document", DOCUMENTS)
def test_answers_equal_graphql_cores_own_path(document: str) -> None:
    assert _answer(FAST, document) == _answer(STANDARD, document)


@pytest.mark.parametrize(
    "document",
    [
        "{ tagged { id label kind __typename } }",
        "{ mistagged { id } }",
        "{ mistagged { label } }",
        "{ mistagged { kind } }",
        "{ tagged { kind } mistagged { kind } tagged2: tagged { kind } }",
    ],
)
def test_values_answered_before_serialize_equal_graphql_cores_answers(document: str) -> None:
    standard, fast = TAGGED
    answer = _answer(fast, document)
    assert answer == _answer(standard, document)
    if "mistagged" in document:
        assert answer[1], "the refused values must come back as errors"


def test_the_cases_above_include_errors_so_the_comparison_covers_them() -> None:
    data, errors = _answer(FAST, "{ broken { name count } }")
    assert [path for _, path, _ in errors] == [["broken", 1, "count"]]
    assert data is None  # `broken` is [Row!]!: the error nulls every non-null level up to the root
    _, errors = _answer(FAST, "{ maybe { name required } }")
    assert errors[0][0] == "Cannot return null for non-nullable field Row.required."


def test_only_plain_fields_take_the_shortcut() -> None:
    row = STANDARD._schema.type_map["Row"].fields
    assert plain_field(row["name"]).serialize is not None
    assert plain_field(row["kind"]).serialize is not None  # enums are leaves
    assert plain_field(row["note"]).nullable
    assert plain_field(row["child"]).object_type.name == "Child"
    assert not plain_field(row["pinned"]).nullable
    assert plain_field(row["shout"]) is None  # a resolver
    assert plain_field(row["scaled"]).with_context  # a resolver marked with reads_context
    assert plain_field(STANDARD._schema.type_map["Query"].fields["rows"]) is None  # a list of objects


def test_a_resolver_that_reads_the_context_is_answered_by_its_read() -> None:
    CALLS.clear()
    assert _answer(FAST, "{ rows { scaled } }") == ({"rows": [{"scaled": 3}, {"scaled": 6}]}, [])
    assert CALLS == ["read", "read"]
    CALLS.clear()
    data, errors = _answer(FAST, "{ broken { scaled } }")  # a count of "not a number": the scalar refuses it
    assert CALLS == ["read", "read", "resolver"]  # handed to graphql-core, which resolves again and reports it
    assert [path for _, path, _ in errors] == [["broken", 1, "scaled"]]


def test_a_resolver_with_scalar_arguments_is_answered_by_its_read_with_them() -> None:
    CALLS.clear()
    document = 'query($n: Int!) { multiplied(times: $n, label: "v") { name count } }'
    result = FAST.execute_sync(document, variable_values={"n": 4}, context_value={"scale": 3})
    assert (result.data, result.errors) == ({"multiplied": {"name": "v", "count": 12}}, None)
    assert CALLS == ["read"]
    CALLS.clear()
    data, errors = _answer(FAST, "{ multiplied(times: -1) { name } }")
    assert CALLS == ["read", "resolver"]  # the read failed: the field's path, through its extension, reports it
    assert errors == [("times must not be negative", ["multiplied"], [{"line": 1, "column": 3}])]
    assert FAST.execute_sync("{ multiplied(times: -1) { name } }").errors[0].extensions == {"code": "REFUSED"}
    query = STANDARD._schema.type_map["Query"].fields
    names = {"times": "times", "label": "label", "extraCount": "extra_count"}
    assert plain_field(query["multiplied"]).with_context == names
    assert plain_field(query["byKind"]) is None  # an enum argument is converted by Strawberry: its path


def test_a_field_class_with_its_own_get_result_is_read_through_it() -> None:
    data, errors = _answer(FAST, "{ rows { loud } }")
    assert (data, errors) == ({"rows": [{"loud": "QUIET"}, {"loud": "QUIET"}]}, [])


def test_resolver_middleware_sees_every_field() -> None:
    SeesEveryField.seen = []
    schema = strawberry.Schema(
        query=Query, extensions=[SeesEveryField], execution_context_class=PlainFieldExecutionContext
    )
    data, _ = _answer(schema, "{ rows { name count } }")
    assert data == {"rows": [{"name": "a", "count": 1}, {"name": "b", "count": 2}]}
    assert SeesEveryField.seen == ["rows", "name", "count", "name", "count"]


def test_the_api_schema_uses_it() -> None:
    assert api_schema.execution_context_class is PlainFieldExecutionContext


def _run(schema: strawberry.Schema, document: graphql.DocumentNode, variables: dict) -> tuple[object, object]:
    """As the API runs a document: parsed once (its parser cache), executed again and again."""
    result = graphql.execute(
        schema._schema,
        document,
        variable_values=variables,
        context_value={"scale": 1},
        execution_context_class=schema.execution_context_class,
    )
    return result.data, result.errors


@pytest.mark.parametrize("document", DOCUMENTS)
def test_a_documents_later_executions_answer_as_its_first(document: str) -> None:
    # The later ones find the sub-selections and plans the first worked out (SharedSelections).
    parsed = graphql.parse(document)
    first = _run(FAST, parsed, {})
    assert _run(FAST, parsed, {}) == _run(FAST, parsed, {}) == first
    assert (first[0], [(e.message, e.path) for e in first[1] or []]) == (
        _run(STANDARD, parsed, {})[0],
        [(e.message, e.path) for e in _run(STANDARD, parsed, {})[1] or []],
    )


def test_selections_that_depend_on_the_variables_are_worked_out_per_execution() -> None:
    document = graphql.parse(
        "query($plain: Boolean!) { rows { name count @skip(if: $plain) child @include(if: $plain) { label } } }"
    )
    for plain in (True, False, True, False):
        fast = _run(FAST, document, {"plain": plain})
        assert fast == _run(STANDARD, document, {"plain": plain})
        assert ("count" in fast[0]["rows"][0]) is not plain
    spread = graphql.parse("query($p: Boolean!) { rows { ...F } } fragment F on Row { name @skip(if: $p) }")
    answers = [_run(FAST, spread, {"p": p})[0] for p in (True, False, True)]
    assert answers == [{"rows": [{}, {}]}, {"rows": [{"name": "a"}, {"name": "b"}]}, {"rows": [{}, {}]}]


def test_an_operation_executed_again_and_again_keeps_one_plan_per_selection() -> None:
    document = graphql.parse("{ rows { name child { label } pinned { label size } } }")
    answers = [_run(FAST, document, {}) for _ in range(20)]
    assert answers == [_run(STANDARD, document, {})] * 20
    kept, shared = execution._shared[id(document.definitions[0])]
    assert kept is document.definitions[0]
    # The root selection, a Row's and a Child's for `pinned` (`child` is null in every row, so never planned): nothing
    # added per execution.
    assert len(shared.plans) == 3
