"""gunicorn settings for `make run` (and the benchmark, which starts the server exactly the same way)."""

import gc
import multiprocessing
import os
from pathlib import Path

# The same value Django uses: config.settings reads DEBUG with django-environ (DEBUG=n is off for both).
from config.settings import DEBUG

ROOT = Path(__file__).resolve().parent.parent
PORT = os.environ.get("PORT", "8000")

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{PORT}"
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count()))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
keepalive = 5
timeout = 30
graceful_timeout = 10
accesslog = os.environ.get("ACCESS_LOG") or None
preload_app = True

# gunicornc's control socket, one per instance. gunicorn's default is one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl), and each server starting unlinks the previous one's socket there.
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET") or str(ROOT / "var" / f"gunicorn-{PORT}.ctl")

# With DEBUG off the application logs one JSON object per line (ops/logging.py); gunicorn's own lines follow suit.
if not DEBUG:
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "ops.logging.JsonLogFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }


def when_ready(server: object) -> None:
    """The application is loaded (preload_app) and the workers are not forked yet: move everything loaded so far
    (Django, the schema's types, the URL and template machinery: ~130,000 objects) out of the collector's reach.
    A full collection in a worker then scans only what the worker made itself: bench.http.profile measured the
    collector's full passes at 27 -> 4 us per balance hit and 165 -> 34 us per 50-row page. It also keeps those
    pages shared with the master after fork (a collection writes to every object it scans)."""
    gc.freeze()
