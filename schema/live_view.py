"""The websocket endpoint (issue 14): graphql-transport-ws at /graphql/ on the live server (config/asgi.py), the
caller authenticated from connection_init's payload. A missing or refused token closes the socket with 4403
Forbidden; while connected, the token's expiry or revocation closes it with 4403 too (schema/live_hub.py)."""

import logging
from datetime import timedelta

from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types.unset import UNSET, UnsetType

from accounts.tokens import AuthenticationFailed
from schema.live_context import LiveContext
from schema.live_schema import live_schema

logger = logging.getLogger("schema.live")

# Per connection: enough for an app's few live views, bounded so one socket cannot hold unbounded readers.
MAX_SUBSCRIPTIONS_PER_CONNECTION = 10
_CONTEXT = "finance.live_context"


class LiveGraphQL(GraphQL):
    def __init__(self) -> None:
        super().__init__(
            live_schema,
            graphql_ide=None,
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=10),
            max_subscriptions_per_connection=MAX_SUBSCRIPTIONS_PER_CONNECTION,
        )

    async def __call__(self, scope: dict, receive: object, send: object) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            context = scope.get(_CONTEXT)
            if context is not None:
                await context.disconnect()

    async def get_context(self, request: WebSocket, response: WebSocket) -> LiveContext:
        context = LiveContext(request=None, response=None, websocket=response)
        request.scope[_CONTEXT] = context
        return context

    async def on_ws_connect(self, context: LiveContext) -> UnsetType:
        try:
            await context.connect()
        except AuthenticationFailed:
            raise ConnectionRejectionError from None
        return UNSET
