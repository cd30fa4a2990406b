"""Headless Chromium for the browser tests: Debian's `chromium` and `chromium-driver`, driven by Selenium.

Never downloads a browser: if the Debian packages are missing and we run as root, they are installed with apt
(as `make test` does for PostgreSQL); otherwise the test fails with the command to run.
"""

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from devserver.debian_packages import apt_get_install

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "artifacts"

CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,900",
    # The dashboard formats money in the browser's languages (navigator.languages); the tests read en-US figures.
    "--accept-lang=en-US",
)


def ensure_chromium() -> None:
    """Install Debian's chromium and chromium-driver when they are missing (root only)."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    # Without recommends (they pull in systemd and avahi), but with a font, or screenshots show no text.
    packages, options = ["chromium", "chromium-driver", "fonts-liberation"], ("-q", "--no-install-recommends")
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        shown = " ".join(["apt-get", "install", "-y", *options, *packages])
        raise RuntimeError(f"the browser tests need Debian's chromium: run `sudo {shown}`")
    apt_get_install(packages, options=options)


@contextmanager
def chromium(profile_dir: Path) -> Iterator[webdriver.Chrome]:
    """A headless Chromium with a fresh profile under `profile_dir`, quit on exit."""
    ensure_chromium()
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


def save_screenshot(driver: webdriver.Chrome, name: str, *, keep_in_var: bool = True) -> list[Path]:
    """The whole page as PNG, kept as a test artifact: in the test run's work directory and in var/artifacts/."""
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(driver.get_window_size()["width"], max(600, min(int(height) + 200, 4000)))
    places = [ARTIFACTS] if keep_in_var else []
    if os.environ.get("TEST_WORKDIR"):
        places.append(Path(os.environ["TEST_WORKDIR"]) / "artifacts")
    saved = []
    for place in places:
        place.mkdir(parents=True, exist_ok=True)
        path = place / name
        assert driver.save_screenshot(str(path)), f"could not save {path}"
        saved.append(path)
    return saved
