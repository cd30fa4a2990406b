"""Webhook writes: keyword-only, one database transaction each, ValidationError({field: ...}) for a refused input."""

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction

from accounts.models import User
from ledger import error_codes as ledger_codes
from ledger.selectors.changes import last_change_sequence
from ledger.services.bookkeeping import owned_for_update
from ledger.validation import clean_text, merged_errors
from webhooks.addresses import clean_webhook_url
from webhooks.error_codes import INVALID_EVENT, TOO_MANY_WEBHOOKS
from webhooks.events import ALL_EVENTS
from webhooks.models import Webhook
from webhooks.signatures import new_secret

MAX_DESCRIPTION_LENGTH = 500


def webhook_create(*, user: User, url: object, events: list[str] | None = None, description: object = None) -> Webhook:
    """A new webhook of the user's, with a new secret (`secret` on the answer: the only time a caller sees it).

    Every field error comes at once (INVALID_URL after resolving the host, INVALID_EVENT, INVALID_DESCRIPTION);
    TOO_MANY_WEBHOOKS past WEBHOOK_MAX_PER_USER. It hears of the changes committed after it: last_sequence starts at
    the user's latest change.
    """
    with merged_errors() as errors:
        with errors.collect():
            clean_url = clean_webhook_url(url, allow_private=settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES)
        with errors.collect():
            clean_events = _clean_events(events)
        with errors.collect():
            clean_description = clean_text(
                "" if description is None else description,
                field="description",
                code=ledger_codes.INVALID_DESCRIPTION,
                max_length=MAX_DESCRIPTION_LENGTH,
            )
    with transaction.atomic():
        # Concurrent creates of one user queue here, so the limit holds exactly (PostgreSQL; SQLite has one writer).
        User.objects.select_for_update().filter(pk=user.pk).first()
        limit = settings.WEBHOOK_MAX_PER_USER
        if Webhook.objects.filter(user_id=user.pk).count() >= limit:
            message = f"You already have {limit} webhooks: delete one first."
            raise ValidationError({NON_FIELD_ERRORS: ValidationError(message, code=TOO_MANY_WEBHOOKS)})
        return Webhook.objects.create(
            user_id=user.pk,
            url=clean_url,
            events=clean_events,
            description=clean_description,
            secret=new_secret(),
            last_sequence=last_change_sequence(user),
        )


def webhook_delete(*, user: User, webhook_id: object) -> str:
    """Delete one of the user's webhooks and its deliveries; returns its id. NOT_FOUND for any id not the caller's."""
    with transaction.atomic():
        webhook = owned_for_update(Webhook.objects.filter(user_id=user.pk), webhook_id, what="webhook")
        deleted_id = str(webhook.pk)
        webhook.delete()
    return deleted_id


def _clean_events(events: list[str] | None) -> list[str]:
    """The events as stored: [] (every event, future ones too) when omitted; else the given names without
    duplicates, in ALL_EVENTS's order."""
    if events is None:
        return []
    unknown = [name for name in events if name not in ALL_EVENTS]
    if unknown or not events:
        problem = f"Unknown events: {', '.join(unknown)}." if unknown else "Name at least one event, or omit events."
        raise ValidationError(
            {"events": ValidationError(f"{problem} Valid events: {', '.join(ALL_EVENTS)}.", code=INVALID_EVENT)}
        )
    return [name for name in ALL_EVENTS if name in events]
