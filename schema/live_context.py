"""A websocket connection's context (issue 14): what RequestContext gives resolvers (the principal, the ledger
accounts, the figures), with the caller authenticated once, from the connection_init payload, instead of per HTTP
request. One per connection, so it lives as long as the socket: the caches that could go stale are dropped before
each read (`fresh_read`)."""

from dataclasses import dataclass, field

from starlette.websockets import WebSocket

from accounts.tokens import AuthenticationFailed, authorization_claims
from schema.context import RequestContext, principal_of
from schema.live_hub import LiveConnection, database_read, live_hub

# The close code graphql-transport-ws gives "Forbidden": the client must not reconnect with the same token.
FORBIDDEN = 4403


@dataclass
class LiveContext(RequestContext):
    websocket: WebSocket | None = None
    connection_params: dict | None = None  # the connection_init payload (set by Strawberry)
    live: LiveConnection | None = field(default=None, init=False)

    async def connect(self) -> None:
        """Authenticate from the payload's `Authorization: Bearer <token>` (or `authorization`) and join the process's
        hub; AuthenticationFailed for a missing, malformed, expired or revoked token."""
        params = self.connection_params or {}
        header = params.get("Authorization", params.get("authorization"))
        claims = authorization_claims(header)
        if claims is None:
            raise AuthenticationFailed("No Authorization in the connection_init payload.")
        # balance_version stays None: the figures read the version themselves, as it is at each read.
        self._principal = await database_read(principal_of, claims)
        self.live = LiveConnection(
            user_id=self._principal.user.pk,
            token_version=claims.token_version,
            expires_at=claims.expires_at,
            close=self._close,
        )
        await live_hub().add(self.live)
        self.live.schedule_expiry()

    async def disconnect(self) -> None:
        if self.live is not None:
            await live_hub().remove(self.live)

    def fresh_read(self) -> None:
        """Forget the per-read caches (the caller's ledger accounts with their currencies' digits, the figures) before
        reading new changes: an account renamed, or emptied and given another currency, since the last read is shown
        as it is now."""
        self._accounts = None
        self._digits.clear()
        self._figures.clear()

    async def _close(self, reason: str) -> None:
        if self.websocket is not None:
            await self.websocket.close(code=FORBIDDEN, reason=reason)
