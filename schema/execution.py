"""graphql-core's executor with a shortcut for the commonest fields of this schema: plain fields, read straight off
their parent object (Strawberry fields without a resolver, so without arguments), or answered by a resolver's
declared read of the context (`reads_context`), whose type is a scalar, an enum, or an object type without an
`is_type_of` check; and for lists of such objects (a page's edges).

graphql-core executes every field the same way: a Path, a resolve-info tuple of twelve items, the argument values,
the resolver through Strawberry's basic-field wrapper, then completion through the non-null, list, leaf and object
checks, about 6 us each. A page of 50 transactions has some 350 such fields and a balance answer four, so that
bookkeeping was most of what the GraphQL layer added to the work itself (bench/README.md, issue 15). For a plain
field all of it comes down to reading the attribute, then either the type's `serialize` (a leaf) or executing the
sub-selection on the value (an object): this executor does exactly that, with the same functions graphql-core would
call. Every case that is not a plain value (null for a non-null field, a value the scalar refuses, an exception) goes
to graphql-core's own path, which resolves the field again and answers with its usual error; an error inside an
object's sub-selection is located and handled as graphql-core handles it. The answer is therefore the same, byte for
byte, errors included (tests/schema/test_execution.py).

Skipped when the operation runs resolver middleware (a schema extension with a `resolve` hook), which must see every
field; this schema has none today.
"""

from asyncio import gather
from collections.abc import Callable
from operator import attrgetter
from typing import Any

from graphql import (
    GraphQLField,
    GraphQLObjectType,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
    located_error,
)
from graphql.execution.execute import Path, Undefined
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField


class PlainField:
    """How to answer one plain field: read the value, then serialize it (a leaf) or execute the sub-selection on it
    (an object type; `object_type` is then set). The value is the attribute, or for a resolver marked with
    reads_context, `read(source, context)` (`with_context` is then set)."""

    __slots__ = ("nullable", "object_type", "read", "serialize", "with_context")

    def __init__(self, field: GraphQLField, named: Any, context_read: Callable[[Any, Any], Any] | None = None) -> None:
        self.nullable = not is_non_null_type(field.type)
        definition = field.extensions.get("strawberry-definition")
        self.with_context = context_read is not None
        if context_read is not None:
            self.read = context_read
        elif (
            type(definition).get_result is StrawberryField.get_result  # not strawberry_django's, which does more
            and definition.default_resolver is getattr
        ):
            # What Strawberry's basic-field wrapper ends in (StrawberryField.get_result), read in C.
            self.read: Callable[[Any], Any] = attrgetter(definition.python_name)
        else:
            resolve = field.resolve
            self.read = lambda source: resolve(source, None)
        self.object_type: GraphQLObjectType | None = named if is_object_type(named) else None
        self.serialize: Callable[[Any], Any] | None = None if self.object_type else named.serialize


def reads_context(read: Callable[[Any, Any], Any]) -> Callable[[Callable], Callable]:
    """Mark a resolver whose answer is exactly `read(root, info.context)`: no arguments, no other use of `info`, no
    side effects. This executor then calls `read` itself instead of Strawberry's resolver machinery (an Info object,
    argument conversion and three wrappers per call, 40-odd function calls: the amount of each row of a page). The
    resolver stays the field's resolver for every other executor, and answers every case the shortcut hands back."""

    def mark(resolver: Callable) -> Callable:
        resolver.reads_context = read
        return resolver

    return mark


def plain_field(field: GraphQLField) -> PlainField | None:
    """How to answer `field` when it is a plain field of a kind the shortcut takes, else None."""
    if field.args:
        return None
    context_read = None
    if not getattr(field.resolve, "_is_default", False):  # Strawberry marks its basic-field wrapper
        definition = field.extensions.get("strawberry-definition")
        resolver = getattr(definition, "base_resolver", None)
        context_read = getattr(getattr(resolver, "wrapped_func", None), "reads_context", None)
        if context_read is None or definition.extensions or definition.permission_classes or resolver.is_async:
            return None
    named = field.type.of_type if is_non_null_type(field.type) else field.type
    if is_leaf_type(named) or (is_object_type(named) and named.is_type_of is None):
        return PlainField(field, named, context_read)
    return None


_UNANSWERED = object()

# By the id of the schema's own field objects (they are not hashable); each entry keeps its field alive, so an id is
# never reused while it is a key. Bounded by the fields of the schemas built in the process.
_plain: dict[int, tuple[GraphQLField, PlainField | None]] = {}


def _plain_field(field: GraphQLField) -> PlainField | None:
    try:
        return _plain[id(field)][1]
    except KeyError:
        plain = plain_field(field)
        _plain[id(field)] = (field, plain)
        return plain


class PlainFieldExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self._shortcut = manager is None or not manager.middlewares
        # Per selection (graphql-core caches each object's sub-selection for the operation, so the items of a list
        # share one): its fields with how to answer each. Each entry keeps its selection alive, so no id is reused.
        self._plans: dict[int, tuple[dict, list]] = {}

    def _plan(self, parent_type: GraphQLObjectType, fields: dict[str, list]) -> list:
        try:
            return self._plans[id(fields)][1]
        except KeyError:
            definitions = parent_type.fields
            plan = []
            for response_name, field_nodes in fields.items():
                field = definitions.get(field_nodes[0].name.value)  # None for __typename: graphql-core's path
                plan.append((response_name, field_nodes, field, None if field is None else _plain_field(field)))
            self._plans[id(fields)] = (fields, plan)
            return plan

    def execute_fields(
        self, parent_type: GraphQLObjectType, source_value: Any, path: Path | None, fields: dict[str, list]
    ) -> Any:
        if not self._shortcut:
            return super().execute_fields(parent_type, source_value, path, fields)
        is_awaitable = self.is_awaitable
        context = self.context_value
        results = {}
        awaitable_fields = []
        for response_name, field_nodes, field, plain in self._plan(parent_type, fields):
            if plain is not None:
                # The shortcut, inline: this loop runs for every field of every row. A case it does not answer (a
                # failing read, null for a non-null field, an exception, a value the scalar refuses, an awaitable
                # object) falls through to graphql-core's path, which resolves the field again and reports it.
                try:
                    value = plain.read(source_value, context) if plain.with_context else plain.read(source_value)
                except Exception:  # noqa: BLE001
                    value = _UNANSWERED
                if value is None:
                    if plain.nullable:
                        results[response_name] = None
                        continue
                elif value is _UNANSWERED or isinstance(value, Exception):
                    pass
                elif plain.object_type is None:
                    try:  # every scalar of this schema refuses an awaitable
                        serialized = plain.serialize(value)
                    except Exception:  # noqa: BLE001
                        serialized = None
                    if serialized is not None and serialized is not Undefined:
                        results[response_name] = serialized  # never awaitable
                        continue
                elif not is_awaitable(value):
                    field_path = Path(path, response_name, parent_type.name)
                    result = results[response_name] = self._object(plain, field, field_nodes, field_path, value)
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
                    continue
            result = self.execute_field(
                parent_type, source_value, field_nodes, Path(path, response_name, parent_type.name)
            )
            if result is not Undefined:
                results[response_name] = result
                if is_awaitable(result):
                    awaitable_fields.append(response_name)
        if not awaitable_fields:
            return results
        return self._gather(results, awaitable_fields)

    def _object(self, plain: PlainField, field: GraphQLField, field_nodes: list, path: Path, value: Any) -> Any:
        """complete_object_value for an object type without is_type_of, with execute_field's error handling."""
        try:
            result = self.execute_fields(
                plain.object_type, value, path, self.collect_subfields(plain.object_type, field_nodes)
            )
        except Exception as raw_error:  # noqa: BLE001 (a non-null field below failed: graphql-core's handling)
            self._field_error(raw_error, field_nodes, field.type, path)
            return None
        return self._awaited(result, field_nodes, field.type, path) if self.is_awaitable(result) else result

    def complete_list_value(  # noqa: PLR0917 (graphql-core's signature)
        self, return_type: Any, field_nodes: list, info: Any, path: Path, result: Any
    ) -> Any:
        """A list of objects of a type without is_type_of (a page's edges): each item's sub-selection executed directly,
        as complete_value would end up doing, with its error handling. Any other list, or one holding a null, an
        exception or an awaitable, is completed by graphql-core."""
        item_type = return_type.of_type
        object_type = item_type.of_type if is_non_null_type(item_type) else item_type
        if (
            not self._shortcut
            or not isinstance(result, list)
            or not is_object_type(object_type)
            or object_type.is_type_of is not None
            or any(item is None or isinstance(item, Exception) or self.is_awaitable(item) for item in result)
        ):
            return super().complete_list_value(return_type, field_nodes, info, path, result)
        subfields = self.collect_subfields(object_type, field_nodes)
        completed = []
        awaitable_indices = []
        for index, item in enumerate(result):
            item_path = path.add_key(index, None)
            try:
                value = self.execute_fields(object_type, item, item_path, subfields)
            except Exception as raw_error:  # noqa: BLE001 (a non-null field below failed: graphql-core's handling)
                self._field_error(raw_error, field_nodes, item_type, item_path)
                value = None
            if self.is_awaitable(value):
                value = self._awaited(value, field_nodes, item_type, item_path)
                awaitable_indices.append(index)
            completed.append(value)
        if not awaitable_indices:
            return completed
        return self._gather_list(completed, awaitable_indices)

    async def _awaited(self, value: Any, field_nodes: list, return_type: Any, path: Path) -> Any:
        try:
            return await value
        except Exception as raw_error:  # noqa: BLE001
            self._field_error(raw_error, field_nodes, return_type, path)
            return None

    def _field_error(self, raw_error: Exception, field_nodes: list, return_type: Any, path: Path) -> None:
        """execute_field's handling of an error: located, then null for a nullable type, raised further otherwise."""
        self.handle_field_error(located_error(raw_error, field_nodes, path.as_list()), return_type, path)

    async def _gather_list(self, completed: list, awaitable_indices: list[int]) -> list:
        values = await gather(*(completed[index] for index in awaitable_indices))
        for index, value in zip(awaitable_indices, values, strict=True):
            completed[index] = value
        return completed

    async def _gather(self, results: dict[str, Any], awaitable_fields: list[str]) -> dict[str, Any]:
        # graphql-core's own ending of execute_fields for awaitable results.
        values = await gather(*(results[name] for name in awaitable_fields))
        results.update(zip(awaitable_fields, values, strict=True))
        return results
