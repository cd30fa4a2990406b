"""Redis as the domain apps use it: one key namespace, one list of what an outage raises, and the commands a write
sends once it commits."""

import logging
import os
import threading
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django_redis import get_redis_connection
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError, ResponseError

logger = logging.getLogger(__name__)

# What a Redis outage raises through django-redis; callers fail open (rate limits) or fall back to the database
# (balances) on any of them.
REDIS_OUTAGE_ERRORS = (RedisError, ConnectionInterrupted, OSError)


def cache_key(*parts: object) -> str:
    """`<KEY_PREFIX>:part:part...`: every key of this app lives under the configured prefix."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return ":".join((prefix, *(str(part) for part in parts)))


@dataclass(frozen=True)
class RedisCommand:
    """A command a write sends once it commits, and the warning its logger gives (with the error) when Redis is
    unreachable: these commands fail open (the data they concern stays correct without them)."""

    args: tuple[str, ...]
    logger: logging.Logger
    when_unreachable: str


def send_after_commit(*commands: RedisCommand) -> None:
    """Send `commands` to Redis once the current transaction commits (at once outside one); nothing when it rolls back.

    One packet for all the commands a transaction sends, its replies not awaited (_UnawaitedReplies): they go as one
    pipeline (no MULTI: each stands alone), and commands queued later in the same atomic block, at the same savepoint
    level, join the batch still waiting (ledger writes: the superseded figures' DEL at the version bump, the PUBLISH at
    the change row). Outside an atomic block there is nothing to wait for: pass together what goes together.
    """
    hooks = connection.run_on_commit
    if connection.in_atomic_block and hooks:
        # Django keeps (savepoint ids, hook, robust) per hook and drops those of a rolled-back savepoint. A batch
        # registered last, under the same savepoints, is dropped or run exactly when a new hook would be.
        savepoints, hook, _robust = hooks[-1]
        if isinstance(hook, _AfterCommitBatch) and savepoints == set(connection.savepoint_ids):
            hook.commands.extend(commands)
            return
    transaction.on_commit(_AfterCommitBatch(list(commands)))


@dataclass
class _AfterCommitBatch:
    commands: list[RedisCommand]

    def __call__(self) -> None:
        try:
            _unawaited.send([command.args for command in self.commands])
        except REDIS_OUTAGE_ERRORS as error:
            for command in self.commands:
                command.logger.warning("%s: %s", command.when_unreachable, error)


class _UnawaitedReplies(threading.local):
    """A connection per thread for the commands writes send after their commit, whose replies are read at the thread's
    next send instead of awaited: a write's answer does not wait a Redis round trip (a third of a create's time
    in-process on a 2-core machine, where waking the Redis process takes as long as its work). The commands fail open
    anyway, so nothing waits for their outcome; a reply that turns out to be an error is logged when it is read.

    The connection is made like the client's own (its pool's class and settings), and anew in a forked child or when
    the configured client changes."""

    connection = None
    pool = None
    pid = 0
    pending = 0  # replies sent for and not read yet

    def send(self, commands: list[tuple[str, ...]]) -> None:
        pool = get_redis_connection("default").connection_pool
        if self.pool is not pool or self.pid != os.getpid():
            self._close()
            self.connection = pool.connection_class(**pool.connection_kwargs)
            self.pool, self.pid = pool, os.getpid()
        connection = self.connection
        try:
            self._read_replies(wait=self.pending >= MAX_UNREAD_REPLIES)
            connection.send_packed_command(connection.pack_commands(commands), check_health=False)
        except REDIS_OUTAGE_ERRORS:
            self._close()
            raise
        self.pending += len(commands)

    def _read_replies(self, *, wait: bool) -> None:
        """The replies that have arrived (all of them when `wait`), each error among them logged."""
        connection = self.connection
        while self.pending and (wait or connection.can_read(0)):
            self.pending -= 1
            try:
                connection.read_response()
            except ResponseError as error:
                logger.warning("a command sent after a commit failed: %s", error)

    def _close(self) -> None:
        if self.connection is not None:
            self.connection.disconnect()
        self.connection, self.pool, self.pending = None, None, 0


# Past this many unread replies a send first reads them all, so they never pile up in the socket's buffers.
MAX_UNREAD_REPLIES = 1_000
_unawaited = _UnawaitedReplies()
