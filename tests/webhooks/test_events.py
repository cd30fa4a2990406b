"""Webhook event names: one per entity type and operation of the change log, as the Go worker spells them."""

from webhooks.events import ALL_EVENTS, event_name


def test_the_fifteen_events_in_canonical_order() -> None:
    assert ALL_EVENTS == (
        "transaction.created",
        "transaction.updated",
        "transaction.deleted",
        "transfer.created",
        "transfer.updated",
        "transfer.deleted",
        "account.created",
        "account.updated",
        "account.deleted",
        "budget.created",
        "budget.updated",
        "budget.deleted",
        "recurring_rule.created",
        "recurring_rule.updated",
        "recurring_rule.deleted",
    )


def test_a_change_rows_event() -> None:
    assert event_name("RECURRING_RULE", "UPDATED") == "recurring_rule.updated"
