"""`manage.py import_transactions` / `export_transactions`: the same rules as the API, from files."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from accounts.models import User
from ledger.models import Transaction
from ledger.services import account_create, account_update
from tests.conftest import make_user

CSV = "date,description,amount,category\n2026-01-31,Payroll,3000.00,Salary\n2026-02-01,Rent,-1200.00,Rent\n"


def run(command: str, *args: str) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def test_import_then_export_through_files(alice: User, tmp_path: Path) -> None:
    source = tmp_path / "bank.csv"
    source.write_bytes(("\ufeff" + CSV).encode())  # with the BOM spreadsheets write
    assert run("import_transactions", str(source), "--user", "ALICE") == "imported 2, skipped 0 (already imported)\n"
    assert run("import_transactions", str(source), "--user", "alice") == "imported 0, skipped 2 (already imported)\n"
    target = tmp_path / "out.csv"
    run("export_transactions", "--user", "alice", str(target))
    assert target.read_text() == (
        "date,description,amount,type,category,account,currency\n"
        "2026-01-31,Payroll,3000.00,income,Salary,Main,USD\n"
        "2026-02-01,Rent,-1200.00,expense,Rent,Main,USD\n"
    )
    assert run("export_transactions", "--user", "alice") == target.read_text()


def test_a_large_file_streams_in_and_round_trips(alice: User, tmp_path: Path) -> None:
    bob = make_user("bob")
    source = tmp_path / "big.csv"
    with source.open("w") as out:
        out.write("date,description,amount,type\n")
        for n in range(12_000):
            out.write(
                f"2025-{n % 12 + 1:02d}-{n % 28 + 1:02d},item {n % 97},{n % 5000 + 1}.{n % 100:02d},{'income' if n % 7 == 0 else 'expense'}\n"
            )
    assert (
        run("import_transactions", str(source), "--user", "alice") == "imported 12000, skipped 0 (already imported)\n"
    )
    exported = tmp_path / "alice.csv"
    run("export_transactions", "--user", "alice", str(exported))
    run("import_transactions", str(exported), "--user", "bob")
    again = tmp_path / "bob.csv"
    run("export_transactions", "--user", "bob", str(again))
    assert again.read_bytes() == exported.read_bytes()
    assert Transaction.objects.filter(user=bob).count() == 12_000


def test_a_bad_file_fails_with_row_numbers_and_writes_nothing(alice: User, tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text(CSV + "2026-02-30,Oops,-1.00,Misc\n")
    errors = io.StringIO()
    with pytest.raises(CommandError, match="1 error"):
        call_command("import_transactions", str(source), "--user", "alice", stdout=io.StringIO(), stderr=errors)
    assert errors.getvalue().startswith("INVALID_DATE: Row 4, date: ")
    assert not Transaction.objects.exists()


def test_unknown_user_or_file_is_a_clear_error(alice: User, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no user named 'nobody'"):
        run("export_transactions", "--user", "nobody")
    with pytest.raises(CommandError, match="no such file"):
        run("import_transactions", str(tmp_path / "missing.csv"), "--user", "alice")


def test_account_names_the_ledger_account_to_import_into_and_to_export(alice: User, tmp_path: Path) -> None:
    account_create(user=alice, name="Tokyo", kind="cash", currency="JPY")
    source = tmp_path / "yen.csv"
    source.write_text("date,description,amount\n2026-03-01,Ramen,-1200\n")
    assert run("import_transactions", str(source), "--user", "alice", "--account", "tokyo") == (
        "imported 1, skipped 0 (already imported)\n"
    )
    run("import_transactions", str(_write(tmp_path, CSV)), "--user", "alice")
    assert run("export_transactions", "--user", "alice", "--account", "TOKYO") == (
        "date,description,amount,type,category,account,currency\n2026-03-01,Ramen,-1200,expense,Other,Tokyo,JPY\n"
    )
    assert len(run("export_transactions", "--user", "alice").splitlines()) == 4


def test_an_unknown_or_archived_account_is_a_clear_error(alice: User, tmp_path: Path) -> None:
    source = _write(tmp_path, CSV)
    with pytest.raises(CommandError, match="alice has no account named 'Nowhere'"):
        run("import_transactions", str(source), "--user", "alice", "--account", "Nowhere")
    with pytest.raises(CommandError, match="alice has no account named 'Nowhere'"):
        run("export_transactions", "--user", "alice", "--account", "Nowhere")
    old = account_create(user=alice, name="Old", kind="cash", currency="USD")
    account_update(user=alice, account_id=old.pk, archived=True)
    with pytest.raises(CommandError, match='The account "Old" is archived'):
        run("import_transactions", str(source), "--user", "alice", "--account", "old")
    assert not Transaction.objects.exists()


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text(text)
    return path
