import re

import strawberry
from django.conf import settings
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext

from schema.analytics import AnalyticsQuery
from schema.data_transfer import DataTransferMutation, DataTransferQuery
from schema.extensions import schema_extensions
from schema.mutations import Mutation
from schema.queries import LedgerQuery
from schema.scalars import SCALAR_MAP

# Merged by inheritance (what strawberry.tools.merge_types does), which also lets the roots carry descriptions.
Query = strawberry.type(
    type("Query", (LedgerQuery, AnalyticsQuery, DataTransferQuery), {}),
    description="Reads. Every field except the schema's own needs `Authorization: Bearer <token>`.",
)
Mutation = strawberry.type(
    type("Mutation", (Mutation, DataTransferMutation), {}),
    description="Writes. Validation problems come back in each payload's `errors`; nothing is written then.",
)


_SUGGESTION = re.compile(r"\s*Did you mean .*$", re.DOTALL)


class FinanceSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Client mistakes are not server errors; unexpected ones are logged once, by schema.errors.should_mask.
        if not settings.GRAPHQL_FIELD_SUGGESTIONS:
            # graphql-core suggests names for unknown fields, arguments, types and enum values; in production
            # they would map the schema for someone who cannot introspect it.
            for error in errors:
                error.message = _SUGGESTION.sub("", error.message)


schema = FinanceSchema(
    query=Query,
    mutation=Mutation,
    extensions=schema_extensions(),
    config=StrawberryConfig(scalar_map=SCALAR_MAP),
)
