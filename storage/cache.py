"""Redis as the domain apps use it: one key namespace, one list of what an outage raises, and the commands a write
sends once it commits."""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django_redis import get_redis_connection
from django_redis.exceptions import ConnectionInterrupted
from redis.exceptions import RedisError

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

    One round trip for all the commands a transaction sends: they go as one pipeline (no MULTI: each stands alone),
    and commands queued later in the same atomic block, at the same savepoint level, join the batch still waiting
    (ledger writes: the superseded figures' DEL at the version bump, the PUBLISH at the change row). Outside an atomic
    block there is nothing to wait for: pass together what goes together.
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
            client = get_redis_connection("default")
            if len(self.commands) == 1:
                client.execute_command(*self.commands[0].args)
                return
            pipeline = client.pipeline(transaction=False)
            for command in self.commands:
                pipeline.execute_command(*command.args)
            pipeline.execute()
        except REDIS_OUTAGE_ERRORS as error:
            for command in self.commands:
                command.logger.warning("%s: %s", command.when_unreachable, error)
