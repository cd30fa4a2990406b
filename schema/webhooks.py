"""Webhooks (issue 14): endpoints that the Go delivery worker POSTs each change of the caller's to, signed the
Standard Webhooks way. Thin resolvers over webhooks.services and webhooks.selectors (schema.errors maps refusals)."""

import datetime
from typing import Annotated

import strawberry

from schema.context import current_user
from schema.errors import FieldError, field, mutation
from schema.types import DeletePayload
from webhooks import selectors, services
from webhooks.events import ALL_EVENTS
from webhooks.models import Webhook as WebhookModel
from webhooks.models import WebhookDelivery as WebhookDeliveryModel

_EVENTS = ", ".join(ALL_EVENTS)
_BODY = (
    'Each delivery is a POST of JSON {"type": <event>, "timestamp": <the change\'s time, RFC 3339 UTC>, "data": '
    '{"sequence": <decimal string>, "entityType", "entityId", "operation", "at", "snapshot": <the record after the '
    'change (before, for a delete), amounts in integer minor units with "currency">}} with the headers webhook-id '
    "(the delivery's id, the same on every retry: de-duplicate on it), webhook-timestamp and webhook-signature "
    "(Standard Webhooks: HMAC-SHA256 keyed with the secret over `<id>.<timestamp>.<body>`)."
)


# A plain Strawberry type over the model instance, as Transaction is (no relations to optimise).
@strawberry.type(description=f"An endpoint the caller's changes are POSTed to as they are committed. {_BODY}")
class Webhook:
    id: strawberry.ID = strawberry.field(description="Random and stable.")
    url: str = strawberry.field(
        description="Where deliveries go: https, resolving to public addresses only (checked again at delivery)."
    )
    description: str = strawberry.field(description="Free text, up to 500 characters; empty when none was given.")
    failing: bool = strawberry.field(
        description="Whether a delivery used up its attempts (8 over about 28 hours by default); cleared by the next "
        "successful delivery."
    )
    created_at: datetime.datetime = strawberry.field(
        description="When it was created (UTC); it hears of the changes committed after it."
    )

    @strawberry.field(
        description=f"The events it receives, in the canonical order; all of them when allEvents. Events: {_EVENTS}."
    )
    def events(self, root: strawberry.Parent[WebhookModel]) -> list[str]:
        return list(root.events) or list(ALL_EVENTS)

    @strawberry.field(
        description="Whether it was created without `events`: it receives every event, also those added to the API "
        "later."
    )
    def all_events(self, root: strawberry.Parent[WebhookModel]) -> bool:
        return not root.events


@strawberry.type(description="One change sent (or being sent) to a webhook, and how its attempts went.")
class WebhookDelivery:
    id: strawberry.ID = strawberry.field(
        description="The webhook-id header of every attempt: the same on retries, so receivers de-duplicate on it."
    )
    event: str = strawberry.field(description="<entity>.<operation> in lower case, e.g. transaction.created.")
    attempts: int = strawberry.field(description="Attempts made so far (at most 8 by default).")
    last_status: int | None = strawberry.field(
        description="The HTTP status the receiver answered the last attempt with; null before the first attempt or "
        "when it did not answer (connection refused, timeout, address refused)."
    )
    last_error: str = strawberry.field(description="Why the last attempt failed, briefly; empty when it did not.")
    delivered_at: datetime.datetime | None = strawberry.field(
        description="When a receiver answered 2xx; null until then."
    )
    next_attempt_at: datetime.datetime | None = strawberry.field(
        description="When the next attempt is due; null once delivered or given up (the webhook is then failing)."
    )
    created_at: datetime.datetime = strawberry.field(description="When the worker queued it (UTC).")

    @strawberry.field(description="The change's sequence in the caller's change log (a decimal string).")
    def sequence(self, root: strawberry.Parent[WebhookDeliveryModel]) -> str:
        return str(root.sequence)


@strawberry.input(description="A new webhook.")
class CreateWebhookInput:
    url: str = strawberry.field(
        description="An absolute https URL, at most 2000 characters, without credentials, whose host resolves to "
        "public addresses only (plain http and private addresses only when the server sets "
        "WEBHOOK_ALLOW_PRIVATE_ADDRESSES); INVALID_URL otherwise."
    )
    events: list[str] | None = strawberry.field(
        default=None,
        description=f"The events to receive (INVALID_EVENT for another name, or an empty list); every event, also "
        f"future ones, when omitted or null. Events: {_EVENTS}.",
    )
    description: str | None = strawberry.field(
        default=None, description="Free text, up to 500 characters (INVALID_DESCRIPTION); empty when omitted."
    )


@strawberry.type(description="The result of creating a webhook.")
class WebhookPayload:
    webhook: Webhook | None = strawberry.field(default=None, description="The new webhook; null when refused.")
    secret: str | None = strawberry.field(
        default=None,
        description='The signing secret, "whsec_" + base64 of 32 bytes: shown in createWebhook\'s answer only, '
        "never again (store it now; to replace it, create another webhook and delete this one).",
    )
    errors: list[FieldError] = strawberry.field(
        default_factory=list, description="Why the input was refused; empty on success."
    )


@strawberry.type
class WebhookQuery:
    @strawberry.field(description="The caller's webhooks, oldest first. Their secrets are never shown again.")
    def webhooks(self, info: strawberry.Info) -> list[Webhook]:
        return selectors.webhooks_of(user=current_user(info))

    @field(
        description="The latest deliveries of one of the caller's webhooks, newest first; [] for any id that is not "
        "one of the caller's. A negative `first` answers an INVALID_PAGE_SIZE error."
    )
    def webhook_deliveries(
        self,
        info: strawberry.Info,
        webhook_id: Annotated[strawberry.ID, strawberry.argument(description="One of the caller's webhooks.")],
        first: Annotated[
            int | None, strawberry.argument(description="At most this many (50 when null; capped at 500).")
        ] = selectors.DEFAULT_DELIVERIES,
    ) -> list[WebhookDelivery]:
        return selectors.deliveries_of(user=current_user(info), webhook_id=webhook_id, first=first)


@strawberry.type
class WebhookMutation:
    @mutation(
        description="Create a webhook: the caller's changes committed from now on are POSTed to `url`, each signed "
        "with the secret this answer carries (the only time it is shown). Every field error comes at once "
        "(INVALID_URL, INVALID_EVENT, INVALID_DESCRIPTION); TOO_MANY_WEBHOOKS past the server's limit (20 by "
        "default). Nothing is written then."
    )
    def create_webhook(
        self,
        info: strawberry.Info,
        input: Annotated[CreateWebhookInput, strawberry.argument(description="The webhook.")],
    ) -> WebhookPayload:
        webhook = services.webhook_create(
            user=current_user(info), url=input.url, events=input.events, description=input.description
        )
        return WebhookPayload(webhook=webhook, secret=webhook.secret)

    @mutation(description="Delete a webhook and its deliveries (none is attempted again); NOT_FOUND for any other id.")
    def delete_webhook(
        self, info: strawberry.Info, id: Annotated[strawberry.ID, strawberry.argument(description="A webhook's id.")]
    ) -> DeletePayload:
        return DeletePayload(deleted_id=services.webhook_delete(user=current_user(info), webhook_id=id))
