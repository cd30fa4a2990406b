"""The websocket side's schema (issue 14): the same Query and Subscription types as the HTTP schema, with every sync
resolver (the ORM, Redis) made awaitable, so that it runs off the ASGI server's event loop.

How: after the schema is built, each graphql-core field of this instance whose Strawberry resolver is sync code gets
its `resolve` wrapped in asgiref's sync_to_async (thread_sensitive: Django's one thread for sync code, so the ORM and
its connection behave as in a sync request). Plain attribute fields and async resolvers (the subscription itself)
stay as they are. A schema extension's `resolve` hook would do the same per call, but graphql-core 3.2 (pinned)
does not run hooks for a subscription's events, and the HTTP schema (gunicorn, sync) must not pay for one: each
Strawberry Schema builds its own graphql-core types, so wrapping this instance's fields leaves the HTTP schema's
untouched. Mutations stay on HTTP: their rate limits and idempotency read the HTTP request.
"""

from collections.abc import Callable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from graphql import GraphQLObjectType
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema_converter import GraphQLCoreConverter

from schema.errors import should_mask
from schema.extensions import OperationPipeline, masked
from schema.scalars import SCALAR_MAP
from schema.schema import FinanceSchema, Query
from schema.subscriptions import Subscription


class LiveOperationPipeline(OperationPipeline):
    """OperationPipeline (limits, cached validation, masking, metrics) plus masking of each streamed result: a
    subscription's events are results of their own, which on_operation (run once around the whole stream) never
    sees. Only streaming transports call this hook, so it stays off the HTTP schema."""

    def on_stream_result(self, result: Any) -> Iterator[None]:
        if result.errors:
            result.errors = [masked(error) if should_mask(error) else error for error in result.errors]
        yield


def _off_the_event_loop(resolve: Callable[..., Any]) -> Callable[..., Any]:
    run_in_thread = sync_to_async(resolve, thread_sensitive=True)

    def resolve_in_thread(root: Any, info: Any, **arguments: Any) -> Any:
        return run_in_thread(root, info, **arguments)

    return resolve_in_thread


def _run_sync_resolvers_in_threads(schema: FinanceSchema) -> None:
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType) or graphql_type.name.startswith("__"):
            continue
        for field in graphql_type.fields.values():
            definition = field.extensions.get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if definition is not None and definition.base_resolver is not None and not definition.is_async:
                field.resolve = _off_the_event_loop(field.resolve)


live_schema = FinanceSchema(
    query=Query,
    subscription=Subscription,
    extensions=[LiveOperationPipeline],
    config=StrawberryConfig(scalar_map=SCALAR_MAP),
)
_run_sync_resolvers_in_threads(live_schema)
