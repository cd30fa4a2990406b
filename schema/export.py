"""`make schema`: write the live SDL to schema.graphql (the artifact frontends generate typed clients from) and the
table of error codes into README.md, from the modules that define them."""

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schema.graphql"
README_FILE = ROOT / "README.md"
_CODES_SECTION = re.compile(r"(<!-- error-codes:start -->\n).*?(<!-- error-codes:end -->)", re.DOTALL)


def error_codes_table() -> str:
    """A Markdown table of every error code and its meaning, by domain."""
    from accounts import error_codes as accounts
    from ledger import error_codes as ledger
    from schema import error_codes as api
    from webhooks import error_codes as webhooks

    rows = ["| code | where | meaning |", "|---|---|---|"]
    for where, module in (("API", api), ("accounts", accounts), ("ledger", ledger), ("webhooks", webhooks)):
        rows += [f"| `{code}` | {where} | {meaning} |" for code, meaning in module.MEANINGS.items()]
    return "\n".join(rows) + "\n"


def readme_with_codes(readme: str) -> str:
    return _CODES_SECTION.sub(lambda match: match[1] + error_codes_table() + match[2], readme)


def sdl() -> str:
    from schema.schema import schema

    return schema.as_str() + "\n"


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    SCHEMA_FILE.write_text(sdl())
    README_FILE.write_text(readme_with_codes(README_FILE.read_text()))
    print(f"wrote {SCHEMA_FILE} and the error codes in {README_FILE}", file=sys.stderr)
