"""Running wrk for one case and reading the JSON line its Lua `done` prints."""

import json
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from devserver.debian_packages import apt_get_install

LUA_SCRIPT = Path(__file__).resolve().parent / "lua" / "request.lua"
RESULT_MARKER = "BENCH_RESULT "


@dataclass(frozen=True)
class Load:
    connections: int
    threads: int
    duration_s: int
    # wrk's default of 2 s would count slow logins (PBKDF2, queued behind 31 others) as timeouts.
    timeout_s: int = 30


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    body: str | None = None
    token: str | None = None
    expect: str | None = None
    rotate: int = 1


def ensure_wrk() -> str:
    """The wrk binary, installed from Debian's package when missing and we are root."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise RuntimeError("wrk not found: install it (Debian: apt-get install wrk)")
    apt_get_install(["wrk"])
    found = shutil.which("wrk")
    if not found:
        raise RuntimeError("wrk still missing after apt-get install wrk")
    return found


def run_wrk(base_url: str, request: Request, load: Load) -> dict:
    """One wrk run; returns the parsed result (counts, latency percentiles in microseconds)."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as body_file:
        body_file.write(request.body or "")
    env = {
        **os.environ,
        "BENCH_METHOD": request.method,
        "BENCH_BODY": body_file.name if request.body is not None else "",
        "BENCH_ROTATE": str(request.rotate),
        "BENCH_TOKEN": request.token or "",
        "BENCH_EXPECT": request.expect or "",  # "" is found in every body
    }
    command = [
        ensure_wrk(),
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{load.duration_s}s",
        f"--timeout={load.timeout_s}s",
        "-s",
        str(LUA_SCRIPT),
        base_url + request.path,
    ]
    try:
        completed = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    finally:
        os.unlink(body_file.name)
    return parse_wrk_output(completed.stdout)


def parse_wrk_output(stdout: str) -> dict:
    """The `BENCH_RESULT {...}` line of request.lua's done(), plus requests/s over the measured duration."""
    for line in stdout.splitlines():
        if line.startswith(RESULT_MARKER):
            result = json.loads(line[len(RESULT_MARKER) :])
            seconds = result["duration_us"] / 1e6
            result["requests_per_s"] = result["requests"] / seconds if seconds > 0 else 0.0
            return result
    raise RuntimeError(f"wrk printed no {RESULT_MARKER.strip()} line:\n{stdout}")
