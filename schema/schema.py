import re
from typing import Any

import strawberry
from django.conf import settings
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import DEFAULT_ALLOWED_OPERATION_TYPES
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from schema.account_mutations import AccountMutation
from schema.analytics import AnalyticsQuery
from schema.budgets import BudgetMutation, BudgetQuery
from schema.changes import ChangeQuery
from schema.data_transfer import DataTransferMutation, DataTransferQuery
from schema.error_codes import (
    BAD_USER_INPUT,
    GRAPHQL_PARSE_FAILED,
    GRAPHQL_VALIDATION_FAILED,
    QUERY_TOO_COMPLEX,
)
from schema.execution import PlainFieldExecutionContext
from schema.extensions import run_operation_sync, schema_extensions
from schema.mutations import Mutation
from schema.queries import LedgerQuery
from schema.recurring import RecurringMutation, RecurringQuery
from schema.scalars import SCALAR_MAP
from schema.subscriptions import Subscription
from schema.webhooks import WebhookMutation, WebhookQuery

# Merged by inheritance (what strawberry.tools.merge_types does), which also lets the roots carry descriptions.
Query = strawberry.type(
    type(
        "Query",
        (LedgerQuery, AnalyticsQuery, DataTransferQuery, BudgetQuery, RecurringQuery, ChangeQuery, WebhookQuery),
        {},
    ),
    description="Reads. Every field except the schema's own needs `Authorization: Bearer <token>`.",
)
Mutation = strawberry.type(
    type(
        "Mutation",
        (Mutation, AccountMutation, DataTransferMutation, BudgetMutation, RecurringMutation, WebhookMutation),
        {},
    ),
    description="Writes. Validation problems come back in each payload's `errors`; nothing is written then.",
)


_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)
# graphql-core's variable coercion errors: "Variable '$input' got invalid value {'amount': ...} at 'input.type';
# <reason>". The value is echoed as a Python repr; clients get the variable, the path and the reason instead.
_INVALID_VARIABLE = re.compile(
    r"Variable '\$(?P<name>[^']+)' got invalid value .*?(?: at '(?P<path>[^']*)')?; (?P<reason>[^;]*)", re.DOTALL
)
_VARIABLE_PROBLEM = re.compile(r"Variable '\$[^']+' (got invalid value|of required type|of non-null type)")
# Strawberry's own limits (depth, aliases, tokens) and graphql-core's introspection depth carry no code.
_OVER_A_LIMIT = re.compile(
    r"(.* exceeds maximum operation depth|\d+ aliases found|.*contains more than \d+ tokens"
    r"|Maximum introspection depth)"
)

_NOT_OVER_HTTP = frozenset((OperationType.SUBSCRIPTION,))


class FinanceSchema(strawberry.Schema):
    def execute_sync(  # noqa: PLR0917 (Strawberry's signature)
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any = None,
        root_value: Any = None,
        operation_name: str | None = None,
        allowed_operation_types: Any = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        # Subscriptions run on the live server's websocket (config/asgi.py). Over HTTP, refused before execution: the
        # view answers 400 BAD_REQUEST "subscriptions are not allowed when using POST" (the generator would be a 500).
        allowed = (allowed_operation_types or DEFAULT_ALLOWED_OPERATION_TYPES) - _NOT_OVER_HTTP
        return run_operation_sync(
            self, query, variable_values, context_value, root_value, operation_name, allowed, operation_extensions
        )

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Client mistakes are not server errors; unexpected ones are logged once, by schema.errors.should_mask.
        for error in errors:
            if not settings.GRAPHQL_FIELD_SUGGESTIONS:
                # graphql-core suggests names for unknown fields, arguments, types and enum values; in production
                # they would map the schema for someone who cannot introspect it.
                error.message = _SUGGESTION.sub("", error.message)
            planned = error.original_error is None or isinstance(error.original_error, GraphQLError)
            if planned and "code" not in (error.extensions or {}):
                _classify(error)


def _classify(error: GraphQLError) -> None:
    """The codes the GraphQL ecosystem uses for documents a client got wrong: a syntax error, a document the schema
    refuses (unknown field or argument, a literal of the wrong type), and variables that do not fit their types."""
    if _OVER_A_LIMIT.match(error.message):
        code = QUERY_TOO_COMPLEX
    elif error.message.startswith("Syntax Error"):
        code = GRAPHQL_PARSE_FAILED
    elif _VARIABLE_PROBLEM.match(error.message):
        code = BAD_USER_INPUT
        invalid = _INVALID_VARIABLE.fullmatch(error.message)
        if invalid:
            where = f" at '{invalid['path']}'" if invalid["path"] else ""
            error.message = f"Variable '${invalid['name']}' is invalid{where}: {invalid['reason']}"
    else:
        code = GRAPHQL_VALIDATION_FAILED
    error.extensions = {**(error.extensions or {}), "code": code}


schema = FinanceSchema(
    query=Query,
    mutation=Mutation,
    subscription=Subscription,  # served by the live server (schema/live_schema.py); in this SDL for clients
    extensions=schema_extensions(),
    config=StrawberryConfig(scalar_map=SCALAR_MAP),
    execution_context_class=PlainFieldExecutionContext,
)
