"""graphql-core's executor with a shortcut for the commonest field of this schema: a scalar or enum read straight off
its parent object (a Strawberry field without a resolver, so without arguments).

graphql-core executes every field the same way: a Path, a resolve-info tuple of twelve items, the argument values,
the resolver, then completion through the non-null, list and leaf checks, about 6 us each. A page of 50 transactions
has some 300 such fields and a balance answer four, so that bookkeeping was most of what the GraphQL layer adds to
the work itself (bench/README.md, issue 15). For a plain leaf field all of it is spent on a getattr and one
`serialize`: this executor calls exactly those two, the same functions graphql-core would call, and hands every case
that is not a plain value (null for a non-null field, a value the scalar refuses, an exception) to graphql-core's own
path, which resolves the field again and answers with its usual error. The answer is therefore the same, byte for
byte, including errors (tests/schema/test_execution.py).

Skipped when the operation runs resolver middleware (a schema extension with a `resolve` hook), which must see every
field; this schema has none today.
"""

from asyncio import gather
from collections.abc import Callable
from typing import Any

from graphql import GraphQLField, GraphQLObjectType, is_leaf_type, is_non_null_type
from graphql.execution.execute import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class LeafReader:
    """How to answer one plain leaf field: its resolver (Strawberry's basic-field getter) and its type's serialize."""

    __slots__ = ("nullable", "resolve", "serialize")

    def __init__(self, field: GraphQLField) -> None:
        self.resolve: Callable[..., Any] = field.resolve
        self.nullable = not is_non_null_type(field.type)
        named = field.type if self.nullable else field.type.of_type
        self.serialize: Callable[[Any], Any] = named.serialize


def leaf_reader(field: GraphQLField) -> LeafReader | None:
    """A reader for `field` when it is a plain leaf field, else None."""
    plain = getattr(field.resolve, "_is_default", False) and not field.args  # Strawberry marks its basic getter
    named = field.type.of_type if is_non_null_type(field.type) else field.type
    return LeafReader(field) if plain and is_leaf_type(named) else None


# By the id of the schema's own field objects (they are not hashable); each entry keeps its field alive, so an id is
# never reused while it is a key. Bounded by the fields of the schemas built in the process.
_readers: dict[int, tuple[GraphQLField, LeafReader | None]] = {}


def _reader(field: GraphQLField) -> LeafReader | None:
    try:
        return _readers[id(field)][1]
    except KeyError:
        reader = leaf_reader(field)
        _readers[id(field)] = (field, reader)
        return reader


class FastLeafExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self._shortcut = manager is None or not manager.middlewares

    def execute_fields(
        self, parent_type: GraphQLObjectType, source_value: Any, path: Path | None, fields: dict[str, list]
    ) -> Any:
        if not self._shortcut:
            return super().execute_fields(parent_type, source_value, path, fields)
        definitions = parent_type.fields
        results = {}
        awaitable_fields = []
        for response_name, field_nodes in fields.items():
            field = definitions.get(field_nodes[0].name.value)  # None for __typename: graphql-core's path
            reader = None if field is None else _reader(field)
            if reader is not None:
                value = reader.resolve(source_value, None)
                if value is None:
                    if reader.nullable:
                        results[response_name] = None
                        continue
                elif not isinstance(value, Exception):
                    try:
                        serialized = reader.serialize(value)
                    except Exception:  # noqa: BLE001 (graphql-core's path below raises it again, located)
                        serialized = None
                    if serialized is not None and serialized is not Undefined:
                        results[response_name] = serialized
                        continue
            # Everything else, and every case above that is an error, as graphql-core executes it.
            result = self.execute_field(
                parent_type, source_value, field_nodes, Path(path, response_name, parent_type.name)
            )
            if result is not Undefined:
                results[response_name] = result
                if self.is_awaitable(result):
                    awaitable_fields.append(response_name)
        if not awaitable_fields:
            return results
        return self._gather(results, awaitable_fields)

    async def _gather(self, results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
        # graphql-core's own ending of execute_fields for awaitable results.
        results.update(zip(awaitable_fields, await gather(*(results[name] for name in awaitable_fields)), strict=True))
        return results
