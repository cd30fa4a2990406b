"""Schema extensions: caches for parsing/validation, query-abuse limits and error masking."""

from strawberry.extensions import (
    MaskErrors,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry_django.optimizer import DjangoOptimizerExtension

from schema.errors import should_mask

MAX_QUERY_DEPTH = 10
MAX_ALIASES = 15
MAX_TOKENS = 2000


def schema_extensions() -> list:
    """Factories, so each execution gets fresh extension instances."""
    return [
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
        lambda: QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH),
        lambda: MaxAliasesLimiter(max_alias_count=MAX_ALIASES),
        lambda: MaxTokensLimiter(max_token_count=MAX_TOKENS),
        lambda: MaskErrors(should_mask_error=should_mask, error_message="Internal server error."),
        DjangoOptimizerExtension,
    ]
