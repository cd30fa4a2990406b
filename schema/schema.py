import strawberry
from graphql import GraphQLError
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext

from schema.analytics import AnalyticsQuery
from schema.extensions import schema_extensions
from schema.mutations import Mutation
from schema.queries import LedgerQuery
from schema.scalars import SCALAR_MAP

Query = merge_types("Query", (LedgerQuery, AnalyticsQuery))


class FinanceSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Client mistakes are not server errors; unexpected ones are logged once, by schema.errors.should_mask.
        return None


schema = FinanceSchema(
    query=Query,
    mutation=Mutation,
    extensions=schema_extensions(),
    config=StrawberryConfig(scalar_map=SCALAR_MAP),
)
