"""graphql-core's executor with a shortcut for the commonest fields of this schema: plain fields, read straight off
their parent object (Strawberry fields without a resolver, so without arguments), or answered by a resolver's
declared read of the context and its scalar arguments (`reads_context`), whose type is a scalar, an enum, or an
object type without an `is_type_of` check; and for lists of such objects (a page's edges). The sub-selections and
plans of an operation without directives are worked out once and kept for its next executions (SharedSelections).

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
from types import GeneratorType
from typing import Any
from uuid import UUID

from graphql import (
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLField,
    GraphQLObjectType,
    GraphQLScalarType,
    OperationDefinitionNode,
    is_leaf_type,
    is_non_null_type,
    is_object_type,
    located_error,
)
from graphql.execution.execute import Path, Undefined
from graphql.execution.values import get_argument_values
from graphql.type.scalars import serialize_id, serialize_string
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext
from strawberry.types.field import StrawberryField

# How the executor answers a field of a plan (PlainFieldExecutionContext._plan): through graphql-core, or as a plain
# field whose value is an object, a String, an ID, an enum or another leaf, or as __typename.
_CORE, _OBJECT, _STRING, _ID, _ENUM, _LEAF, _TYPENAME = range(7)


class PlainField:
    """How to answer one plain field: read the value, then serialize it (a leaf) or execute the sub-selection on it
    (an object type; `object_type` is then set). The value is the attribute, or for a resolver marked with
    reads_context, `read(source, context)` (`with_context` is then True), or for one with arguments,
    `read(source, context, **arguments)` (`with_context` is then the arguments' Python names by GraphQL name)."""

    __slots__ = ("kind", "nullable", "object_type", "read", "serialize", "with_context")

    def __init__(
        self,
        field: GraphQLField,
        named: Any,
        context_read: Callable[..., Any] | None = None,
        arguments: dict[str, str] | None = None,
    ) -> None:
        self.nullable = not is_non_null_type(field.type)
        definition = field.extensions.get("strawberry-definition")
        self.with_context: bool | dict[str, str] = arguments or context_read is not None
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
        self.kind = (
            _OBJECT
            if self.object_type
            else _STRING
            if self.serialize is serialize_string
            else _ID
            if self.serialize is serialize_id
            else _ENUM
            if isinstance(named, GraphQLEnumType)
            else _LEAF
        )


def reads_context(read: Callable[..., Any]) -> Callable[[Callable], Callable]:
    """Mark a resolver whose answer is exactly `read(root, info.context, **arguments)`: no other use of `info`, no side
    effects, arguments (if any) of scalar types passed by their Python names. This executor then calls `read` itself
    instead of Strawberry's resolver machinery (an Info object, argument conversion and three wrappers per call,
    40-odd function calls: the amount of each row of a page, the root field of a balance). The resolver stays the
    field's resolver for every other executor, and answers every case the shortcut hands back, so a field extension
    that only turns a resolver's exceptions into errors (`passes_results_through`) can stay on the field."""

    def mark(resolver: Callable) -> Callable:
        resolver.reads_context = read
        return resolver

    return mark


def plain_field(field: GraphQLField) -> PlainField | None:
    """How to answer `field` when it is a plain field of a kind the shortcut takes, else None."""
    context_read = arguments = None
    if not getattr(field.resolve, "_is_default", False):  # Strawberry marks its basic-field wrapper
        definition = field.extensions.get("strawberry-definition")
        resolver = getattr(definition, "base_resolver", None)
        context_read = getattr(getattr(resolver, "wrapped_func", None), "reads_context", None)
        if (
            context_read is None
            or not all(getattr(extension, "passes_results_through", False) for extension in definition.extensions)
            or definition.permission_classes
            or resolver.is_async
        ):
            return None
        arguments = _scalar_arguments(field)
        if arguments is None:
            return None
    elif field.args:
        return None
    named = field.type.of_type if is_non_null_type(field.type) else field.type
    if is_leaf_type(named) or (is_object_type(named) and named.is_type_of is None):
        return PlainField(field, named, context_read, arguments)
    return None


def _scalar_arguments(field: GraphQLField) -> dict[str, str] | None:
    """The field's arguments' Python names by GraphQL name when every one is of a scalar type, which Strawberry passes
    to the resolver as graphql-core coerced it (strawberry.types.arguments.convert_argument); else None."""
    names = {}
    for name, argument in field.args.items():
        definition = argument.extensions.get("strawberry-definition")
        argument_type = argument.type.of_type if is_non_null_type(argument.type) else argument.type
        if (
            definition is None
            or definition.is_maybe
            or not isinstance(argument_type, GraphQLScalarType)
            or argument_type.name == "GlobalID"  # Strawberry converts it to a GlobalID object
        ):
            return None
        names[name] = definition.python_name
    return names


_UNANSWERED = object()

# Path(prev, key, typename) without the NamedTuple's Python-level __new__ (344 -> 155 ns): the same tuple, made for
# each row of a page and each object field in it.
_new_path = tuple.__new__

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


class SharedSelections:
    """What executing one operation of a cached document works out from its syntax alone, kept for its next
    executions: graphql-core's sub-selections per (type, field nodes) and this executor's plans per selection.

    Only for an operation without directives in its selections or fragments: @skip and @include make a selection
    depend on the variables. Holds the operation and its fragments, so no id in the keys is reused while it is kept."""

    __slots__ = ("fragments", "operation", "plans", "subfields")

    def __init__(self, operation: OperationDefinitionNode, fragments: dict) -> None:
        self.operation = operation
        self.fragments = fragments
        self.subfields: dict = {}
        self.plans: dict[int, tuple[dict, list]] = {}


# By the operation's id: at most SHARED_OPERATIONS (the parser cache holds 256 documents), emptied when full. None for
# an operation with directives.
SHARED_OPERATIONS = 512
_shared: dict[int, tuple[OperationDefinitionNode, SharedSelections | None]] = {}


def shared_selections(operation: OperationDefinitionNode, fragments: dict) -> SharedSelections | None:
    try:
        kept, shared = _shared[id(operation)]
        if kept is operation:
            return shared
    except KeyError:
        pass
    shared = SharedSelections(operation, fragments) if _without_directives(operation, fragments) else None
    if len(_shared) >= SHARED_OPERATIONS:
        _shared.clear()
    _shared[id(operation)] = (operation, shared)
    return shared


def _without_directives(operation: OperationDefinitionNode, fragments: dict) -> bool:
    pending = [operation.selection_set]
    seen_fragments = set()
    while pending:
        selection_set = pending.pop()
        for selection in selection_set.selections if selection_set else ():
            if selection.directives:
                return False
            if isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in seen_fragments and name in fragments:
                    seen_fragments.add(name)
                    fragment = fragments[name]
                    if fragment.directives:
                        return False
                    pending.append(fragment.selection_set)
            else:
                pending.append(selection.selection_set)
    return True


class PlainFieldExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        manager = self.middleware_manager
        self._shortcut = manager is None or not manager.middlewares
        # Per selection (graphql-core caches each object's sub-selection for the operation, so the items of a list
        # share one): its fields with how to answer each. Each entry keeps its selection alive, so no id is reused.
        # Both caches are the operation's shared ones when its selections do not depend on the variables.
        shared = self._shared = shared_selections(self.operation, self.fragments) if self._shortcut else None
        if shared is not None:
            self._subfields_cache = shared.subfields
            self._plans = shared.plans
        else:
            self._plans: dict[int, tuple[dict, list]] = {}
        # Classes whose instances were found to be plain objects (_plain_object): a page's rows are checked once.
        self._plain_classes: set[type] = set()

    def _plan(self, parent_type: GraphQLObjectType, fields: dict[str, list], key: object = None) -> list:
        """Per field of the selection, flat for the loop of _execute_plan: [response name, field nodes, field, kind,
        read, reads the context, nullable, serialize, object type, the object's sub-plan once planned or the enum's
        answers]."""
        if key is None:
            key = id(fields)
        try:
            return self._plans[key][1]
        except KeyError:
            definitions = parent_type.fields
            plan = []
            for response_name, field_nodes in fields.items():
                name = field_nodes[0].name.value
                field = definitions.get(name)  # None for the introspection fields
                plain = None if field is None else _plain_field(field)
                if plain is not None:
                    entry = [response_name, field_nodes, field, plain.kind, plain.read, plain.with_context]
                    # The last slot: an object's sub-plan once planned, or an enum's answers by value (_enum_answer).
                    entry += [plain.nullable, plain.serialize, plain.object_type, {} if plain.kind is _ENUM else None]
                else:
                    kind = _TYPENAME if name == "__typename" else _CORE
                    entry = [response_name, field_nodes, field, kind, None, False, False, None, None, None]
                plan.append(entry)
            self._plans[key] = (fields, plan)
            return plan

    def execute_fields(
        self, parent_type: GraphQLObjectType, source_value: Any, path: Path | None, fields: dict[str, list]
    ) -> Any:
        if not self._shortcut:
            return super().execute_fields(parent_type, source_value, path, fields)
        if path is None and self._shared is not None:
            # The root selection is collected anew by every execution: its plan is found by its nodes instead.
            key = (id(parent_type), *(id(nodes[0]) for nodes in fields.values()))
            return self._execute_plan(parent_type, self._plan(parent_type, fields, key), source_value, path)
        return self._execute_plan(parent_type, self._plan(parent_type, fields), source_value, path)

    def _execute_plan(self, parent_type: GraphQLObjectType, plan: list, source_value: Any, path: Path | None) -> Any:
        """execute_fields along a plan. This loop runs for every field of every row: the plain cases are answered
        inline. A case it does not answer (a failing read, null for a non-null field, an exception, a value the
        scalar refuses, an awaitable object) falls through to graphql-core's path, which resolves the field again
        and reports it."""
        is_awaitable = self.is_awaitable
        plain_classes = self._plain_classes
        context = self.context_value
        type_name = parent_type.name
        results = {}
        awaitable_fields = []
        for entry in plan:
            response_name, field_nodes, field, kind, read, with_context, nullable, serialize, object_type, _ = entry
            if kind is not _CORE:
                if kind is _TYPENAME:
                    results[response_name] = type_name  # graphql-core's __typename: the parent type's name
                    continue
                try:
                    if with_context is True:
                        value = read(source_value, context)
                    elif with_context:
                        value = self._read_with_arguments(entry, source_value)
                    else:
                        value = read(source_value)
                except Exception:  # noqa: BLE001
                    value = _UNANSWERED
                if value is None:
                    if nullable:
                        results[response_name] = None
                        continue
                elif value is not _UNANSWERED:
                    # The commonest values first, answered exactly as their serialize answers them: a str by String
                    # and ID as itself, a UUID by ID as str() (serialize_id's end for a type outside builtins), an
                    # enum's str by its remembered answer. None of them can be an Exception, which graphql-core's
                    # path reports as the field's error.
                    value_class = value.__class__
                    if kind is _OBJECT:
                        if value_class in plain_classes or self._plain_object(value):
                            field_path = _new_path(Path, (path, response_name, type_name))
                            result = results[response_name] = self._object(entry, value, field_path)
                            if result.__class__ is not dict and is_awaitable(result):
                                awaitable_fields.append(response_name)
                            continue
                    elif value_class is str and (kind is _STRING or kind is _ID):
                        results[response_name] = value
                        continue
                    elif value_class is UUID and kind is _ID:
                        results[response_name] = str(value)
                        continue
                    elif not isinstance(value, Exception):
                        if kind is _ENUM:
                            serialized = self._enum_answer(entry, serialize, value)
                        else:
                            try:  # every scalar of this schema refuses an awaitable
                                serialized = serialize(value)
                            except Exception:  # noqa: BLE001
                                serialized = None
                        if serialized is not None and serialized is not Undefined:
                            results[response_name] = serialized  # never awaitable
                            continue
            result = self.execute_field(parent_type, source_value, field_nodes, Path(path, response_name, type_name))
            if result is not Undefined:
                results[response_name] = result
                if is_awaitable(result):
                    awaitable_fields.append(response_name)
        if not awaitable_fields:
            return results
        return self._gather(results, awaitable_fields)

    def _read_with_arguments(self, entry: list, source_value: Any) -> Any:
        """`read(source, context, **arguments)`, the arguments as graphql-core coerces them for the resolver."""
        field_nodes, field, read, names = entry[1], entry[2], entry[4], entry[5]
        values = get_argument_values(field, field_nodes[0], self.variable_values)
        return read(source_value, self.context_value, **{names[name]: value for name, value in values.items()})

    def _plain_object(self, value: Any) -> bool:
        """Whether an object field's value is neither an Exception nor awaitable; its type is remembered when that
        holds for every instance (is_awaitable asks the type, except for a generator, whose code flags decide)."""
        if isinstance(value, Exception) or self.is_awaitable(value):
            return False
        if type(value) is not GeneratorType:
            self._plain_classes.add(value.__class__)
        return True

    def _enum_answer(self, entry: list, serialize: Callable[[Any], Any], value: Any) -> Any:
        """The enum's serialize(value), remembered in the field's plan entry (by the value for a str, else by its
        class and value: 1 and True are equal keys), or None when it refuses the value."""
        answers = entry[9]
        key = value if value.__class__ is str else (value.__class__, value)
        try:
            return answers[key]
        except KeyError:
            pass
        except TypeError:  # unhashable: never an enum's value, which serialize will say
            key = None
        try:
            serialized = serialize(value)
        except Exception:  # noqa: BLE001
            return None
        if key is not None and serialized is not None and serialized is not Undefined:
            answers[key] = serialized
        return serialized

    def _object(self, entry: list, value: Any, path: Path) -> Any:
        """complete_object_value for an object type without is_type_of, with execute_field's error handling."""
        field_nodes, field, object_type, sub_plan = entry[1], entry[2], entry[8], entry[9]
        try:
            if sub_plan is None:
                sub_plan = entry[9] = self._plan(object_type, self.collect_subfields(object_type, field_nodes))
            result = self._execute_plan(object_type, sub_plan, value, path)
        except Exception as raw_error:  # noqa: BLE001 (a non-null field below failed: graphql-core's handling)
            self._field_error(raw_error, field_nodes, field.type, path)
            return None
        if result.__class__ is dict or not self.is_awaitable(result):
            return result
        return self._awaited(result, field_nodes, field.type, path)

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
            or not self._all_plain_objects(result)
        ):
            return super().complete_list_value(return_type, field_nodes, info, path, result)
        plan = self._plan(object_type, self.collect_subfields(object_type, field_nodes))
        completed = []
        awaitable_indices = []
        for index, item in enumerate(result):
            item_path = _new_path(Path, (path, index, None))
            try:
                value = self._execute_plan(object_type, plan, item, item_path)
            except Exception as raw_error:  # noqa: BLE001 (a non-null field below failed: graphql-core's handling)
                self._field_error(raw_error, field_nodes, item_type, item_path)
                value = None
            if value.__class__ is not dict and self.is_awaitable(value):
                value = self._awaited(value, field_nodes, item_type, item_path)
                awaitable_indices.append(index)
            completed.append(value)
        if not awaitable_indices:
            return completed
        return self._gather_list(completed, awaitable_indices)

    def _all_plain_objects(self, items: list) -> bool:
        plain_classes = self._plain_classes
        for item in items:
            if item is None or (item.__class__ not in plain_classes and not self._plain_object(item)):
                return False
        return True

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
