"""The one schema extension: caches for parsing/validation, query-abuse limits, production switches, error masking
and operation metrics.

One extension with three hooks instead of six stock ones (ParserCache, MaxTokensLimiter, AddValidationRules,
ValidationCache, MaskErrors, metrics): Strawberry builds every extension per request and enters each hook as a
generator context manager, and for a cached balance that bookkeeping was a measurable share of the request
(bench/README.md, "GraphQL per-operation overhead").
"""

import time
from collections.abc import Iterator
from functools import lru_cache

from django.conf import settings
from graphql import GraphQLError, parse
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension

from schema.errors import should_mask
from schema.metrics import record_operation
from schema.query_limits import MaxDirectivesRule, MaxFieldSelectionsRule

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
    validation, unexpected errors masked (schema.errors.should_mask), and the operation's metrics."""

    def on_operation(self) -> Iterator[None]:
        started = time.perf_counter()
        context = self.execution_context
        context.parse_options["max_tokens"] = MAX_TOKENS
        context.validation_rules += _LIMIT_RULES if settings.GRAPHQL_INTROSPECTION else _WITHOUT_INTROSPECTION
        yield
        # Strawberry's MaskErrors does this behind an isinstance() check against a runtime Protocol, which alone
        # cost 15 us per operation; this schema has no streamed results, so every result is a plain one.
        result = context.result
        if result is not None and result.errors:
            result.errors = [masked(error) if should_mask(error) else error for error in result.errors]
        record_operation(context, time.perf_counter() - started)

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = _parse_cached(context.query, **context.parse_options)
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = _validate_cached()(
            context.schema._schema, context.graphql_document, context.validation_rules
        )
        yield


def masked(error: GraphQLError) -> GraphQLError:
    return GraphQLError(
        "Internal server error.", nodes=error.nodes, source=error.source, positions=error.positions, path=error.path
    )


def schema_extensions() -> list:
    """Factories, so each execution gets its own instance. Limits run at validation, before resolvers.

    No DjangoOptimizerExtension: every query is built by a selector (no relations to prefetch), and its per-field
    resolve hook cost about a tenth of a 50-row page (bench/http/profile.py)."""
    return [OperationPipeline]
