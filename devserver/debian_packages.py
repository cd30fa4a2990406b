"""Debian packages the project installs when they are missing and we are root (PostgreSQL here; Chromium for the
browser tests and wrk for the benchmark can use the same function).

apt-get fails at once when another install holds the package lock (another test run, unattended upgrades, a
colleague's `apt-get install`). `DPkg::Lock::Timeout` makes it wait for dpkg's lock instead; `apt-get update` takes
the package lists' lock, which that option does not cover in every apt release, so update is retried while another
process holds it.
"""

import os
import subprocess
import sys
import time

LOCK_WAIT_SECONDS = 300
APT_GET = ("apt-get", "-o", f"DPkg::Lock::Timeout={LOCK_WAIT_SECONDS}")


def apt_get_install(packages: list[str], *, options: tuple[str, ...] = ("-qq",)) -> None:
    """`apt-get update`, then `apt-get install -y <options> <packages>`, each waiting for another install to finish."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    _apt_get_update(env)
    subprocess.run([*APT_GET, "install", "-y", *options, *packages], check=True, env=env, stdout=subprocess.DEVNULL)


def _apt_get_update(env: dict[str, str]) -> None:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while True:
        update = subprocess.run(
            [*APT_GET, "update", "-qq"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
        )
        if update.returncode == 0:
            return
        if "Could not get lock" not in update.stderr or time.monotonic() > deadline:
            sys.stderr.write(update.stderr)
            raise subprocess.CalledProcessError(update.returncode, update.args, stderr=update.stderr)
        time.sleep(2)
