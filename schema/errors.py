"""The one error mapper: domain ValidationErrors become payload FieldErrors, auth failures GraphQL errors.

Resolvers do not catch ValidationError themselves: a mutation declared with `mutation(...)` below gets its
payload's `errors` from PayloadErrors, a query field declared with `field(...)` gets a BAD_USER_INPUT-style
GraphQL error from InputErrors. Field names are the domain's (snake_case); the GraphQL spelling is decided here.
"""

import logging
from collections.abc import Callable
from typing import Any

import strawberry
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.utils.str_converters import to_camel_case

from accounts import error_codes as account_codes
from accounts import rate_limits

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
            field=None if field in (None, NON_FIELD_ERRORS) else to_camel_case(field),
            message=_text(item),
            code=_code(item),
        )
        for field, items in error.error_dict.items()
        for item in items
    ]


class PayloadErrors(FieldExtension):
    """A mutation whose service refused the input answers its payload with `errors` (and nothing else set); one
    refused by a rate limit answers a RATE_LIMITED GraphQL error."""

    def apply(self, field: Any) -> None:
        self.payload = field.type  # the payload class: every field but `errors` defaults to null

    def resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        try:
            return next_(source, info, **kwargs)
        except ValidationError as error:
            return self.payload(errors=field_errors(error))
        except rate_limits.RateLimited as limited:
            raise RateLimitedError(limited.retry_after) from None


class InputErrors(FieldExtension):
    """A query field whose selector refused an argument answers a GraphQL error (queries have no payload)."""

    # The resolver's answer is the field's, unchanged: schema.execution's shortcut may call a reads_context field's
    # read without this extension, and hands every exception back to the path that runs it.
    passes_results_through = True

    def resolve(self, next_: Callable[..., Any], source: Any, info: strawberry.Info, **kwargs: Any) -> Any:
        try:
            return next_(source, info, **kwargs)
        except ValidationError as error:
            raise BadInputError(error) from None


# Extension instances are stateless after apply(), and one per field: built at import, never per request.
def mutation(**options: Any) -> Any:
    """strawberry.mutation whose ValidationErrors become the payload's `errors`."""
    return strawberry.mutation(extensions=[PayloadErrors()], **options)


def field(**options: Any) -> Any:
    """strawberry.field whose ValidationErrors become a GraphQL error with the code, field and every message."""
    return strawberry.field(extensions=[InputErrors()], **options)


class UnauthenticatedError(GraphQLError):
    DEFAULT_MESSAGE = "Authentication required: send Authorization: Bearer <token>."

    def __init__(self, message: str = DEFAULT_MESSAGE) -> None:
        super().__init__(message, extensions={"code": account_codes.UNAUTHENTICATED})


class RateLimitedError(GraphQLError):
    def __init__(self, retry_after: int) -> None:
        super().__init__(
            f"Too many attempts: try again in {retry_after} seconds.",
            extensions={"code": account_codes.RATE_LIMITED, "retryAfter": retry_after},
        )


class BadInputError(GraphQLError):
    """A query argument was refused (queries have no payload to carry FieldErrors). The message, code and field are
    the first problem's; `extensions.errors` lists every problem."""

    def __init__(self, error: ValidationError) -> None:
        problems = field_errors(error)
        first = problems[0]
        super().__init__(
            first.message,
            extensions={
                "code": first.code,
                "field": first.field,
                "errors": [{"field": p.field, "message": p.message, "code": p.code} for p in problems],
            },
        )


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
