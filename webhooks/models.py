"""Webhook tables. The Go binary (go_aggregator, `aggregator deliver`) depends on them; change them only together with
its storage code:

  webhooks_webhook  (id, user_id, url, events, secret, failing, last_sequence): the worker reads the owner's
                    ledger_change rows after last_sequence, inserts one delivery per change whose event the webhook
                    takes, and moves last_sequence, in one transaction holding the webhook's row
  webhooks_delivery (every column): inserted by the worker with the exact body it will send; claimed for sending by
                    setting locked_until (a lease, so two workers never send one delivery at once), then updated
                    with the attempt's outcome
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class Webhook(models.Model):
    """One endpoint of a user's. `events` empty means every event, present and future."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhooks")
    url = models.CharField(max_length=2000)
    events = models.JSONField(default=list)
    description = models.CharField(max_length=500, blank=True, default="")
    # "whsec_" + base64 of 32 random bytes: the HMAC key (the decoded bytes) of the Standard Webhooks signature.
    # Stored as is because signing needs it; shown to the user once, in createWebhook's answer.
    secret = models.CharField(max_length=100)
    # Set when a delivery used up its retries; cleared by the next successful delivery.
    failing = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    # The owner's change log has deliveries up to this sequence; starts at their latest change when created, so a
    # webhook hears only of what happens after it exists.
    last_sequence = models.BigIntegerField(default=0)

    class Meta:
        db_table = "webhooks_webhook"
        indexes = [models.Index(fields=["user", "created_at"], name="webhooks_user_created")]


class WebhookDelivery(models.Model):
    """One change to send to one webhook, and how its attempts went. `id` is the Standard Webhooks message id
    (`webhook-id`), the same on every retry, so receivers can de-duplicate."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries")
    sequence = models.BigIntegerField()  # the change's, in the owner's log
    event = models.CharField(max_length=64)  # <entity>.<operation>, lower case: transaction.created
    payload = models.TextField()  # the exact body of every attempt
    attempts = models.IntegerField(default=0)
    last_status = models.IntegerField(null=True)  # the HTTP status of the last attempt; NULL: no answer
    last_error = models.CharField(max_length=500, blank=True, default="")
    created_at = models.DateTimeField(default=timezone.now)
    delivered_at = models.DateTimeField(null=True)
    # When the next attempt is due; NULL once delivered or given up.
    next_attempt_at = models.DateTimeField(null=True)
    # A worker's lease: nobody else sends this delivery before it passes.
    locked_until = models.DateTimeField(null=True)

    class Meta:
        db_table = "webhooks_delivery"
        constraints = [
            models.UniqueConstraint(fields=["webhook", "sequence"], name="webhooks_delivery_webhook_sequence"),
        ]
        indexes = [
            # The worker's queue: what is due, oldest first.
            models.Index(
                fields=["next_attempt_at"], name="webhooks_delivery_due", condition=Q(next_attempt_at__isnull=False)
            ),
            # webhookDeliveries(webhookId): newest first.
            models.Index(fields=["webhook", "-created_at"], name="webhooks_delivery_recent"),
        ]
