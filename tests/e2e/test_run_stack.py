"""`make run` end to end: migrations, embedded Redis, gunicorn, GraphiQL, a full user session, clean shutdown."""

import signal
import subprocess
import urllib.request

import pytest

from tests.e2e.conftest import LiveStack

pytestmark = pytest.mark.e2e

LOGIN = 'mutation { login(username: "erin", password: "a long passphrase") { token refreshToken errors { code } } }'


def test_graphiql_is_served_to_browsers(live_stack: LiveStack) -> None:
    request = urllib.request.Request(f"{live_stack.base}/graphql/", headers={"Accept": "text/html"})
    with urllib.request.urlopen(request, timeout=30) as response:
        page = response.read().decode()
    assert response.status == 200
    assert "graphiql" in page.lower()
    assert "isHeadersEditorEnabled: true" in page


def test_a_newcomer_session_over_http(live_stack: LiveStack) -> None:
    register = live_stack.graphql(
        'mutation { register(username: "erin", email: "erin@example.com", password: "a long passphrase") '
        "{ user { username } errors { code } } }"
    )
    assert register["data"]["register"] == {"user": {"username": "erin"}, "errors": []}
    tokens = live_stack.graphql(LOGIN)["data"]["login"]
    token = tokens["token"]
    created = live_stack.graphql(
        'mutation { createTransaction(input: {amount: "1200.00", type: INCOME, category: "Salary"}) '
        "{ transaction { id amount } errors { code } } }",
        token=token,
    )["data"]["createTransaction"]
    assert created["transaction"]["amount"] == "1200.00"
    live_stack.graphql(
        'mutation { createTransaction(input: {amount: "200.25", type: EXPENSE}) { errors { code } } }', token=token
    )
    assert live_stack.graphql("{ balance { total transactionCount } }", token=token)["data"]["balance"] == {
        "total": "999.75",
        "transactionCount": 2,
    }
    live_stack.graphql(
        "mutation($id: ID!) { deleteTransaction(id: $id) { deletedId } }", {"id": created["transaction"]["id"]}, token
    )
    assert live_stack.graphql("{ balance { total } }", token=token)["data"]["balance"]["total"] == "-200.25"
    anonymous = live_stack.graphql("{ balance { total } }")
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_health_check(live_stack: LiveStack) -> None:
    with urllib.request.urlopen(f"{live_stack.base}/healthz", timeout=10) as response:
        assert response.read() == b'{"status": "ok"}'


def test_sigterm_stops_everything_it_started(live_stack: LiveStack) -> None:
    children = subprocess.run(
        ["pgrep", "-f", "-s", str(live_stack.process.pid), "redis-server|gunicorn|aggregator"],
        capture_output=True,
        text=True,
    ).stdout.split()
    assert children, live_stack.log.read_text()
    live_stack.process.send_signal(signal.SIGTERM)
    assert live_stack.process.wait(timeout=30) == 0
    left = subprocess.run(["pgrep", "-s", str(live_stack.process.pid)], capture_output=True, text=True).stdout.split()
    assert left == []


def test_production_mode_logs_one_json_object_per_line(tmp_path) -> None:
    import json

    from tests.e2e.conftest import running_stack

    with running_stack(tmp_path, DEBUG="false", SECRET_KEY="s" * 50) as stack:
        assert stack.graphql("{ __typename }")["data"] == {"__typename": "Query"}
    server_lines = [line for line in stack.log.read_text().splitlines() if not line.startswith("run: ")]
    assert server_lines
    records = [json.loads(line) for line in server_lines]  # every line the server wrote is a JSON object
    assert any(record["logger"] == "gunicorn.error" for record in records)
