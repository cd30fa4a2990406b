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
from strawberry_django.optimizer import DjangoOptimizerExtension

from schema.errors import should_mask
from schema.metrics import OperationMetricsExtension
from schema.query_limits import MaxDirectivesRule, MaxFieldSelectionsRule

MAX_QUERY_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


def _production_rules() -> AddValidationRules:
    # Built per execution so GRAPHQL_INTROSPECTION is read at request time; the rule set is part of the
    # validation cache key, so switching it never serves a stale verdict.
    rules = [MaxFieldSelectionsRule, MaxDirectivesRule]
    if not settings.GRAPHQL_INTROSPECTION:
        rules.append(NoSchemaIntrospectionCustomRule)
    return AddValidationRules(rules)


def schema_extensions() -> list:
    """Factories, so each execution gets fresh extension instances. Limits run at validation, before resolvers."""
    return [
        OperationMetricsExtension,
        lambda: ParserCache(maxsize=256),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        _production_rules,
        lambda: ValidationCache(maxsize=256),
        lambda: MaskErrors(should_mask_error=should_mask, error_message="Internal server error."),
        DjangoOptimizerExtension,
    ]
