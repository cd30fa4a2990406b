"""importTransactions / exportTransactions through the GraphQL endpoint: all or nothing, row-numbered errors,
idempotent re-import, ledger accounts and currencies (issue 12), and an export that imports back exactly."""

import datetime
import hashlib
import uuid

import pytest
from django.db import transaction

from accounts.models import User
from ledger.bulk_insert import insert_transactions
from ledger.imports import BATCH_SIZE
from ledger.models import BalanceVersion, DirtyBucket, Transaction
from ledger.services import ensure_default_account
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
        "date,description,amount,type,category,account,currency\n"
        "2025-12-31,a cent,0.01,income,Tiny,Main,USD\n"
        '2026-01-01,"comma, ""quotes""\nand a newline — ☕",-12.50,expense,"Odd, one",Main,USD\n'
        "2026-01-01,the most,999999999999.99,income,Huge,Main,USD\n"
        "2026-01-02,,-7.00,expense,Other,Main,USD\n"
        "2026-01-02,,-7.00,expense,Other,Main,USD\n"
    )
    assert import_csv(as_bob, exported) == {"importedCount": 5, "skippedCount": 0, "errors": []}
    assert listing(as_bob) == listing(as_alice)
    assert export_csv(as_bob) == exported
    assert as_bob.data(BALANCE) == as_alice.data(BALANCE)


def test_export_holds_only_the_callers_rows(as_alice: GraphQLClient, as_bob: GraphQLClient) -> None:
    create(as_alice, "1.00", description="alice's", date="2026-01-01")
    create(as_bob, "2.00", description="bob's secret", date="2026-01-01")
    header = "date,description,amount,type,category,account,currency\n"
    assert export_csv(as_alice) == header + "2026-01-01,alice's,-1.00,expense,Other,Main,USD\n"
    assert export_csv(as_bob) == header + "2026-01-01,bob's secret,-2.00,expense,Other,Main,USD\n"


def test_export_takes_the_transaction_filters(as_alice: GraphQLClient) -> None:
    create(as_alice, "1.00", category="Food", date="2026-01-01")
    create(as_alice, "5.00", "INCOME", category="Gift", date="2026-02-01")
    assert export_csv(as_alice, {"type": "INCOME"}).splitlines()[1:] == ["2026-02-01,,5.00,income,Gift,Main,USD"]
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


# Ledger accounts and currencies (issue 12): which account each row goes into, its currency's digits, and a round
# trip of an export that spans accounts and currencies.

IMPORT_INTO = """
mutation ImportInto($csv: String!, $accountId: ID) {
  importTransactions(csv: $csv, accountId: $accountId) { importedCount skippedCount errors { field message code } }
}
"""
CREATE_ACCOUNT = """
mutation CreateAccount($input: CreateAccountInput!) {
  createAccount(input: $input) { account { id name currency } errors { field message code } }
}
"""
ARCHIVE = "mutation Archive($id: ID!) { updateAccount(id: $id, input: {archived: true}) { errors { code } } }"
LIST_WITH_ACCOUNTS = """
query { transactions(first: 500) { edges { node { amount type description category date currency account { name } } } } }
"""
ACCOUNT_BALANCES = "query { accounts(includeArchived: true) { name currency balance } netWorth { currency total } }"


def open_account(client: GraphQLClient, name: str, currency: str) -> str:
    payload = client.data(CREATE_ACCOUNT, {"input": {"name": name, "kind": "CHECKING", "currency": currency}})
    assert payload["createAccount"]["errors"] == []
    return payload["createAccount"]["account"]["id"]


def import_into(client: GraphQLClient, csv: str, account_id: str | None) -> dict:
    return client.data(IMPORT_INTO, {"csv": csv, "accountId": account_id})["importTransactions"]


def refusals(payload: dict) -> list[tuple[str, str]]:
    assert (payload["importedCount"], payload["skippedCount"]) == (0, 0)
    return [(error["field"], error["code"]) for error in payload["errors"]]


def listing_by_account(client: GraphQLClient) -> list[tuple]:
    edges = client.data(LIST_WITH_ACCOUNTS)["transactions"]["edges"]
    return sorted(
        (node["account"]["name"], node["currency"], node["date"], node["type"], node["amount"], node["description"])
        for node in (edge["node"] for edge in edges)
    )


def rows_written(user: User) -> int:
    return Transaction.objects.filter(user=user).count()


def test_account_id_puts_every_row_into_that_account_in_its_currency(as_alice: GraphQLClient) -> None:
    yen = open_account(as_alice, "Tokyo", "JPY")
    csv = "date,description,amount,currency\n2026-01-05,Ramen,-1200,JPY\n2026-01-06,Gift,5000,jpy\n"
    assert import_into(as_alice, csv, yen) == {"importedCount": 2, "skippedCount": 0, "errors": []}
    assert listing_by_account(as_alice) == [
        ("Tokyo", "JPY", "2026-01-05", "EXPENSE", "1200", "Ramen"),
        ("Tokyo", "JPY", "2026-01-06", "INCOME", "5000", "Gift"),
    ]
    assert sorted(Transaction.objects.filter(account_id=yen).values_list("amount_minor", flat=True)) == [1200, 5000]
    assert as_alice.data(BALANCE)["balance"]["transactionCount"] == 0  # the default currency's (USD) figures


@pytest.mark.parametrize(
    ("currency", "good", "minor", "too_precise"),
    [("JPY", "1200", 1200, "1200.5"), ("KWD", "1.250", 1250, "1.2505"), ("USD", "12.5", 1250, "12.505")],
)
def test_amounts_take_exactly_the_digits_of_the_accounts_currency(
    as_alice: GraphQLClient, alice: User, currency: str, good: str, minor: int, too_precise: str
) -> None:
    account = open_account(as_alice, f"In {currency}", currency)
    bad = f"date,amount\n2026-01-01,-{good}\n2026-01-02,-{too_precise}\n"
    payload = import_into(as_alice, bad, account)
    assert refusals(payload) == [("row 3: amount", "INVALID_AMOUNT")]
    assert "more decimals than its currency has" in payload["errors"][0]["message"]
    assert rows_written(alice) == 0
    assert import_into(as_alice, f"date,amount\n2026-01-01,-{good}\n", account)["importedCount"] == 1
    assert list(Transaction.objects.filter(user=alice).values_list("amount_minor", "type")) == [(minor, "expense")]


def test_a_currency_column_must_be_the_rows_accounts_currency(as_alice: GraphQLClient, alice: User) -> None:
    yen = open_account(as_alice, "Tokyo", "JPY")
    csv = (
        "date,amount,currency,account\n"
        "2026-01-01,-1200,JPY,Tokyo\n"  # 2: fine
        "2026-01-02,-12.50,JPY,\n"  # 3: the default account is in USD
        "2026-01-03,-1200,USD,tokyo\n"  # 4: Tokyo is in JPY
        "2026-01-04,-1200,YEN,Tokyo\n"  # 5: not a code
        "2026-01-05,-12.50,usd,\n"  # 6: fine, any case
        "2026-01-06,-12.50,,\n"  # 7: fine, no currency given
    )
    payload = import_csv(as_alice, csv)
    assert refusals(payload) == [
        ("row 3: currency", "CURRENCY_MISMATCH"),
        ("row 4: currency", "CURRENCY_MISMATCH"),
        ("row 5: currency", "INVALID_CURRENCY"),
    ]
    assert payload["errors"][0]["message"] == 'Row 3, currency: JPY is not the currency of the account "Main" (USD).'
    assert rows_written(alice) == 0
    # With the account given, the column is checked against it just the same.
    assert refusals(import_into(as_alice, "date,amount,currency\n2026-01-01,-1250,USD\n", yen)) == [
        ("row 2: currency", "CURRENCY_MISMATCH")
    ]
    assert rows_written(alice) == 0


def test_without_account_id_the_account_column_routes_each_row(as_alice: GraphQLClient, alice: User) -> None:
    open_account(as_alice, "Savings", "USD")
    open_account(as_alice, "Tokyo", "JPY")
    csv = (
        "date,description,amount,account\n"
        "2026-01-01,to savings,10.00,savings\n"
        "2026-01-02,to main,-2.50,  MAIN \n"
        "2026-01-03,to the default,-3.00,\n"
        "2026-01-04,in yen,-300,Tokyo\n"
    )
    unknown = csv + "2026-01-05,nowhere,-1.00,Holiday fund\n"
    payload = import_csv(as_alice, unknown)
    assert refusals(payload) == [("row 6: account", "NOT_FOUND")]
    assert payload["errors"][0]["message"].startswith('Row 6, account: You have no account named "Holiday fund":')
    assert rows_written(alice) == 0
    assert import_csv(as_alice, csv) == {"importedCount": 4, "skippedCount": 0, "errors": []}
    assert listing_by_account(as_alice) == [
        ("Main", "USD", "2026-01-02", "EXPENSE", "2.50", "to main"),
        ("Main", "USD", "2026-01-03", "EXPENSE", "3.00", "to the default"),
        ("Savings", "USD", "2026-01-01", "INCOME", "10.00", "to savings"),
        ("Tokyo", "JPY", "2026-01-04", "EXPENSE", "300", "in yen"),
    ]
    assert set(DirtyBucket.objects.filter(user=alice).values_list("month", flat=True)) == {"2026-01"}


def test_a_file_without_an_account_column_goes_into_the_default_account(as_alice: GraphQLClient) -> None:
    savings = open_account(as_alice, "Savings", "EUR")
    as_alice.data("mutation($id: ID!) { setDefaultAccount(id: $id) { errors { code } } }", {"id": savings})
    assert import_csv(as_alice, "date,amount\n2026-01-01,-1.25\n")["importedCount"] == 1
    assert listing_by_account(as_alice) == [("Savings", "EUR", "2026-01-01", "EXPENSE", "1.25", "")]


def test_with_account_id_an_account_column_is_not_read(as_alice: GraphQLClient, alice: User) -> None:
    # A bank export's "Account" column holds account numbers: with accountId every row goes where the caller said.
    savings = open_account(as_alice, "Savings", "USD")
    csv = "date,amount,Account\n2026-01-01,-1.00,DE44 5001\n2026-01-02,-2.00,\n2026-01-03,-3.00,Main\n"
    assert import_into(as_alice, csv, savings)["importedCount"] == 3
    assert {row[0] for row in listing_by_account(as_alice)} == {"Savings"}
    assert rows_written(alice) == 3


def test_without_account_id_an_unknown_account_name_says_how_to_import_into_one(
    as_alice: GraphQLClient, alice: User
) -> None:
    payload = import_csv(as_alice, "date,amount,Account\n2026-01-01,-1.00,DE44 5001\n")
    assert refusals(payload) == [("row 2: account", "NOT_FOUND")]
    assert "give accountId to import every row into one account" in payload["errors"][0]["message"]
    assert rows_written(alice) == 0


def test_an_archived_account_takes_no_rows(as_alice: GraphQLClient, alice: User) -> None:
    old = open_account(as_alice, "Old card", "USD")
    assert as_alice.data(ARCHIVE, {"id": old})["updateAccount"]["errors"] == []
    versions = BalanceVersion.objects.get(user=alice).version
    payload = import_into(as_alice, "date,amount\n2026-01-01,-1.00\n", old)
    assert refusals(payload) == [("accountId", "ACCOUNT_ARCHIVED")]
    assert (
        payload["errors"][0]["message"]
        == 'The account "Old card" is archived: it keeps its entries but takes no new ones.'
    )
    payload = import_csv(as_alice, "date,amount,account\n2026-01-01,-1.00,Main\n2026-01-02,-1.00,old card\n")
    assert refusals(payload) == [("row 3: account", "ACCOUNT_ARCHIVED")]
    assert rows_written(alice) == 0
    assert BalanceVersion.objects.get(user=alice).version == versions


@pytest.mark.parametrize("whose", ["bob's", "missing", "not an id"])
def test_an_account_id_that_is_not_the_callers_answers_not_found(
    as_alice: GraphQLClient, as_bob: GraphQLClient, alice: User, bob: User, whose: str
) -> None:
    account_id = {
        "bob's": open_account(as_bob, "Bob's savings", "USD"),
        "missing": str(uuid.uuid4()),
        "not an id": "not-an-id",
    }[whose]
    payload = import_into(as_alice, SIGNED, account_id)
    assert payload["errors"] == [{"field": "accountId", "message": "No account with this id.", "code": "NOT_FOUND"}]
    assert (payload["importedCount"], payload["skippedCount"]) == (0, 0)
    assert nothing_written(alice)
    assert rows_written(bob) == 0


def test_the_same_rows_in_two_accounts_are_two_sets_of_transactions(as_alice: GraphQLClient, alice: User) -> None:
    savings = open_account(as_alice, "Savings", "USD")
    assert import_csv(as_alice, SIGNED) == {"importedCount": 3, "skippedCount": 0, "errors": []}
    assert import_into(as_alice, SIGNED, savings) == {"importedCount": 3, "skippedCount": 0, "errors": []}
    assert import_into(as_alice, SIGNED, savings) == {"importedCount": 0, "skippedCount": 3, "errors": []}
    # The default account's rows named by the column, or imported without one: already there either way.
    named = "date,description,amount,category,account\n" + "".join(line + ",main\n" for line in SIGNED.splitlines()[1:])
    assert import_csv(as_alice, named) == {"importedCount": 0, "skippedCount": 3, "errors": []}
    assert import_csv(as_alice, SIGNED) == {"importedCount": 0, "skippedCount": 3, "errors": []}
    assert rows_written(alice) == 6


def _key_before_accounts(date: str, kind: str, amount_minor: int, category: str, description: str, n: int) -> str:
    """How imports keyed a row before ledger accounts existed (values and occurrence, no account): pinned here, as
    the keys already stored in databases are."""
    digest = hashlib.sha256("\x1f".join((date, kind, str(amount_minor), category, description)).encode()).digest()
    return "csv:" + hashlib.sha256(digest + n.to_bytes(8, "big")).hexdigest()


def test_rows_imported_before_accounts_existed_are_still_already_imported(as_alice: GraphQLClient, alice: User) -> None:
    main = ensure_default_account(user=alice)
    old_rows = [
        (datetime.date(2026, 1, 31), 300000, "income", "Salary", "ACME payroll", 1),
        (datetime.date(2026, 2, 1), 120000, "expense", "Rent", "Rent, February", 1),
        (datetime.date(2026, 2, 3), 8010, "expense", "Groceries", "Groceries ☕", 1),
    ]
    with transaction.atomic():
        insert_transactions(
            alice.pk,
            [
                (
                    day,
                    amount,
                    kind,
                    category,
                    text,
                    _key_before_accounts(day.isoformat(), kind, amount, category, text, n),
                )
                for day, amount, kind, category, text, n in old_rows
            ],
            account_id=main.pk,
        )
    assert import_csv(as_alice, SIGNED) == {"importedCount": 0, "skippedCount": 3, "errors": []}
    # Whichever account is the default today: the old rows are where they were imported.
    other = open_account(as_alice, "Other bank", "USD")
    as_alice.data("mutation($id: ID!) { setDefaultAccount(id: $id) { errors { code } } }", {"id": other})
    assert import_into(as_alice, SIGNED, str(main.pk)) == {"importedCount": 0, "skippedCount": 3, "errors": []}
    assert import_csv(as_alice, SIGNED) == {"importedCount": 3, "skippedCount": 0, "errors": []}
    assert rows_written(alice) == 6


def test_export_names_each_rows_account_and_currency_with_its_digits(as_alice: GraphQLClient) -> None:
    yen = open_account(as_alice, "Tokyo", "JPY")
    dinar = open_account(as_alice, "Kuwait", "KWD")
    create(as_alice, "12.50", description="lunch", category="Food", date="2026-01-02")
    create(as_alice, "1200", description="ramen", category="Food", date="2026-01-02", accountId=yen)
    create(as_alice, "1.250", "INCOME", description="refund", category="Misc", date="2026-01-01", accountId=dinar)
    header = "date,description,amount,type,category,account,currency\n"
    assert export_csv(as_alice) == header + (
        "2026-01-01,refund,1.250,income,Misc,Kuwait,KWD\n"
        "2026-01-02,lunch,-12.50,expense,Food,Main,USD\n"
        "2026-01-02,ramen,-1200,expense,Food,Tokyo,JPY\n"
    )
    assert export_csv(as_alice, {"accountId": yen}) == header + "2026-01-02,ramen,-1200,expense,Food,Tokyo,JPY\n"
    assert export_csv(as_alice, {"currency": "kwd"}) == header + "2026-01-01,refund,1.250,income,Misc,Kuwait,KWD\n"


def test_a_multi_account_multi_currency_export_imports_back_exactly(
    as_alice: GraphQLClient, as_bob: GraphQLClient, bob: User
) -> None:
    accounts = [("Tokyo", "JPY"), ("Kuwait", "KWD"), ("Euro card", "EUR"), ("=Cash+1", "USD")]
    for name, currency in accounts:
        open_account(as_alice, name, currency)
    ids = {account["name"]: account["id"] for account in as_alice.data("query { accounts { id name } }")["accounts"]}
    rows = [
        ("Main", "3000.00", "INCOME", "payroll", "Salary", "2026-01-31"),
        ("Main", "7.00", "EXPENSE", "coffee", "Food", "2026-02-01"),
        ("Tokyo", "1200", "EXPENSE", "coffee", "Food", "2026-02-01"),  # the same row in three accounts
        ("Tokyo", "1200", "EXPENSE", "coffee", "Food", "2026-02-01"),  # and twice in one
        ("Euro card", "7.00", "EXPENSE", "coffee", "Food", "2026-02-01"),
        ("Kuwait", "0.001", "INCOME", "the smallest fils", "Tiny", "2026-02-02"),
        ("Kuwait", "999999999999.999", "INCOME", "the most", "Huge", "2026-02-02"),
        ("=Cash+1", "0.01", "EXPENSE", "@formula account", "+Odd, one", "2026-03-01"),
    ]
    for account, amount, kind, description, category, day in rows:
        create(as_alice, amount, kind, description=description, category=category, date=day, accountId=ids[account])
    exported = export_csv(as_alice)
    assert exported.splitlines()[0] == "date,description,amount,type,category,account,currency"
    assert "2026-02-01,coffee,-1200,expense,Food,Tokyo,JPY" in exported
    assert "2026-02-02,the smallest fils,0.001,income,Tiny,Kuwait,KWD" in exported
    assert "'=Cash+1,USD" in exported and "'@formula account" in exported

    # Bob has accounts of the same names (any case) and currencies, made in another order.
    for name, currency in reversed(accounts):
        open_account(as_bob, name.upper() if name == "Tokyo" else name, currency)
    payload = import_csv(as_bob, exported)
    assert payload == {"importedCount": len(rows), "skippedCount": 0, "errors": []}
    alice_rows = listing_by_account(as_alice)
    assert [row[0].casefold() for row in listing_by_account(as_bob)] == [row[0].casefold() for row in alice_rows]
    assert [row[1:] for row in listing_by_account(as_bob)] == [row[1:] for row in alice_rows]
    assert export_csv(as_bob) == exported.replace(",Tokyo,", ",TOKYO,")
    assert import_csv(as_bob, exported) == {"importedCount": 0, "skippedCount": len(rows), "errors": []}
    bobs, alices = as_bob.data(ACCOUNT_BALANCES), as_alice.data(ACCOUNT_BALANCES)
    assert bobs["netWorth"] == alices["netWorth"]
    assert sorted((a["name"].casefold(), a["currency"], a["balance"]) for a in bobs["accounts"]) == sorted(
        (a["name"].casefold(), a["currency"], a["balance"]) for a in alices["accounts"]
    )
    assert as_bob.data(BALANCE) == as_alice.data(BALANCE)
    assert rows_written(bob) == len(rows)


def test_a_wrong_digit_count_in_one_account_does_not_stop_other_rows_being_checked(as_alice: GraphQLClient) -> None:
    open_account(as_alice, "Tokyo", "JPY")
    csv = "date,amount,account,currency\n2026-01-01,-1.50,Tokyo,\n2026-13-01,abc,Nowhere,XX\n"
    assert refusals(import_csv(as_alice, csv)) == [
        ("row 2: amount", "INVALID_AMOUNT"),
        ("row 3: date", "INVALID_DATE"),
        ("row 3: amount", "INVALID_AMOUNT"),
        ("row 3: account", "NOT_FOUND"),
        ("row 3: currency", "INVALID_CURRENCY"),
    ]
