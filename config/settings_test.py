"""Test settings: the real settings with a fast password hasher (hashing cost is not what tests measure)."""

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
