"""The websocket side's schema (schema/live_schema.py): the HTTP schema's limits and masking hold for subscriptions,
and making its resolvers async-safe leaves the HTTP schema's fields as they were."""

import asyncio

from schema.live_schema import live_schema
from schema.schema import schema


class BrokenContext:
    """A connection whose principal fails unexpectedly (what a bug or an outage would raise)."""

    live = object()

    def principal(self) -> None:
        raise RuntimeError("internal detail that must not reach clients")


def first_result(query: str, context: object) -> object:
    async def run() -> object:
        stream = await live_schema.subscribe(query, context_value=context)
        async for result in stream:
            return result
        raise AssertionError("no result")

    return asyncio.run(run())


def test_an_unexpected_error_in_a_subscription_is_masked() -> None:
    result = first_result("subscription { changes { sequence } }", BrokenContext())
    assert result.data is None
    assert [(error.message, error.extensions) for error in result.errors] == [("Internal server error.", {})]


def test_the_query_limits_hold_for_subscriptions() -> None:
    aliases = " ".join(f"a{number}: sequence" for number in range(16))
    result = first_result(f"subscription {{ changes {{ {aliases} }} }}", BrokenContext())
    assert [(error.message, error.extensions) for error in result.errors] == [
        ("16 aliases found. Allowed: 15", {"code": "QUERY_TOO_COMPLEX"})
    ]


def test_only_the_live_schemas_sync_resolvers_run_in_threads() -> None:
    live_field = live_schema._schema.type_map["Change"].fields["transaction"]
    http_field = schema._schema.type_map["Change"].fields["transaction"]
    assert live_field.resolve.__name__ == "resolve_in_thread"
    assert http_field.resolve.__name__ != "resolve_in_thread"
    # Plain values and the subscription itself are left as they are.
    assert live_schema._schema.type_map["Account"].fields["name"].resolve.__name__ != "resolve_in_thread"
    assert live_schema._schema.type_map["Subscription"].fields["changes"].resolve.__name__ != "resolve_in_thread"
