"""What the subscription servers' poll reads (issue 14): per user, where their change log is and whether their
tokens still hold, for all of a process's connected users in one query."""

import uuid
from typing import NamedTuple

from accounts.models import User


class LiveState(NamedTuple):
    change_sequence: int  # the user's latest change; 0 before their first
    token_version: object
    is_active: bool


def live_states(user_ids: list[uuid.UUID]) -> dict[uuid.UUID, LiveState]:
    """The state of each of `user_ids` that still exists (a deleted user is missing): one query (the user joined to
    their version row)."""
    rows = User.objects.filter(pk__in=user_ids).values_list(
        "pk", "balance_version__change_sequence", "token_version", "is_active"
    )
    return {pk: LiveState(sequence or 0, version, active) for pk, sequence, version, active in rows}
