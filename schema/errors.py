"""The one error mapper: domain ValidationErrors become payload FieldErrors, auth failures GraphQL errors."""

import logging

import strawberry
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from graphql import GraphQLError

from accounts import error_codes as account_codes

logger = logging.getLogger("schema")


@strawberry.type(description="Why an input was refused.")
class FieldError:
    field: str | None = strawberry.field(
        description="The input field at fault (camelCase), or null for the whole input."
    )
    message: str = strawberry.field(description="A sentence for people.")
    code: str = strawberry.field(description="A stable code for programs, e.g. INVALID_AMOUNT.")


def field_errors(error: ValidationError) -> list[FieldError]:
    """Flatten a ValidationError({field: [...]}) into FieldErrors, keeping every message and its code."""
    if not hasattr(error, "error_dict"):
        return [FieldError(field=None, message=_text(item), code=_code(item)) for item in error.error_list]
    return [
        FieldError(
            field=None if field in (None, NON_FIELD_ERRORS) else field,
            message=_text(item),
            code=_code(item),
        )
        for field, items in error.error_dict.items()
        for item in items
    ]


class UnauthenticatedError(GraphQLError):
    def __init__(self, message: str = "Authentication required: send Authorization: Bearer <token>.") -> None:
        super().__init__(message, extensions={"code": account_codes.UNAUTHENTICATED})


class RateLimitedError(GraphQLError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many attempts: try again in {retry_after} seconds.",
            extensions={"code": account_codes.RATE_LIMITED, "retryAfter": retry_after},
        )


class BadInputError(GraphQLError):
    """A query argument was refused (queries have no payload to carry FieldErrors)."""

    def __init__(self, error: ValidationError) -> None:
        first = field_errors(error)[0]
        super().__init__(first.message, extensions={"code": first.code, "field": first.field})


def should_mask(error: GraphQLError) -> bool:
    """Mask anything that escaped a resolver unplanned; keep our GraphQL errors and validation errors."""
    original = error.original_error
    if original is None or isinstance(original, GraphQLError):
        return False
    logger.error("unexpected error in %s", error.path, exc_info=original)
    return True


def _text(error: ValidationError) -> str:
    # Interpolate only when there are params: messages may quote client input, which can contain "%".
    return str(error.message % error.params) if error.params else str(error.message)


def _code(error: ValidationError) -> str:
    return error.code or "INVALID"
