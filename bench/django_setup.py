"""Django in the benchmark process itself, pointed at the benchmark's database (for the ORM and hashers)."""

import os


def setup_django(database_url: str) -> None:
    import django

    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    django.setup()
