"""`changes`, `history` and `changeCursor` through the GraphQL endpoint: every write kind appends exactly one change
per record it changed, with the record as it was; refused writes append none; paging resumes exactly across
clients; an expired cursor answers CURSOR_EXPIRED; callers only ever see their own changes."""

import datetime
import io
import threading
import uuid

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from accounts.models import User
from accounts.tokens import issue_token_pair
from ledger.models import Change
from tests.conftest import GraphQLClient, create, make_user

SNAPSHOTS = """
    transaction { id amount currency type category description date account { id name } }
    transfer { id amount toAmount date fromAccount { id } toAccount { id } }
    account { id name currency kind isDefault archived openingBalance }
    budget { id category amount currency startMonth endMonth rollover }
    recurringRule { id amount category paused nextDate account { id } }
"""
CHANGES = f"""
query Changes($after: String, $first: Int) {{
  changes(after: $after, first: $first) {{
    changes {{ sequence operation entityType entityId at {SNAPSHOTS} }}
    cursor hasMore
  }}
}}
"""
HISTORY = f"""
query History($id: ID!) {{
  history(entityId: $id) {{ sequence operation entityType entityId at {SNAPSHOTS} }}
}}
"""
CURSOR = "query { changeCursor }"
UPDATE = """
mutation Update($id: ID!, $input: UpdateTransactionInput!) {
  updateTransaction(id: $id, input: $input) { transaction { id } errors { field code } }
}
"""
DELETE = "mutation Delete($id: ID!) { deleteTransaction(id: $id) { deletedId errors { field code } } }"
CREATE_ACCOUNT = """
mutation CreateAccount($input: CreateAccountInput!) {
  createAccount(input: $input) { account { id } errors { field code } }
}
"""
UPDATE_ACCOUNT = """
mutation UpdateAccount($id: ID!, $input: UpdateAccountInput!) {
  updateAccount(id: $id, input: $input) { account { id } errors { field code } }
}
"""
DELETE_ACCOUNT = "mutation DeleteAccount($id: ID!) { deleteAccount(id: $id) { deletedId errors { field code } } }"
SET_DEFAULT = "mutation SetDefault($id: ID!) { setDefaultAccount(id: $id) { account { id } errors { field code } } }"
CREATE_TRANSFER = """
mutation CreateTransfer($input: CreateTransferInput!) {
  createTransfer(input: $input) { transfer { id } errors { field code } }
}
"""
UPDATE_TRANSFER = """
mutation UpdateTransfer($id: ID!, $input: UpdateTransferInput!) {
  updateTransfer(id: $id, input: $input) { transfer { id } errors { field code } }
}
"""
DELETE_TRANSFER = "mutation DeleteTransfer($id: ID!) { deleteTransfer(id: $id) { deletedId errors { field code } } }"
SET_BUDGET = """
mutation SetBudget($input: SetBudgetInput!) { setBudget(input: $input) { budget { id } errors { field code } } }
"""
DELETE_BUDGET = "mutation DeleteBudget($id: ID!) { deleteBudget(id: $id) { deletedId errors { field code } } }"
CREATE_RULE = """
mutation CreateRule($input: CreateRecurringRuleInput!) {
  createRecurringRule(input: $input) { rule { id } errors { field code } }
}
"""
UPDATE_RULE = """
mutation UpdateRule($id: ID!, $input: UpdateRecurringRuleInput!) {
  updateRecurringRule(id: $id, input: $input) { rule { id } errors { field code } }
}
"""
PAUSE_RULE = "mutation Pause($id: ID!) { pauseRecurringRule(id: $id) { rule { id } errors { field code } } }"
RESUME_RULE = "mutation Resume($id: ID!) { resumeRecurringRule(id: $id) { rule { id } errors { field code } } }"
SKIP = """
mutation Skip($id: ID!, $date: Date!) { skipOccurrence(ruleId: $id, date: $date) { rule { id } errors { field code } } }
"""
DELETE_RULE = "mutation DeleteRule($id: ID!) { deleteRecurringRule(id: $id) { deletedId errors { field code } } }"
IMPORT = """
mutation Import($csv: String!) { importTransactions(csv: $csv) { importedCount skippedCount errors { code } } }
"""


def write(client: GraphQLClient, mutation: str, variables: dict) -> dict:
    """Run a mutation that must succeed; returns its payload."""
    payload = next(iter(client.data(mutation, variables).values()))
    assert payload["errors"] == [], payload
    return payload


def refused(client: GraphQLClient, mutation: str, variables: dict) -> None:
    payload = next(iter(client.data(mutation, variables).values()))
    assert len(payload["errors"]) >= 1, payload


def page(client: GraphQLClient, after: str | None = None, first: int | None = None) -> dict:
    variables: dict = {"after": after}
    if first is not None:
        variables["first"] = first
    return client.data(CHANGES, variables)["changes"]


def all_changes(client: GraphQLClient) -> list[dict]:
    return page(client, first=500)["changes"]


def summary(changes: list[dict]) -> list[tuple[str, str, str]]:
    return [(change["entityType"], change["operation"], change["entityId"]) for change in changes]


def new_since(client: GraphQLClient, cursor: str) -> tuple[list[tuple[str, str, str]], str]:
    """The changes after `cursor` (all pages) and the cursor after them."""
    seen = []
    while True:
        got = page(client, cursor, first=2)
        seen += got["changes"]
        cursor = got["cursor"]
        if not got["hasMore"]:
            return summary(seen), cursor


def test_a_new_user_has_no_changes_and_a_cursor_that_resumes(as_alice: GraphQLClient) -> None:
    first = page(as_alice)
    assert first["changes"] == [] and first["hasMore"] is False
    assert as_alice.data(CURSOR)["changeCursor"] == first["cursor"]
    txn = create(as_alice, "1.00")  # creates the default account too
    changes, cursor = new_since(as_alice, first["cursor"])
    assert [(kind, op) for kind, op, _ in changes] == [("ACCOUNT", "CREATED"), ("TRANSACTION", "CREATED")]
    assert changes[1][2] == txn["id"]
    assert page(as_alice, cursor) == {"changes": [], "cursor": cursor, "hasMore": False}


def test_every_write_kind_appends_one_change_per_record(as_alice: GraphQLClient) -> None:
    cursor = as_alice.data(CURSOR)["changeCursor"]

    def then(*expected: tuple[str, str, str]) -> None:
        nonlocal cursor
        changes, cursor = new_since(as_alice, cursor)
        assert changes == list(expected)

    txn = create(as_alice, "10.00", category="Food", date="2026-03-01")
    main = as_alice.data("query { me { defaultAccount { id } } }")["me"]["defaultAccount"]["id"]
    then(("ACCOUNT", "CREATED", main), ("TRANSACTION", "CREATED", txn["id"]))
    write(as_alice, UPDATE, {"id": txn["id"], "input": {"amount": "11.00"}})
    then(("TRANSACTION", "UPDATED", txn["id"]))
    write(as_alice, DELETE, {"id": txn["id"]})
    then(("TRANSACTION", "DELETED", txn["id"]))

    savings = write(as_alice, CREATE_ACCOUNT, {"input": {"name": "Savings", "kind": "SAVINGS"}})["account"]["id"]
    then(("ACCOUNT", "CREATED", savings))
    write(as_alice, UPDATE_ACCOUNT, {"id": savings, "input": {"name": "Rainy day"}})
    then(("ACCOUNT", "UPDATED", savings))
    write(as_alice, SET_DEFAULT, {"id": savings})
    then(("ACCOUNT", "UPDATED", main), ("ACCOUNT", "UPDATED", savings))
    write(as_alice, SET_DEFAULT, {"id": main})
    then(("ACCOUNT", "UPDATED", savings), ("ACCOUNT", "UPDATED", main))

    move = {"fromAccountId": main, "toAccountId": savings, "amount": "5.00", "date": "2026-03-02"}
    transfer = write(as_alice, CREATE_TRANSFER, {"input": move})["transfer"]["id"]
    then(("TRANSFER", "CREATED", transfer))
    write(as_alice, UPDATE_TRANSFER, {"id": transfer, "input": {"amount": "6.00"}})
    then(("TRANSFER", "UPDATED", transfer))
    write(as_alice, DELETE_TRANSFER, {"id": transfer})
    then(("TRANSFER", "DELETED", transfer))

    spare = write(as_alice, CREATE_ACCOUNT, {"input": {"name": "Spare", "kind": "CASH"}})["account"]["id"]
    write(as_alice, DELETE_ACCOUNT, {"id": spare})
    then(("ACCOUNT", "CREATED", spare), ("ACCOUNT", "DELETED", spare))

    whole = write(as_alice, SET_BUDGET, {"input": {"category": "Food", "amount": "300", "fromMonth": "2026-01"}})
    whole = whole["budget"]["id"]
    then(("BUDGET", "CREATED", whole))
    # From March to May only: the open-ended row is split (head kept and ended, tail created), then the new row.
    middle = write(
        as_alice,
        SET_BUDGET,
        {"input": {"category": "food", "amount": "250", "fromMonth": "2026-03", "endMonth": "2026-05"}},
    )["budget"]["id"]
    changes, cursor = new_since(as_alice, cursor)
    tail = next(entity for kind, op, entity in changes if op == "CREATED" and entity != middle)
    assert changes == [("BUDGET", "CREATED", tail), ("BUDGET", "UPDATED", whole), ("BUDGET", "CREATED", middle)]
    # Over the middle row exactly: it is deleted, then the new one created.
    inner = write(
        as_alice,
        SET_BUDGET,
        {"input": {"category": "Food", "amount": "200", "fromMonth": "2026-03", "endMonth": "2026-05"}},
    )["budget"]["id"]
    then(("BUDGET", "DELETED", middle), ("BUDGET", "CREATED", inner))
    write(as_alice, DELETE_BUDGET, {"id": inner})
    then(("BUDGET", "DELETED", inner))

    rule_input = {"amount": "9.99", "type": "EXPENSE", "frequency": "MONTHLY", "startDate": "2099-01-15"}
    rule = write(as_alice, CREATE_RULE, {"input": rule_input})["rule"]["id"]
    then(("RECURRING_RULE", "CREATED", rule))
    write(as_alice, UPDATE_RULE, {"id": rule, "input": {"amount": "12.00"}})
    write(as_alice, PAUSE_RULE, {"id": rule})
    write(as_alice, PAUSE_RULE, {"id": rule})  # already paused: changes nothing, so no change
    write(as_alice, RESUME_RULE, {"id": rule})
    write(as_alice, SKIP, {"id": rule, "date": "2099-02-15"})
    write(as_alice, SKIP, {"id": rule, "date": "2099-02-15"})  # already skipped: no change
    write(as_alice, DELETE_RULE, {"id": rule})
    then(
        ("RECURRING_RULE", "UPDATED", rule),
        ("RECURRING_RULE", "UPDATED", rule),
        ("RECURRING_RULE", "UPDATED", rule),
        ("RECURRING_RULE", "UPDATED", rule),
        ("RECURRING_RULE", "DELETED", rule),
    )

    imported = write(as_alice, IMPORT, {"csv": "date,amount,description\n2026-01-01,-1.00,a\n2026-01-02,2.00,b\n"})
    assert imported["importedCount"] == 2
    changes, cursor = new_since(as_alice, cursor)
    assert [(kind, op) for kind, op, _ in changes] == [("TRANSACTION", "CREATED")] * 2
    write(as_alice, IMPORT, {"csv": "date,amount,description\n2026-01-01,-1.00,a\n2026-01-02,2.00,b\n"})
    then()  # a re-import creates nothing: no change either
    sequences = [int(change["sequence"]) for change in all_changes(as_alice)]
    assert sequences == list(range(1, len(sequences) + 1))


def test_snapshots_show_each_record_as_it_was(as_alice: GraphQLClient) -> None:
    txn = create(as_alice, "12.50", category="Food", description="lunch", date="2026-03-14")
    write(as_alice, UPDATE, {"id": txn["id"], "input": {"amount": "13.00", "category": "Dining"}})
    write(as_alice, DELETE, {"id": txn["id"]})
    history = as_alice.data(HISTORY, {"id": txn["id"]})["history"]
    assert [change["operation"] for change in history] == ["CREATED", "UPDATED", "DELETED"]
    assert [change["entityType"] for change in history] == ["TRANSACTION"] * 3
    assert [(c["transaction"]["amount"], c["transaction"]["category"]) for c in history] == [
        ("12.50", "Food"),
        ("13.00", "Dining"),
        ("13.00", "Dining"),  # a delete shows the record as it was before it
    ]
    first = history[0]
    assert first["transaction"] == {
        "id": txn["id"],
        "amount": "12.50",
        "currency": "USD",
        "type": "EXPENSE",
        "category": "Food",
        "description": "lunch",
        "date": "2026-03-14",
        "account": first["transaction"]["account"],
    }
    assert first["transaction"]["account"]["name"] == "Main"
    assert all(change[kind] is None for change in history for kind in ("transfer", "account", "budget"))
    assert [int(change["sequence"]) for change in history] == sorted(int(change["sequence"]) for change in history)


def test_a_deleted_accounts_records_still_read_in_its_currency(as_alice: GraphQLClient) -> None:
    yen = write(as_alice, CREATE_ACCOUNT, {"input": {"name": "Tokyo", "kind": "CASH", "currency": "JPY"}})
    yen = yen["account"]["id"]
    txn = create(as_alice, "1200", accountId=yen, date="2026-03-14")
    write(as_alice, DELETE, {"id": txn["id"]})
    write(as_alice, DELETE_ACCOUNT, {"id": yen})
    history = as_alice.data(HISTORY, {"id": txn["id"]})["history"]
    assert [(c["transaction"]["amount"], c["transaction"]["currency"]) for c in history] == [("1200", "JPY")] * 2
    assert history[0]["transaction"]["account"] == {"id": yen, "name": "Tokyo"}  # as its last change left it
    account_history = as_alice.data(HISTORY, {"id": yen})["history"]
    assert [(c["operation"], c["account"]["currency"]) for c in account_history] == [
        ("CREATED", "JPY"),
        ("DELETED", "JPY"),
    ]


def test_refused_writes_append_no_change(as_alice: GraphQLClient) -> None:
    txn = create(as_alice, "1.00")
    before = all_changes(as_alice)
    refused(as_alice, UPDATE, {"id": txn["id"], "input": {"amount": "-5"}})
    refused(as_alice, DELETE, {"id": str(uuid.uuid4())})
    refused(as_alice, CREATE_ACCOUNT, {"input": {"name": "Main", "kind": "CASH"}})  # taken name
    refused(as_alice, SET_BUDGET, {"input": {"category": "", "amount": "1", "fromMonth": "2026-13"}})
    bad_csv = as_alice.data(IMPORT, {"csv": "date,amount\n2026-01-01,1.00\nnot-a-date,2.00\n"})["importTransactions"]
    assert bad_csv["importedCount"] == 0 and len(bad_csv["errors"]) == 1
    assert all_changes(as_alice) == before


def test_paging_resumes_exactly_across_clients(alice: User, as_alice: GraphQLClient) -> None:
    for cents in range(1, 8):
        create(as_alice, f"0.0{cents}")
    everything = all_changes(as_alice)
    assert len(everything) == 8  # the default account and seven transactions
    seen, cursor = [], None
    while True:
        # A new client (a restarted app) each time, holding only the stored cursor.
        client = GraphQLClient(http=Client(), token=issue_token_pair(alice).token)
        got = page(client, cursor, first=3)
        seen += got["changes"]
        cursor = got["cursor"]
        if not got["hasMore"]:
            break
    assert seen == everything
    assert page(as_alice, cursor)["changes"] == []
    create(as_alice, "0.09")
    assert [c["sequence"] for c in page(as_alice, cursor)["changes"]] == ["9"]
    first_page = page(as_alice, None, first=0)
    assert first_page["changes"] == [] and first_page["hasMore"] is True
    assert page(as_alice, first_page["cursor"], first=1)["changes"] == everything[:1]


def test_an_expired_cursor_answers_cursor_expired(alice: User, as_alice: GraphQLClient) -> None:
    start = as_alice.data(CURSOR)["changeCursor"]
    for cents in range(1, 4):
        create(as_alice, f"0.0{cents}")
    middle = page(as_alice, start, first=2)["cursor"]  # after the account and the first transaction
    # The first three changes fall out of the retention.
    long_ago = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
    Change.objects.filter(user=alice, sequence__lte=3).update(at=long_ago)
    call_command("prune_changes", stdout=io.StringIO())
    assert list(Change.objects.filter(user=alice).values_list("sequence", flat=True)) == [4]
    for cursor in (start, middle):
        body = as_alice.post(CHANGES, {"after": cursor})
        assert body["data"] is None
        assert len(body["errors"]) == 1
        assert body["errors"][0]["extensions"]["code"] == "CURSOR_EXPIRED"
        assert body["errors"][0]["extensions"]["field"] == "after"
    assert [c["sequence"] for c in page(as_alice)["changes"]] == ["4"]  # from the start: what is kept
    fresh = as_alice.data(CURSOR)["changeCursor"]
    assert page(as_alice, fresh)["changes"] == []
    # A cursor at the last pruned change still resumes: nothing it has not seen is gone.
    after_three = page(as_alice, None, first=0)["cursor"]
    assert [c["sequence"] for c in page(as_alice, after_three)["changes"]] == ["4"]


def test_everything_pruned_still_tells_an_old_cursor_from_a_current_one(alice: User, as_alice: GraphQLClient) -> None:
    start = as_alice.data(CURSOR)["changeCursor"]
    create(as_alice, "1.00")
    current = as_alice.data(CURSOR)["changeCursor"]
    Change.objects.filter(user=alice).update(at=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))
    call_command("prune_changes", stdout=io.StringIO())
    assert not Change.objects.filter(user=alice).exists()
    assert as_alice.post(CHANGES, {"after": start})["errors"][0]["extensions"]["code"] == "CURSOR_EXPIRED"
    assert page(as_alice, current) == {"changes": [], "cursor": current, "hasMore": False}
    assert page(as_alice) == {"changes": [], "cursor": current, "hasMore": False}


@pytest.mark.parametrize(
    ("after", "first", "code"),
    [
        ("not a cursor", None, "INVALID_CURSOR"),
        ("Y2hhbmdlc3wtMQ==", None, "INVALID_CURSOR"),  # "changes|-1"
        (None, -1, "INVALID_PAGE_SIZE"),
        ("Y2hhbmdlc3w5OTk=", None, "CURSOR_EXPIRED"),  # "changes|999": ahead of the log (a restored database)
    ],
)
def test_bad_arguments_answer_coded_errors(as_alice: GraphQLClient, after: str | None, first: int, code: str) -> None:
    create(as_alice, "1.00")
    body = as_alice.post(CHANGES, {"after": after, "first": first})
    assert body["data"] is None
    assert len(body["errors"]) == 1
    assert body["errors"][0]["extensions"]["code"] == code


@pytest.mark.parametrize("who", ["anonymous", "other user", "owner"])
def test_only_the_owner_sees_a_records_changes(
    who: str, anonymous: GraphQLClient, as_alice: GraphQLClient, as_bob: GraphQLClient
) -> None:
    txn = create(as_alice, "1.00")
    create(as_bob, "2.00")
    client = {"anonymous": anonymous, "other user": as_bob, "owner": as_alice}[who]
    if who == "anonymous":
        for query, variables in ((HISTORY, {"id": txn["id"]}), (CHANGES, {}), (CURSOR, {})):
            body = client.post(query, variables)
            assert body["data"] is None
            assert len(body["errors"]) == 1
            assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
        return
    history = client.data(HISTORY, {"id": txn["id"]})["history"]
    random_id = client.data(HISTORY, {"id": str(uuid.uuid4())})["history"]
    malformed = client.data(HISTORY, {"id": "nope"})["history"]
    assert random_id == malformed == []
    if who == "other user":
        assert history == []
        ids = {change["entityId"] for change in all_changes(client)}
        assert txn["id"] not in ids and len(ids) == 2  # bob's default account and transaction only
    else:
        assert [change["operation"] for change in history] == ["CREATED"]


@pytest.mark.django_db(transaction=True)  # real commits, each thread on its own connection
def test_a_reader_polling_during_concurrent_writes_sees_every_change_once_in_order() -> None:
    users = [make_user(name) for name in ("carol", "dave", "erin", "frank")]
    tokens = {user.pk: issue_token_pair(user).token for user in users}
    carol = users[0]
    writers_done = threading.Event()
    seen: dict[object, list[int]] = {user.pk: [] for user in users}
    problems: list[object] = []
    read_while_writing: list[bool] = []

    def client(user: User) -> GraphQLClient:
        return GraphQLClient(http=Client(), token=tokens[user.pk])

    def transactions(user: User) -> None:
        writer = client(user)
        for i in range(12):
            txn = create(writer, f"1.{i:02d}")
            if i % 3 == 0:
                write(writer, UPDATE, {"id": txn["id"], "input": {"description": f"edit {i}"}})
            if i % 4 == 0:
                write(writer, DELETE, {"id": txn["id"]})

    def accounts(user: User) -> None:  # writes of two changes each (the former default and the new one)
        writer = client(user)
        main = writer.data("query { me { defaultAccount { id } } }")["me"]["defaultAccount"]["id"]
        other = write(writer, CREATE_ACCOUNT, {"input": {"name": "Other", "kind": "CASH"}})["account"]["id"]
        for i in range(6):
            write(writer, SET_DEFAULT, {"id": other if i % 2 == 0 else main})

    def follow(cursors: dict) -> bool:
        """One poll of every user's feed; True when a page was full (more to read)."""
        more = False
        live = not writers_done.is_set()
        for user in users:
            got = client(user).post(CHANGES, {"after": cursors[user.pk], "first": 7})
            if "errors" in got:
                problems.append(got["errors"])
                continue
            got = got["data"]["changes"]
            sequences = [int(change["sequence"]) for change in got["changes"]]
            expected_first = (seen[user.pk][-1] if seen[user.pk] else 0) + 1
            if sequences and sequences != list(range(expected_first, expected_first + len(sequences))):
                problems.append((user.username, seen[user.pk][-3:], sequences))  # a gap or a repeat
            seen[user.pk] += sequences
            read_while_writing.append(live and bool(sequences))
            cursors[user.pk] = got["cursor"]
            more = more or got["hasMore"]
        return more

    def reader() -> None:
        try:
            cursors = {user.pk: None for user in users}
            while not writers_done.is_set():
                follow(cursors)
            while follow(cursors):  # drain what committed last
                pass
            follow(cursors)
        finally:
            connection.close()

    def run(work, user: User) -> None:  # noqa: ANN001
        try:
            work(user)
        except Exception as error:  # noqa: BLE001 (reported below)
            problems.append(error)
        finally:
            connection.close()

    for user in users:  # their default accounts first, so the racing writers start from one
        client(user).data("query { me { defaultAccount { id } } }")
    polling = threading.Thread(target=reader)
    polling.start()
    writers = [threading.Thread(target=run, args=(transactions, carol)) for _ in range(3)]
    writers += [threading.Thread(target=run, args=(accounts, carol))]
    writers += [threading.Thread(target=run, args=(transactions, user)) for user in users[1:]]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    writers_done.set()
    polling.join()

    assert problems == []
    assert any(read_while_writing)  # the reader did follow the writes as they committed
    for user in users:
        committed = list(Change.objects.filter(user=user).order_by("sequence").values_list("sequence", flat=True))
        assert seen[user.pk] == committed == list(range(1, len(committed) + 1)), user.username
    # 12 creates, 4 updates and 3 deletes a transaction writer, plus the default account (and carol's accounts).
    assert len(seen[carol.pk]) == 1 + 3 * 19 + 1 + 6 * 2
    assert all(len(seen[user.pk]) == 1 + 19 for user in users[1:])
