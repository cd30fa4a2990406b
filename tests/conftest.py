"""Shared fixtures. Servers (Redis, PostgreSQL) are real: `make test` (devserver/run_tests.py) passes their URLs in,
and plain `pytest` starts the missing ones itself (devserver/pytest_servers.py, loaded from pytest.ini); nothing is
mocked."""

import json
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.db import connection
from django.test import Client
from django_redis import get_redis_connection

from accounts.models import User
from accounts.tokens import issue_token_pair
from devserver.servers import ThrowawayServers


@pytest.fixture(autouse=True)
def _empty_redis() -> None:
    get_redis_connection("default").flushdb()


@dataclass
class GraphQLClient:
    """Posts to /graphql/ like any HTTP client; `token` becomes `Authorization: Bearer <token>`."""

    http: Client
    token: str | None = None

    def post(
        self, query: str, variables: dict | None = None, *, token: str | None = None, headers: dict | None = None
    ) -> dict:
        extra = dict(headers or {})
        bearer = token if token is not None else self.token
        if bearer is not None:
            extra["HTTP_AUTHORIZATION"] = f"Bearer {bearer}"
        response = self.http.post(
            "/graphql/",
            data=json.dumps({"query": query, "variables": variables or {}}),
            content_type="application/json",
            **extra,
        )
        assert response.status_code == 200, response.content
        return response.json()

    def data(self, query: str, variables: dict | None = None, **kwargs: object) -> dict:
        """The `data` of a request that must not produce GraphQL errors."""
        body = self.post(query, variables, **kwargs)
        assert "errors" not in body, body["errors"]
        return body["data"]


@pytest.fixture(scope="session")
def postgres_server_url() -> Iterator[str]:
    """A PostgreSQL server for tests that need one whatever DATABASE_URL is: `make test`'s, or one started here for
    plain `pytest` (stopped when the session ends)."""
    if os.environ.get("TEST_POSTGRES_URL"):
        yield os.environ["TEST_POSTGRES_URL"]
        return
    servers = ThrowawayServers.in_new_directory("finance-pytest-pg-")
    try:
        yield servers.start_postgres().url
    finally:
        servers.stop()


@pytest.fixture
def anonymous() -> GraphQLClient:
    return GraphQLClient(http=Client())


def make_user(username: str) -> User:
    return User.objects.create_user(username=username, email=f"{username}@example.com", password="correct horse 9")


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob")


@pytest.fixture
def as_alice(alice: User) -> GraphQLClient:
    return GraphQLClient(http=Client(), token=issue_token_pair(alice).token)


@pytest.fixture
def as_bob(bob: User) -> GraphQLClient:
    return GraphQLClient(http=Client(), token=issue_token_pair(bob).token)


CREATE = """
mutation Create($input: CreateTransactionInput!) {
  createTransaction(input: $input) {
    transaction { id amount type description category date createdAt updatedAt }
    errors { field message code }
  }
}
"""

BALANCE = "query { balance { total income expense transactionCount } }"


def run_together(work: Callable[[], object], times: int) -> list[object]:
    """Run `work` in `times` threads released at once (each with its own DB connection); return their results."""
    gate, results = threading.Barrier(times), []

    def worker() -> None:
        gate.wait()
        try:
            results.append(work())
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def create(client: GraphQLClient, amount: str, type_: str = "EXPENSE", **fields: object) -> dict:
    """Create through the API and return the transaction; the payload must carry no errors."""
    payload = client.data(CREATE, {"input": {"amount": amount, "type": type_, **fields}})["createTransaction"]
    assert payload["errors"] == []
    return payload["transaction"]
