"""The one schema extension: caches for parsing/validation, query-abuse limits, production switches, error masking
and operation metrics.

One extension with three hooks instead of six stock ones (ParserCache, MaxTokensLimiter, AddValidationRules,
ValidationCache, MaskErrors, metrics): Strawberry builds every extension per request and enters each hook as a
generator context manager, and for a cached balance that bookkeeping was a measurable share of the request
(bench/README.md, "GraphQL per-operation overhead").
"""

import time
from asyncio import ensure_future
from collections.abc import Iterable, Iterator
from functools import lru_cache
from inspect import isawaitable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from graphql import GraphQLError, execute, parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.exceptions import MissingQueryError
from strawberry.execution import optimized_is_awaitable
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from schema.errors import should_mask
from schema.metrics import record_operation
from schema.query_limits import MaxDirectivesRule, MaxFieldSelectionsRule

if TYPE_CHECKING:
    from strawberry import Schema

MAX_QUERY_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
# Characters in one GraphQL document (the `query` text, not its variables): ten times GraphiQL's introspection
# query, the largest real document this API receives. Bounds parsing cost and the bytes the caches below hold
# (CACHED_DOCUMENTS documents each).
MAX_DOCUMENT_LENGTH = 16_384
CACHED_DOCUMENTS = 256


# Built once: QueryDepthLimiter and MaxAliasesLimiter make a new rule class per instance, and the rules are part of
# the validation cache's key, so per-request rules would make every request miss the cache.
_LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    MaxFieldSelectionsRule,
    MaxDirectivesRule,
)
_WITHOUT_INTROSPECTION = (*_LIMIT_RULES, NoSchemaIntrospectionCustomRule)

_parse_cached = lru_cache(maxsize=CACHED_DOCUMENTS)(parse)


@lru_cache(maxsize=1)
def _validate_cached() -> object:
    # Imported late: strawberry.schema.schema imports the extensions machinery this module is part of.
    from strawberry.schema.schema import validate_document  # noqa: PLC0415

    return lru_cache(maxsize=CACHED_DOCUMENTS)(validate_document)


class OperationPipeline(SchemaExtension):
    """Per operation: the token limit and validation rules (GRAPHQL_INTROSPECTION read per execution; the rule set is
    part of the validation cache's key, so switching it never serves a stale verdict), the cached parse and
    validation, unexpected errors masked (schema.errors.should_mask), and the operation's metrics.

    The live server's schema runs it as an extension; the HTTP schema runs the same steps without Strawberry's
    extension machinery (run_operation_sync, below)."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        begin_operation(self.execution_context)
        yield
        end_operation(self.execution_context, started)

    def on_parse(self) -> Iterator[None]:
        parse_document(self.execution_context)
        yield

    def on_validate(self) -> Iterator[None]:
        validate_operation(self.execution_context)
        yield


def begin_operation(context: ExecutionContext) -> None:
    context.parse_options["max_tokens"] = MAX_TOKENS
    context.validation_rules += _LIMIT_RULES if settings.GRAPHQL_INTROSPECTION else _WITHOUT_INTROSPECTION


def parse_document(context: ExecutionContext) -> None:
    context.graphql_document = _parse_cached(context.query, **context.parse_options)


def validate_operation(context: ExecutionContext) -> None:
    context.pre_execution_errors = _validate_cached()(
        context.schema._schema, context.graphql_document, context.validation_rules
    )


def end_operation(context: ExecutionContext, started: float) -> None:
    # Strawberry's MaskErrors does this behind an isinstance() check against a runtime Protocol, which alone cost
    # 15 us per operation; this schema has no streamed results, so every result is a plain one.
    result = context.result
    if result is not None and result.errors:
        result.errors = [masked(error) if should_mask(error) else error for error in result.errors]
    record_operation(context, time.perf_counter() - started)


def run_operation_sync(
    schema: "Schema",
    query: str | None,
    variable_values: dict[str, Any] | None,
    context_value: object,
    root_value: object,
    operation_name: str | None,
    allowed_operation_types: Iterable[OperationType],
    operation_extensions: dict[str, Any] | None,
) -> ExecutionResult:
    """Strawberry's Schema.execute_sync with OperationPipeline as its one extension, step for step (the same errors
    raised and returned, process_errors at the same points), without the extension machinery: Strawberry builds the
    extension and a runner per operation and enters each hook as a generator context manager, and for a cached
    `{ __typename }` that was 75 of its 100 us (bench/README.md, issue 15). tests/schema/test_operation_runner.py
    holds it to Strawberry's own path."""
    started = time.perf_counter()
    context = ExecutionContext(
        query=query,
        schema=schema,
        allowed_operations=allowed_operation_types,
        context=context_value,
        root_value=root_value,
        variables=variable_values,
        provided_operation_name=operation_name,
        operation_extensions=operation_extensions,
    )
    begin_operation(context)
    try:
        context.result = _execute(schema, context)
    except (MissingQueryError, CannotGetOperationTypeError, InvalidOperationTypeError):
        raise  # the view answers 400; Strawberry records nothing for these either
    except Exception as error:  # noqa: BLE001 (Strawberry's own catch-all: an error result, not a 500)
        graphql_error = error if isinstance(error, GraphQLError) else GraphQLError(str(error), original_error=error)
        context.result = _refused(schema, context, [graphql_error])
    end_operation(context, started)
    result = context.result
    return ExecutionResult(data=result.data, errors=result.errors, extensions={})


def _execute(schema: "Schema", context: ExecutionContext) -> object:
    if not context.query:
        raise MissingQueryError
    try:
        parse_document(context)
    except GraphQLError as error:
        return _refused(schema, context, [error])
    try:
        operation_type = context.operation_type
    except RuntimeError as error:
        raise CannotGetOperationTypeError(context.operation_name) from error
    if operation_type not in context.allowed_operations:
        raise InvalidOperationTypeError(operation_type)
    validate_operation(context)
    if context.pre_execution_errors:
        return _refused(schema, context, context.pre_execution_errors)
    result = execute(
        schema._schema,
        context.graphql_document,
        root_value=context.root_value,
        variable_values=context.variables,
        operation_name=context.operation_name,
        context_value=context.context,
        is_awaitable=optimized_is_awaitable,
        execution_context_class=schema.execution_context_class,
    )
    if isawaitable(result):
        ensure_future(result).cancel()
        raise RuntimeError("GraphQL execution failed to complete synchronously.")
    if result.errors:
        context.pre_execution_errors = result.errors
        schema._process_errors(result.errors, context)
    return result


def _refused(schema: "Schema", context: ExecutionContext, errors: list[GraphQLError]) -> ExecutionResult:
    """A result without data, as Strawberry answers an operation that could not run: the errors recorded on the
    context and processed (schema.process_errors) first."""
    context.pre_execution_errors = errors
    schema._process_errors(errors, context)
    return ExecutionResult(data=None, errors=errors, extensions={})


def masked(error: GraphQLError) -> GraphQLError:
    return GraphQLError(
        "Internal server error.", nodes=error.nodes, source=error.source, positions=error.positions, path=error.path
    )


def schema_extensions() -> list:
    """Factories, so each execution gets its own instance. Limits run at validation, before resolvers.

    No DjangoOptimizerExtension: every query is built by a selector (no relations to prefetch), and its per-field
    resolve hook cost about a tenth of a 50-row page (bench/http/profile.py)."""
    return [OperationPipeline]
