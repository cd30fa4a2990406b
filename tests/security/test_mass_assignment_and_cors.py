import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from ledger.models import Transaction
from tests.conftest import GraphQLClient, create

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "extra", ['userId: "x"', 'user: "x"', 'id: "x"', 'createdAt: "2020-01-01T00:00:00Z"', 'balance: "1.00"']
)
def test_inputs_cannot_set_owner_ids_timestamps_or_balances(as_alice: GraphQLClient, extra: str) -> None:
    body = as_alice.post(
        f'mutation {{ createTransaction(input: {{amount: "1.00", type: INCOME, {extra}}}) {{ errors {{ code }} }} }}'
    )
    assert body.get("data") is None
    assert "is not defined by type" in body["errors"][0]["message"]
    assert Transaction.objects.count() == 0


def test_update_cannot_move_a_transaction_to_another_user(as_alice: GraphQLClient, bob) -> None:
    txn = create(as_alice, "1.00")
    body = as_alice.post(
        "mutation($id: ID!, $owner: String!) { updateTransaction(id: $id, input: {userId: $owner}) { errors { code } } }",
        {"id": txn["id"], "owner": str(bob.pk)},
    )
    assert "is not defined by type" in body["errors"][0]["message"]
    assert Transaction.objects.get().user_id != bob.pk


@pytest.mark.django_db
def test_cors_allows_only_configured_origins_without_credentials(settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com"]
    preflight = {
        "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST",
        "HTTP_ACCESS_CONTROL_REQUEST_HEADERS": "authorization, content-type",
    }
    allowed = Client().options("/graphql/", HTTP_ORIGIN="https://app.example.com", **preflight)
    assert allowed["Access-Control-Allow-Origin"] == "https://app.example.com"
    assert "authorization" in allowed["Access-Control-Allow-Headers"].lower()
    assert "Access-Control-Allow-Credentials" not in allowed
    foreign = Client().options("/graphql/", HTTP_ORIGIN="https://evil.example", **preflight)
    assert "Access-Control-Allow-Origin" not in foreign


def test_a_wildcard_origin_never_comes_with_credentials() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "import django; django.setup(); from django.conf import settings; "
            "print(settings.CORS_ALLOW_ALL_ORIGINS, settings.CORS_ALLOW_CREDENTIALS, settings.CORS_ALLOWED_ORIGINS)",
        ],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", "CORS_ALLOWED_ORIGINS": "*,https://a.example"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.stdout.strip() == "True False ['https://a.example']", result.stderr
