"""`make schema`: write the live SDL to schema.graphql, the artifact frontends generate typed clients from."""

import os
import sys
from pathlib import Path

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def sdl() -> str:
    from schema.schema import schema

    return schema.as_str() + "\n"


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    SCHEMA_FILE.write_text(sdl())
    print(f"wrote {SCHEMA_FILE}", file=sys.stderr)
