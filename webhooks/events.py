"""Webhook event names: `<entity>.<operation>` in lower case, one per (entity type, operation) of the change log
(ledger.models.EntityType x ChangeOperation). The Go delivery worker derives the same name from a change row's
entity_type and operation; the names are part of the public API, so never rename one."""

from ledger.models import ChangeOperation, EntityType


def event_name(entity_type: str, operation: str) -> str:
    """The event of a change row: ("RECURRING_RULE", "UPDATED") -> "recurring_rule.updated"."""
    return f"{entity_type.lower()}.{operation.lower()}"


# The canonical order: by entity type, then created, updated, deleted (the order of the enums).
ALL_EVENTS: tuple[str, ...] = tuple(
    event_name(entity_type, operation) for entity_type in EntityType.values for operation in ChangeOperation.values
)
