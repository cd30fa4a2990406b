"""`python -m bench.http.profile [case ...] [--requests N]`: where one request of a case spends its time.

Same data and settings as `make bench`, but in-process: Django's test client drives the full request path (URL
routing, middleware, the GraphQL view) without gunicorn, N times per case under cProfile. Prints per case the
mean in-process time per request, the SQL statements per request (Django's query capture), and the functions
with the most cumulative and own time. Use it to find what bounds a figure of `make bench`.
"""

import argparse
import cProfile
import io
import os
import pstats
import time
from collections.abc import Callable

from bench.http import data
from bench.http.cases import LOGIN, build_cases, graphql_body
from bench.http.states import case_state
from bench.stack import api_environment, backing_servers, create_database, log, scratch_dir


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", help="case names (default: all)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    with scratch_dir("finance-bench-profile-") as workdir, backing_servers(workdir) as backing:
        database_url = create_database(backing.postgres, "bench_profile")
        # The server's settings (DEBUG off, the benchmark's limits) in this process.
        os.environ.update(api_environment(database_url, backing.redis.url, 0, workdir))
        dataset = data.generate(database_url, data.hash_password(database_url))
        from django.db import connection
        from django.test import Client

        client = Client(HTTP_HOST="127.0.0.1")
        login = client.post(
            "/graphql/",
            graphql_body(LOGIN, {"username": data.MAIN_USERNAME, "password": data.PASSWORD}),
            content_type="application/json",
        )
        token = login.json()["data"]["login"]["token"]
        for case in build_cases(dataset, token):
            if args.cases and case.name not in args.cases:
                continue
            requests = max(1, args.requests // 20) if case.name == "login" else args.requests

            def once(case=case) -> None:
                request = case.request
                body = request.body.replace("{n}", "0") if request.body is not None else None
                headers = {"HTTP_AUTHORIZATION": f"Bearer {request.token}"} if request.token else {}
                if request.method == "GET":
                    response = client.get(request.path, **headers)
                else:
                    response = client.post(request.path, body, content_type="application/json", **headers)
                if request.expect and request.expect not in response.content.decode():
                    raise RuntimeError(f"{case.name}: unexpected answer {response.content[:300]!r}")

            with case_state(case, database_url):
                _profile(case.name, once, requests, args.top, connection)
    return 0


def _profile(name: str, once: Callable[[], None], requests: int, top: int, connection: object) -> None:
    once()  # warm: connections opened, caches filled, imports done
    statements: list[str] = []

    def record(execute, sql, params, many, context):  # noqa: ANN001, ANN202 (Django's wrapper signature)
        statements.append(sql)
        return execute(sql, params, many, context)

    # An execute wrapper sees every statement whatever DEBUG is.
    with connection.execute_wrapper(record):
        once()
    started = time.perf_counter()
    for _ in range(requests):
        once()
    plain_ms = (time.perf_counter() - started) / requests * 1000
    log(f"{name}: {plain_ms:.3f} ms per request in-process without the profiler")
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(requests):
        once()
    profiler.disable()
    per_request_ms = (time.perf_counter() - started) / requests * 1000
    log(f"{name}: {per_request_ms:.3f} ms per request in-process (under cProfile), {len(statements)} SQL statements")
    for sql in statements:
        log(f"  SQL: {sql[:160]}")
    for sort in ("cumulative", "tottime"):
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(sort).print_stats(top)
        print(f"\n===== {name}: top {top} by {sort} =====")
        print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[:8000])


if __name__ == "__main__":
    raise SystemExit(main())
