"""Stable error codes of webhooks: clients branch on these, so never rename one."""

INVALID_URL = "INVALID_URL"
INVALID_EVENT = "INVALID_EVENT"
TOO_MANY_WEBHOOKS = "TOO_MANY_WEBHOOKS"

MEANINGS = {
    INVALID_URL: "A webhook URL must be an absolute https URL (http only when WEBHOOK_ALLOW_PRIVATE_ADDRESSES is "
    "on) of at most 2000 characters, without credentials, whose host resolves only to public addresses: loopback, "
    "private, link-local, shared (100.64.0.0/10), multicast, reserved and unspecified addresses are refused unless "
    "WEBHOOK_ALLOW_PRIVATE_ADDRESSES is on.",
    INVALID_EVENT: "Not a webhook event name (`<entity>.<operation>` in lower case, e.g. transaction.created), or an "
    "empty list (omit `events` for every event).",
    TOO_MANY_WEBHOOKS: "The caller already has WEBHOOK_MAX_PER_USER webhooks (20 by default): delete one first.",
}
