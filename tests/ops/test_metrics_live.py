"""/metrics and /readyz on the stack started as `make run` starts it: several gunicorn workers, one sum."""

import json
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.e2e.conftest import running_stack

pytestmark = pytest.mark.e2e


def get(url: str) -> tuple[int, str]:
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.status, response.read().decode()


def test_metrics_are_summed_over_the_gunicorn_workers(tmp_path: Path) -> None:
    with running_stack(tmp_path) as stack:
        status, body = get(f"{stack.base}/readyz")
        assert status == 200
        assert json.loads(body)["status"] == "ok"
        stack.graphql(
            'mutation { register(username: "mo", email: "mo@example.com", password: "a long passphrase") { errors { code } } }'
        )
        token = stack.graphql('mutation { login(username: "mo", password: "a long passphrase") { token } }')["data"][
            "login"
        ]["token"]
        for _ in range(12):
            assert "errors" not in stack.graphql("query LiveBalance { balance { total } }", token=token)
        # Each scrape is answered by whichever worker accepts it; every one must see all twelve.
        for _ in range(6):
            status, body = get(f"{stack.base}/metrics")
            samples = {
                (sample.name, tuple(sorted(sample.labels.items()))): sample.value
                for family in text_string_to_metric_families(body)
                for sample in family.samples
            }
            assert samples[("finance_graphql_requests_total", (("operation", "LiveBalance"), ("type", "query")))] == 12
            hits = samples[("finance_balance_cache_hits_total", ())]
            misses = samples[("finance_balance_cache_misses_total", ())]
            assert (hits + misses, misses >= 1) == (12, True)
