"""The `changes` subscription (issue 14): a cursor over the caller's change log that replays from `after`, then
follows the log as the process's hub (schema/live_hub.py) wakes it.

Why nothing is lost or repeated: the subscription keeps its own position and only ever reads the log after it, in
pages of at most DEFAULT_CHANGES_PAGE_SIZE (so a subscriber that falls behind holds one page, never a backlog);
wake-ups only say "read again". Its wake-up is registered before the first read and cleared before each read, so a
commit that lands during a read wakes the next one.
"""

import asyncio
from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from django.core.exceptions import ValidationError
from graphql import GraphQLError

from accounts.models import User
from ledger import selectors
from ledger.selectors.changes import encode_change_cursor
from schema import error_codes
from schema.changes import Change
from schema.errors import BadInputError
from schema.live_hub import database_read, live_hub

# A sequence number fits a bigint; longer digit strings are not sequences (INVALID_CURSOR, as any other string).
_MAX_SEQUENCE_DIGITS = 18


@strawberry.type(description="Live updates over websocket (graphql-transport-ws at /graphql/ on the live server).")
class Subscription:
    @strawberry.subscription(
        description="The caller's changes, oldest first, each exactly once: first those after `after` (replayed from "
        "the log), then each one as it commits. Without `after`: from the caller's latest change on (live only). "
        "To lose nothing across a reconnect, pass the `sequence` of the last change received (or a cursor). Errors as "
        "for the `changes` query (CURSOR_EXPIRED, INVALID_CURSOR). Over websocket only (graphql-transport-ws, the "
        "token in connection_init's payload as `Authorization: Bearer <token>`); the socket closes with 4403 when the "
        "token expires or is revoked."
    )
    async def changes(
        self,
        info: strawberry.Info,
        after: Annotated[
            str | None,
            strawberry.argument(
                description="Where to resume: a change's `sequence`, or a cursor from `changes` or `changeCursor`."
            ),
        ] = None,
    ) -> AsyncGenerator[Change, None]:
        context = info.context
        live = getattr(context, "live", None)
        if live is None:
            raise GraphQLError(
                "Subscriptions are served over websocket (graphql-transport-ws), not HTTP.",
                extensions={"code": error_codes.BAD_REQUEST},
            )
        user = context.principal().user
        with live.wakeups() as wakeup:
            if after is None:
                position = await _read(selectors.change_cursor, user=user)
            elif after.isdigit() and len(after) <= _MAX_SEQUENCE_DIGITS:
                position = encode_change_cursor(int(after))
            else:
                position = after
            while True:
                wakeup.clear()
                page = await _page(user, position, live_hub().wake_count(user.pk))
                context.fresh_read()
                for change in page.changes:
                    if live.closed:
                        break
                    yield Change.of(change)
                if live.closed:
                    await asyncio.Event().wait()  # the socket is closing: send nothing more, wait to be cancelled
                position = page.cursor
                if not page.has_more:
                    await wakeup.wait()


# Reads in flight, by (user, position, wake count): the subscriptions of one user woken by one commit read the same
# page once. A read is shared only with subscriptions whose last wake-up it started after (same wake count), so none
# takes a page read before the commit that woke it.
_reads_in_flight: dict[tuple[object, str, int], asyncio.Future] = {}


async def _page(user: User, position: str, wakes: int) -> selectors.ChangePage:
    key = (user.pk, position, wakes)
    read = _reads_in_flight.get(key)
    if read is None:
        read = asyncio.ensure_future(_read(selectors.change_page, user=user, after=position, first=None))
        _reads_in_flight[key] = read
        read.add_done_callback(lambda _: _reads_in_flight.pop(key, None))
    try:
        # Shielded: a subscriber that goes away must not cancel the read the others wait for.
        return await asyncio.shield(read)
    except ValidationError as error:
        raise BadInputError(error) from None


async def _read(selector: object, **arguments: object) -> object:
    return await database_read(selector, **arguments)
