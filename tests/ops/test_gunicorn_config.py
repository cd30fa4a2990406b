"""gunicorn (config/gunicorn.conf.py) and Django (config/settings.py) read DEBUG the same way."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each value in a fresh process: settings read the environment once, at import.
READ_BOTH = """
import json, sys
from gunicorn.app.wsgiapp import WSGIApplication
sys.argv = ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"]
application = WSGIApplication()
from django.conf import settings
print(json.dumps({"django": settings.DEBUG, "gunicorn_json_logs": bool(application.cfg.logconfig_dict)}))
"""


@pytest.mark.parametrize(
    ("value", "debug"), [("n", False), ("off", False), ("no", False), ("1", True), ("true", True), ("yes", True)]
)
def test_gunicorn_and_django_agree_on_debug(value: str, debug: bool) -> None:
    env = {
        **os.environ,
        "DEBUG": value,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "SECRET_KEY": "a-test-secret-key-that-is-long-enough-0123456789",
    }
    run = subprocess.run(
        [sys.executable, "-c", READ_BOTH], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    # gunicorn logs JSON exactly when Django's DEBUG is off.
    assert seen == {"django": debug, "gunicorn_json_logs": not debug}


def test_each_gunicorn_instance_has_its_own_control_socket() -> None:
    sockets = set()
    for port in ("8000", "8001"):
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--print-config",
                "-c",
                "config/gunicorn.conf.py",
                "config.wsgi:application",
            ],
            cwd=ROOT,
            env={**os.environ, "PORT": port, "DEBUG": "true"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert run.returncode == 0, run.stderr
        (line,) = [line for line in run.stdout.splitlines() if line.startswith("control_socket ")]
        sockets.add(line.split("=", 1)[1].strip())
    assert sockets == {str(ROOT / "var" / "gunicorn-8000.ctl"), str(ROOT / "var" / "gunicorn-8001.ctl")}


FREEZE = """
import gc, json, sys
from gunicorn.app.wsgiapp import WSGIApplication
sys.argv = ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"]
application = WSGIApplication()
application.wsgi()  # what preload_app does before the workers are forked
loaded = len(gc.get_objects())
application.cfg.when_ready(None)
print(json.dumps({"loaded": loaded, "frozen": gc.get_freeze_count(), "left": len(gc.get_objects())}))
"""


def test_what_the_master_loaded_is_frozen_before_workers_fork() -> None:
    env = {**os.environ, "DEBUG": "false", "SECRET_KEY": "a-test-secret-key-that-is-long-enough-0123456789"}
    run = subprocess.run([sys.executable, "-c", FREEZE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stderr
    seen = json.loads(run.stdout.strip().splitlines()[-1])
    # The loaded application (tens of thousands of objects) leaves the collector's generations for the permanent one.
    assert seen["loaded"] > 10_000
    assert seen["frozen"] >= seen["loaded"]
    assert seen["left"] < 100
