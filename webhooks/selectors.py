"""Webhook reads, scoped to the caller: another user's webhook answers as one that does not exist."""

from accounts.models import User
from ledger.validation import page_size, parse_transaction_id
from webhooks.models import Webhook, WebhookDelivery

DEFAULT_DELIVERIES = 50


def webhooks_of(*, user: User) -> list[Webhook]:
    """The user's webhooks, oldest first."""
    return list(Webhook.objects.filter(user_id=user.pk).order_by("created_at", "id"))


def deliveries_of(*, user: User, webhook_id: object, first: int | None = DEFAULT_DELIVERIES) -> list[WebhookDelivery]:
    """The latest `first` deliveries of one of the user's webhooks, newest first (INVALID_PAGE_SIZE below zero,
    capped like every page); [] for a webhook id that is not the user's, whether it exists or not."""
    size = page_size(first, default=DEFAULT_DELIVERIES)
    pk = parse_transaction_id(webhook_id)
    if pk is None or size == 0:
        return []
    rows = WebhookDelivery.objects.filter(webhook_id=pk, webhook__user_id=user.pk)
    # The worker inserts a batch of changes with one time: the change's sequence orders them within it.
    return list(rows.order_by("-created_at", "-sequence")[:size])
