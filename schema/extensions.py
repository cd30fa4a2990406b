"""Schema extensions: caches for parsing/validation, query-abuse limits, production switches, error masking."""

from django.conf import settings
from graphql.validation import NoSchemaIntrospectionCustomRule
from strawberry.extensions import (
    AddValidationRules,
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)

from schema.errors import should_mask
from schema.metrics import OperationMetricsExtension
from schema.query_limits import MaxDirectivesRule, MaxFieldSelectionsRule

MAX_QUERY_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000
# Characters in one GraphQL document (the `query` text, not its variables): ten times GraphiQL's introspection
# query, the largest real document this API receives. Bounds parsing cost and the bytes the caches below hold
# (256 documents each).
MAX_DOCUMENT_LENGTH = 16_384


# Built once: QueryDepthLimiter and MaxAliasesLimiter make a new rule class per instance, and the rule classes are
# part of ValidationCache's key, so per-request instances would make every request miss the cache.
_LIMIT_RULES = (
    *QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH).validation_rules,
    *MaxAliasesLimiter(max_alias_count=MAX_ALIASES).validation_rules,
    MaxFieldSelectionsRule,
    MaxDirectivesRule,
)


def _validation_rules() -> AddValidationRules:
    # GRAPHQL_INTROSPECTION is read per execution; the rule set is part of the cache key, so switching it never
    # serves a stale verdict.
    if settings.GRAPHQL_INTROSPECTION:
        return AddValidationRules(list(_LIMIT_RULES))
    return AddValidationRules([*_LIMIT_RULES, NoSchemaIntrospectionCustomRule])


def schema_extensions() -> list:
    """Factories, so each execution gets fresh extension instances. Limits run at validation, before resolvers."""
    return [
        OperationMetricsExtension,
        lambda: ParserCache(maxsize=256),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        _validation_rules,
        lambda: ValidationCache(maxsize=256),
        lambda: MaskErrors(should_mask_error=should_mask, error_message="Internal server error."),
        # No DjangoOptimizerExtension: every query is built by a selector (no relations to prefetch), and its
        # per-field resolve hook cost about a tenth of a 50-row page (bench/http/profile.py).
    ]
