"""Issue 14's webhook contract, as the issue writes it, against the committed schema: every type, field, argument
and input field with its exact type and default (the approach of test_planning_contract)."""

from graphql import Undefined, build_schema

from tests.schema.contracts import served_as_written

# Verbatim from the issue; the stubs at the end only make it parse on its own.
ISSUE_14_WEBHOOKS = """
type Webhook { id: ID!  url: String!  events: [String!]!  description: String!  failing: Boolean!  createdAt: DateTime! }
type WebhookPayload { webhook: Webhook  secret: String  errors: [FieldError!]! }   # secret: only in createWebhook's answer
type WebhookDelivery { id: ID!  event: String!  attempts: Int!  lastStatus: Int  deliveredAt: DateTime  nextAttemptAt: DateTime }
input CreateWebhookInput { url: String!  events: [String!]  description: String }  # events: all when omitted
extend type Query { webhooks: [Webhook!]!  webhookDeliveries(webhookId: ID!, first: Int = 50): [WebhookDelivery!]! }
extend type Mutation { createWebhook(input: CreateWebhookInput!): WebhookPayload!  deleteWebhook(id: ID!): DeletePayload! }
"""
_STUBS = """
scalar DateTime type Query { _: Int } type Mutation { _: Int } type FieldError { _: Int } type DeletePayload { _: Int }
"""
_STUB_NAMES = {"Query", "Mutation", "FieldError", "DeletePayload"}


def test_every_type_field_and_argument_of_the_webhook_contract_is_served_as_written() -> None:
    checked = served_as_written(build_schema(_STUBS + ISSUE_14_WEBHOOKS), _STUB_NAMES)
    assert checked == 22  # every field of the contract above: nothing was skipped by mistake


def test_the_contract_parses_with_its_defaults() -> None:
    contract = build_schema(_STUBS + ISSUE_14_WEBHOOKS)
    deliveries = contract.query_type.fields["webhookDeliveries"]
    assert deliveries.args["first"].default_value == 50
    assert contract.type_map["CreateWebhookInput"].fields["events"].default_value is Undefined
