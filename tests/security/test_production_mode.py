"""DEBUG off: no introspection, GraphiQL or suggestions unless enabled; masked errors; headers; strong secrets."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from ledger import selectors
from tests.conftest import GraphQLClient

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = "k" * 50


def settings_in_subprocess(env: dict[str, str], expression: str) -> subprocess.CompletedProcess:
    """Import the real settings module in a fresh interpreter, as a server start would."""
    return subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); from django.conf import settings; print({expression})"],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("secret", [None, "short", "dev-only-insecure-key-do-not-use-in-production-0123456789"])
def test_debug_off_refuses_to_start_with_a_missing_or_weak_secret_key(secret: str | None) -> None:
    env = {"DEBUG": "false"}
    base = {key: value for key, value in os.environ.items() if key != "SECRET_KEY"}
    if secret is not None:
        env["SECRET_KEY"] = secret
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={**base, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_off_defaults_turn_the_explorer_features_off() -> None:
    result = settings_in_subprocess(
        {"DEBUG": "false", "SECRET_KEY": STRONG_KEY},
        "settings.GRAPHIQL_ENABLED, settings.GRAPHQL_INTROSPECTION, settings.GRAPHQL_FIELD_SUGGESTIONS",
    )
    assert result.stdout.strip() == "False False False", result.stderr
    enabled = settings_in_subprocess(
        {"DEBUG": "false", "SECRET_KEY": STRONG_KEY, "GRAPHQL_INTROSPECTION": "true", "GRAPHIQL_ENABLED": "true"},
        "settings.GRAPHIQL_ENABLED, settings.GRAPHQL_INTROSPECTION",
    )
    assert enabled.stdout.strip() == "True True", enabled.stderr


@pytest.mark.django_db
def test_introspection_is_refused_when_disabled(anonymous: GraphQLClient, settings) -> None:
    settings.GRAPHQL_INTROSPECTION = False
    body = anonymous.post("query { __schema { queryType { name } } }")
    assert body["data"] is None
    assert "introspection" in body["errors"][0]["message"].lower()
    settings.GRAPHQL_INTROSPECTION = True
    assert anonymous.data("query { __schema { queryType { name } } }")["__schema"]["queryType"]["name"] == "Query"


@pytest.mark.django_db
def test_graphiql_is_not_served_when_disabled(settings) -> None:
    settings.GRAPHIQL_ENABLED = False
    response = Client().get("/graphql/", HTTP_ACCEPT="text/html")
    assert response.status_code == 404
    assert "<html" not in response.content.decode().lower()
    assert response.json()["errors"][0]["extensions"]["code"] == "NOT_FOUND"


@pytest.mark.django_db
def test_no_field_suggestions_when_disabled(anonymous: GraphQLClient, settings) -> None:
    settings.GRAPHQL_FIELD_SUGGESTIONS = True
    assert "Did you mean" in anonymous.post("query { balanse { total } }")["errors"][0]["message"]
    settings.GRAPHQL_FIELD_SUGGESTIONS = False
    for query in ("query { balanze { total } }", "query { transactions(frist: 1) { totalCount } }"):
        message = anonymous.post(query)["errors"][0]["message"]
        assert "Did you mean" not in message and "balance" not in message and "first" not in message


def test_unexpected_errors_are_masked(as_alice: GraphQLClient, monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(**kwargs: object) -> None:
        raise RuntimeError("connection string postgres://secret@db")  # a fault, injected at the domain edge

    monkeypatch.setattr(selectors, "balance_in", explode)
    body = as_alice.post("{ balance { total } }")
    assert body["errors"][0]["message"] == "Internal server error."
    assert "secret" not in str(body)
    # validation errors keep their text
    assert "Cannot query field" in as_alice.post("{ nothing }")["errors"][0]["message"]


@pytest.mark.django_db
def test_security_headers_are_set() -> None:
    response = Client().post("/graphql/", data='{"query": "{ __typename }"}', content_type="application/json")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "no-referrer"
