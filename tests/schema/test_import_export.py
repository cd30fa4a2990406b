"""importTransactions / exportTransactions through the GraphQL endpoint: all or nothing, row-numbered errors,
idempotent re-import, and an export that imports back exactly."""

import pytest

from accounts.models import User
from ledger.imports import BATCH_SIZE
from ledger.models import BalanceVersion, DirtyBucket, Transaction
from tests.conftest import BALANCE, GraphQLClient, create

IMPORT = """
mutation Import($csv: String!) {
  importTransactions(csv: $csv) { importedCount skippedCount errors { field message code } }
}
"""
EXPORT = "query Export($filters: TransactionFilter) { exportTransactions(filters: $filters) }"
LIST = """
query { transactions(first: 500) { edges { node { amount type description category date } } } }
"""


def import_csv(client: GraphQLClient, csv: str) -> dict:
    return client.data(IMPORT, {"csv": csv})["importTransactions"]


def export_csv(client: GraphQLClient, filters: dict | None = None) -> str:
    return client.data(EXPORT, {"filters": filters})["exportTransactions"]


def listing(client: GraphQLClient) -> list[tuple]:
    edges = client.data(LIST)["transactions"]["edges"]
    return sorted(tuple(edge["node"].values()) for edge in edges)


def nothing_written(user: User) -> bool:
    return (
        not Transaction.objects.filter(user=user).exists()
        and not DirtyBucket.objects.filter(user=user).exists()
        and not BalanceVersion.objects.filter(user=user).exists()
    )


SIGNED = """Date,Description,Amount,Category
2026-01-31,ACME payroll,3000.00,Salary
2026-02-01,"Rent, February",-1200.00,Rent
2026-02-03,Groceries ☕,-80.1,Groceries
"""


def test_a_signed_amount_file_imports_every_row(as_alice: GraphQLClient) -> None:
    assert import_csv(as_alice, SIGNED) == {"importedCount": 3, "skippedCount": 0, "errors": []}
    assert listing(as_alice) == [
        ("1200.00", "EXPENSE", "Rent, February", "Rent", "2026-02-01"),
        ("3000.00", "INCOME", "ACME payroll", "Salary", "2026-01-31"),
        ("80.10", "EXPENSE", "Groceries ☕", "Groceries", "2026-02-03"),
    ]
    assert as_alice.data(BALANCE)["balance"] == {
        "total": "1719.90",
        "income": "3000.00",
        "expense": "1280.10",
        "transactionCount": 3,
    }


def test_a_type_column_and_bank_header_spellings_are_understood(as_alice: GraphQLClient) -> None:
    csv = (
        "\ufeffPOSTED DATE,Payee,Amount,Transaction Type,Category,Balance\r\n"  # a BOM, as Excel writes it
        "2026-03-01,Employer,2500.00,CREDIT,Salary,2500.00\r\n"
        "2026-03-02,Bakery,4.20,debit,,2495.80\r\n"
        "\r\n"
        "2026-03-03,Refund,+10.00,Income,Shopping,2505.80\r\n"
        "2026-03-04,Cinema,-12.00,expense,Fun,2493.80\r\n"
    )
    assert import_csv(as_alice, csv) == {"importedCount": 4, "skippedCount": 0, "errors": []}
    assert listing(as_alice) == [
        ("10.00", "INCOME", "Refund", "Shopping", "2026-03-03"),
        ("12.00", "EXPENSE", "Cinema", "Fun", "2026-03-04"),
        ("2500.00", "INCOME", "Employer", "Salary", "2026-03-01"),
        ("4.20", "EXPENSE", "Bakery", "Other", "2026-03-02"),
    ]


def test_every_bad_row_is_reported_by_number_and_nothing_is_written(as_alice: GraphQLClient, alice: User) -> None:
    csv = "\n".join(
        [
            "date,description,amount,type,category",  # row 1
            "2026-01-01,fine,1.00,expense,Food",  # row 2: valid, but not written either
            "2026-02-30,bad date,1.00,expense,Food",  # 3
            "2026-01-02,float,1e3,expense,Food",  # 4
            "2026-01-03,zero,0.00,expense,Food",  # 5
            "2026-01-04,too precise,1.001,expense,Food",  # 6
            "2026-01-05,transfer,1.00,transfer,Food",  # 7
            "2026-01-06,contradiction,-1.00,income,Food",  # 8
            f"2026-01-07,{'d' * 256},1.00,expense,Food",  # 9
            f"2026-01-08,long category,1.00,expense,{'c' * 51}",  # 10
            "2026-01-09,nul \x00 byte,1.00,expense,Food",  # 11
            "2026-01-10,short row,1.00",  # 12
            "01/11/2026,two at once,abc,expense,Food",  # 13
            '2026-01-12,separators,"1,000.00",expense,Food',  # 14
        ]
    )
    payload = import_csv(as_alice, csv)
    assert (payload["importedCount"], payload["skippedCount"]) == (0, 0)
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [
        ("row 3: date", "INVALID_DATE"),
        ("row 4: amount", "INVALID_AMOUNT"),
        ("row 5: amount", "INVALID_AMOUNT"),
        ("row 6: amount", "INVALID_AMOUNT"),
        ("row 7: type", "INVALID_TYPE"),
        ("row 8: type", "INVALID_TYPE"),
        ("row 9: description", "INVALID_DESCRIPTION"),
        ("row 10: category", "INVALID_CATEGORY"),
        ("row 11: description", "INVALID_DESCRIPTION"),
        ("row 12", "INVALID_CSV"),
        ("row 13: date", "INVALID_DATE"),
        ("row 13: amount", "INVALID_AMOUNT"),
        ("row 14: amount", "INVALID_AMOUNT"),
    ]
    assert payload["errors"][0]["message"].startswith("Row 3, date: ")
    assert nothing_written(alice)


def test_a_bad_row_after_several_batches_undoes_the_batches(as_alice: GraphQLClient, alice: User) -> None:
    rows = [f"2026-01-{day % 28 + 1:02d},item {n},{n}.01,Misc" for n, day in enumerate(range(BATCH_SIZE * 2 + 5))]
    csv = "date,description,amount,category\n" + "\n".join(rows) + "\n2026-01-01,last,oops,Misc\n"
    payload = import_csv(as_alice, csv)
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [
        (f"row {len(rows) + 2}: amount", "INVALID_AMOUNT")
    ]
    assert payload["importedCount"] == 0
    assert nothing_written(alice)


@pytest.mark.parametrize(
    ("csv", "field"),
    [
        ("", "csv"),
        ("date,description,category\n2026-01-01,x,y\n", "row 1"),  # no amount column
        ('date,amount\n2026-01-01,"1.00\n', "row 2"),  # a quote never closed
        ('date,amount\n2026-01-01,"1.00"x\n', "row 2"),  # text after a closing quote
    ],
)
def test_a_file_that_is_not_csv_of_the_shape_is_refused(
    as_alice: GraphQLClient, alice: User, csv: str, field: str
) -> None:
    payload = import_csv(as_alice, csv)
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [(field, "INVALID_CSV")]
    assert nothing_written(alice)


def test_errors_stop_at_one_hundred(as_alice: GraphQLClient, alice: User) -> None:
    csv = "date,amount\n" + "bad,1.00\n" * 150
    errors = import_csv(as_alice, csv)["errors"]
    assert len(errors) == 101
    assert {error["code"] for error in errors[:100]} == {"INVALID_DATE"}
    assert (errors[100]["field"], errors[100]["code"]) == ("csv", "TOO_MANY_ERRORS")
    assert nothing_written(alice)


def test_importing_the_same_file_again_creates_nothing(as_alice: GraphQLClient, alice: User) -> None:
    csv = SIGNED + "2026-02-03,Groceries ☕,-80.10,Groceries\n"  # the same purchase twice is two purchases
    assert import_csv(as_alice, csv) == {"importedCount": 4, "skippedCount": 0, "errors": []}
    version = BalanceVersion.objects.get(user=alice).version
    assert import_csv(as_alice, csv) == {"importedCount": 0, "skippedCount": 4, "errors": []}
    # The same rows spelled differently (header case, amount digits, a type column) are the same rows.
    respelled = (
        "DATE,MEMO,AMOUNT,TYPE,CATEGORY\n"
        "2026-02-03,Groceries ☕,80.10,expense,Groceries\n"
        "2026-02-03,Groceries ☕,80.1,expense,Groceries\n"
        "2026-02-03,Groceries ☕,80.10,expense,Groceries\n"  # a third occurrence is new
    )
    assert import_csv(as_alice, respelled) == {"importedCount": 1, "skippedCount": 2, "errors": []}
    assert Transaction.objects.filter(user=alice).count() == 5
    assert BalanceVersion.objects.get(user=alice).version > version
    assert as_alice.data(BALANCE)["balance"]["expense"] == "1440.30"


def test_import_marks_every_month_dirty_and_analytics_are_exact(as_alice: GraphQLClient, alice: User) -> None:
    import_csv(as_alice, SIGNED)
    assert set(DirtyBucket.objects.filter(user=alice).values_list("month", flat=True)) == {"2026-01", "2026-02"}
    months = as_alice.data('query { monthlySummary(from: "2026-01", to: "2026-02") { month income expense } }')
    assert months["monthlySummary"] == [
        {"month": "2026-01", "income": "3000.00", "expense": "0.00"},
        {"month": "2026-02", "income": "0.00", "expense": "1280.10"},
    ]


def test_export_then_import_round_trips_to_the_cent(as_alice: GraphQLClient, as_bob: GraphQLClient) -> None:
    create(as_alice, "0.01", "INCOME", description="a cent", category="Tiny", date="2025-12-31")
    create(as_alice, "999999999999.99", "INCOME", description="the most", category="Huge", date="2026-01-01")
    create(as_alice, "12.5", description='comma, "quotes"\nand a newline — ☕', category="Odd, one", date="2026-01-01")
    create(as_alice, "7.00", description="", category="Other", date="2026-01-02")
    create(as_alice, "7.00", description="", category="Other", date="2026-01-02")
    exported = export_csv(as_alice)
    assert exported == (
        "date,description,amount,type,category\n"
        "2025-12-31,a cent,0.01,income,Tiny\n"
        '2026-01-01,"comma, ""quotes""\nand a newline — ☕",-12.50,expense,"Odd, one"\n'
        "2026-01-01,the most,999999999999.99,income,Huge\n"
        "2026-01-02,,-7.00,expense,Other\n"
        "2026-01-02,,-7.00,expense,Other\n"
    )
    assert import_csv(as_bob, exported) == {"importedCount": 5, "skippedCount": 0, "errors": []}
    assert listing(as_bob) == listing(as_alice)
    assert export_csv(as_bob) == exported
    assert as_bob.data(BALANCE) == as_alice.data(BALANCE)


def test_export_holds_only_the_callers_rows(as_alice: GraphQLClient, as_bob: GraphQLClient) -> None:
    create(as_alice, "1.00", description="alice's", date="2026-01-01")
    create(as_bob, "2.00", description="bob's secret", date="2026-01-01")
    assert export_csv(as_alice) == "date,description,amount,type,category\n2026-01-01,alice's,-1.00,expense,Other\n"
    assert export_csv(as_bob) == "date,description,amount,type,category\n2026-01-01,bob's secret,-2.00,expense,Other\n"


def test_export_takes_the_transaction_filters(as_alice: GraphQLClient) -> None:
    create(as_alice, "1.00", category="Food", date="2026-01-01")
    create(as_alice, "5.00", "INCOME", category="Gift", date="2026-02-01")
    assert export_csv(as_alice, {"type": "INCOME"}).splitlines()[1:] == ["2026-02-01,,5.00,income,Gift"]
    body = as_alice.post(EXPORT, {"filters": {"dateFrom": "2026-13-01"}})
    assert body["data"] is None
    assert body["errors"][0]["extensions"]["code"] == "INVALID_DATE"


def test_a_csv_over_the_size_cap_is_refused_before_parsing(as_alice: GraphQLClient, alice: User, settings) -> None:
    csv = "date,amount\n" + "2026-01-01,1.00\n" * (settings.CSV_IMPORT_MAX_BYTES // 16)
    assert len(csv.encode()) > settings.CSV_IMPORT_MAX_BYTES  # the real 5 MB cap, through a real request body
    payload = import_csv(as_alice, csv)
    assert [(error["field"], error["code"]) for error in payload["errors"]] == [("csv", "CSV_TOO_LARGE")]
    assert nothing_written(alice)


def test_import_and_export_need_a_user(anonymous: GraphQLClient, db: None) -> None:
    for query, variables in ((IMPORT, {"csv": SIGNED}), (EXPORT, {})):
        body = anonymous.post(query, variables)
        assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert not Transaction.objects.exists()


FORMULAS = [
    ('=HYPERLINK("http://evil.example","Click")', "@SUM(A1:A9)"),
    ("+cmd|' /C calc'!A0", "-2+3"),
    ("'=already quoted", "''@twice"),
    ("'Tis the season", "Rock 'n' roll"),  # apostrophes before other text stay as they are
    ("back\\slash\tand a tab", "C:\\path"),  # COPY's escapes, on PostgreSQL
]


def test_export_neutralises_formulas_and_import_restores_them(as_alice: GraphQLClient, as_bob: GraphQLClient) -> None:
    for description, category in FORMULAS:
        create(as_alice, "1.00", description=description, category=category, date="2026-01-01")
    exported = export_csv(as_alice)
    cells = [line.split(",", 1)[1] for line in exported.splitlines()[1:]]
    for line in cells:
        description = line.split(",")[0].strip('"')
        assert not description.startswith(("=", "+", "-", "@", "\t", "\r")), line
    assert "'=HYPERLINK" in exported and "'@SUM(A1:A9)" in exported and "'+cmd" in exported
    assert ",'-2+3" in exported and "''=already quoted" in exported and "'''@twice" in exported
    assert "'Tis the season" in exported and "''Tis" not in exported
    assert ",-1.00," in exported  # amounts are numbers: never prefixed
    assert import_csv(as_bob, exported)["importedCount"] == len(FORMULAS)
    assert listing(as_bob) == listing(as_alice)
    assert export_csv(as_bob) == exported
