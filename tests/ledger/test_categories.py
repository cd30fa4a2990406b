"""Category identity: one rule (trim, Unicode full case folding), the same vectors the Go e2e test writes through
the API (tests/e2e/test_aggregator.py), and what the API shows for a category spelled several ways."""

import pytest

from ledger.categories import category_key
from tests.conftest import GraphQLClient, create

# (spelling, key). The rule is Python's str.casefold() after strip(): full folding, not lower().
VECTORS = [
    ("Groceries", "groceries"),
    ("  GROCERIES\t", "groceries"),
    ("Straße", "strasse"),
    ("STRASSE", "strasse"),
    ("İstanbul", "i̇stanbul"),  # Turkish dotted capital I: "i" + combining dot above, as Unicode folds it
    ("ISTANBUL", "istanbul"),  # ... so the dotless spelling is another category
    ("ΣΊΣΥΦΟΣ", "σίσυφοσ"),  # final sigma folds to sigma
    ("ﬁnance", "finance"),  # the ligature unfolds
]

BREAKDOWN = 'query { categoryBreakdown(from: "2026-01", to: "2026-01") { category type total transactionCount } }'
LIST = "query($f: TransactionFilter) { transactions(filters: $f) { totalCount } }"


@pytest.mark.parametrize(("spelling", "key"), VECTORS)
def test_the_key_is_trimmed_and_case_folded(spelling: str, key: str) -> None:
    assert category_key(spelling) == key


def test_spellings_of_one_category_are_one_row_named_as_last_written(as_alice: GraphQLClient) -> None:
    create(as_alice, "1.00", category="Straße", date="2026-01-02")
    create(as_alice, "2.00", category="STRASSE", date="2026-01-03")
    create(as_alice, "4.00", category="strasse", date="2026-01-01")  # written last, dated first
    create(as_alice, "8.00", category="İstanbul", date="2026-01-01")
    create(as_alice, "16.00", category="ISTANBUL", date="2026-01-01")
    rows = as_alice.data(BREAKDOWN)["categoryBreakdown"]
    assert rows == [
        {"category": "ISTANBUL", "type": "EXPENSE", "total": "16.00", "transactionCount": 1},
        {"category": "İstanbul", "type": "EXPENSE", "total": "8.00", "transactionCount": 1},
        {"category": "strasse", "type": "EXPENSE", "total": "7.00", "transactionCount": 3},
    ]


def test_the_filter_matches_every_spelling(as_alice: GraphQLClient) -> None:
    for spelling in ("Straße", "STRASSE", "strasse", "Strasse "):
        create(as_alice, "1.00", category=spelling, date="2026-01-01")
    create(as_alice, "1.00", category="Strand", date="2026-01-01")
    for asked in ("STRAßE", "strasse", "  Strasse "):
        assert as_alice.data(LIST, {"f": {"category": asked}})["transactions"]["totalCount"] == 4


def test_an_update_renames_the_category_everywhere(as_alice: GraphQLClient) -> None:
    txn = create(as_alice, "3.00", category="groceries", date="2026-01-05")
    create(as_alice, "2.00", category="groceries", date="2026-01-06")
    update = 'mutation($id: ID!) { updateTransaction(id: $id, input: {category: "Groceries"}) { errors { code } } }'
    as_alice.data(update, {"id": txn["id"]})
    assert [row["category"] for row in as_alice.data(BREAKDOWN)["categoryBreakdown"]] == ["Groceries"]


def test_an_import_merges_spellings_and_names_them_by_the_last_row(as_alice: GraphQLClient) -> None:
    csv = "date,amount,category\n2026-01-01,-1.00,FOOD\n2026-01-02,-2.00,food\n2026-01-03,-3.00,Food\n"
    imported = as_alice.data(
        "mutation($c: String!) { importTransactions(csv: $c) { importedCount errors { code } } }", {"c": csv}
    )["importTransactions"]
    assert imported == {"importedCount": 3, "errors": []}
    rows = as_alice.data(BREAKDOWN)["categoryBreakdown"]
    assert rows == [{"category": "Food", "type": "EXPENSE", "total": "6.00", "transactionCount": 3}]


def test_one_users_spelling_does_not_rename_anothers(as_alice: GraphQLClient, as_bob: GraphQLClient) -> None:
    create(as_alice, "1.00", category="Rent", date="2026-01-01")
    create(as_bob, "1.00", category="RENT", date="2026-01-01")
    assert as_alice.data(BREAKDOWN)["categoryBreakdown"][0]["category"] == "Rent"
    assert as_bob.data(BREAKDOWN)["categoryBreakdown"][0]["category"] == "RENT"
