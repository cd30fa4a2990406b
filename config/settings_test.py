"""Test settings: the real settings with a fast password hasher (hashing cost is not what tests measure)."""

import os

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# A file, not an in-memory database: threads in the concurrency tests need real, separately locked connections.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": os.path.join(os.environ.get("TEST_WORKDIR", "/tmp"), f"test-{os.getpid()}.sqlite3")
    }
