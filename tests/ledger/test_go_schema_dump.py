"""The Go tests' copy of Django's schema (go_aggregator/testdata/schema_*.sql) is what the migrations build today."""

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHECKED_IN = ROOT / "go_aggregator" / "testdata"


def dump_go_schema(output_dir: Path, *extra: str) -> subprocess.CompletedProcess:
    # A process of its own: the command migrates throwaway databases, none of which is the test database.
    return subprocess.run(
        [sys.executable, "manage.py", "dump_go_schema", "--output-dir", str(output_dir), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_checked_in_go_schema_is_what_the_migrations_build(tmp_path: Path, postgres_server_url: str) -> None:
    result = dump_go_schema(tmp_path, "--postgres-url", postgres_server_url)
    assert result.returncode == 0, result.stderr
    for name in ("schema_sqlite.sql", "schema_postgres.sql"):
        fresh = (tmp_path / name).read_text(encoding="utf-8")
        assert fresh == (CHECKED_IN / name).read_text(encoding="utf-8"), (
            f"go_aggregator/testdata/{name} is stale: run `python manage.py dump_go_schema` and commit the result"
        )
        # What would make it differ between runs or machines, or create the Go tests' tables outside their schema.
        assert "public." not in fresh and "\\restrict" not in fresh and "\nSET " not in fresh
        quote = '"' if "sqlite" in name else ""
        for table in (
            "accounts_user",
            "ledger_transaction",
            "ledger_dirtybucket",
            "ledger_monthlyrollup",
            "ledger_balanceversion",
            "ledger_categoryname",
            "ledger_recurringrule",
            "ledger_recurringoccurrence",
            "ledger_change",
        ):
            assert f"CREATE TABLE {quote}{table}{quote} (" in fresh


def test_the_dump_refuses_to_run_without_postgres(tmp_path: Path) -> None:
    result = dump_go_schema(tmp_path, "--postgres-url", "")
    assert result.returncode != 0 and "PostgreSQL server is needed" in result.stderr
    assert not list(tmp_path.iterdir())
