"""The benchmark's cases: what each request is and what a correct answer contains."""

import json
from dataclasses import dataclass

from bench.http.data import DEEP_ENTRY, MAIN_TRANSACTIONS, OTHER_PREFIX, OTHER_USERS, PASSWORD, Dataset
from bench.http.wrk import Request

# The bench-only plain views' paths (bench.http.urls routes them on the bench's server only).
BALANCE_PLAIN_PATH = "/bench/balance-plain"
FIRST_PAGE_PLAIN_PATH = "/bench/first-page-plain"
BALANCE = "query Balance { balance { total income expense transactionCount } }"
PAGE = """query Page($after: String) {
  transactions(first: 50, after: $after) {
    edges { cursor node { id amount type category date description } }
    pageInfo { hasNextPage endCursor }
  }
}"""
ACCOUNTS = "query Accounts { accounts { id name currency balance } }"
# 6 node fields like PAGE; runningBalance right after id, so one expected substring checks both.
ENTRIES = """query Entries($account: ID!, $after: String) {
  account(id: $account) {
    entries(first: 50, after: $after) {
      edges { cursor node { id runningBalance date kind amount description } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
MONTHLY = """query Monthly($from: String!, $to: String!) {
  monthlySummary(from: $from, to: $to) { month income expense net transactionCount }
}"""
BREAKDOWN = """query Breakdown($from: String!, $to: String!) {
  categoryBreakdown(from: $from, to: $to) { category type total transactionCount }
}"""
CREATE = """mutation Create($input: CreateTransactionInput!) {
  createTransaction(input: $input) { transaction { id amount } errors { field code message } }
}"""
BUDGET_REPORT = """query Budgets($month: String!) {
  budgetReport(month: $month) { lines { category budgeted carriedOver spent available overspent } totalBudgeted }
}"""
UPCOMING = """query Upcoming { upcoming(days: 30) { date amount rule { description frequency } transaction { id } } }"""
# The category of createTransaction's rows, by which bench.http.states finds them to undo them.
CREATE_CATEGORY = "Bench"
LOGIN = """mutation Login($username: String!, $password: String!) {
  login(username: $username, password: $password) { token errors { field code message } }
}"""


@dataclass(frozen=True)
class Case:
    name: str
    request: Request
    note: str
    # Runs with ledger_balanceversion replaced by a view that returns a new version on every read (cache_miss.py).
    fresh_version_per_read: bool = False
    # Runs with every (user, month) marked dirty, as before the aggregator's first run (bench.http.cache_miss).
    every_bucket_dirty: bool = False
    # Writes for the main user that are undone after the case (bench.http.states.writes_undone).
    undo_writes: bool = False


def graphql_body(query: str, variables: dict | None = None) -> str:
    return json.dumps({"query": query, "variables": variables or {}}, separators=(",", ":"))


def build_cases(dataset: Dataset, token: str) -> list[Case]:
    balance = Request(
        "POST", "/graphql/", graphql_body(BALANCE), token, expect=f'"transactionCount":{MAIN_TRANSACTIONS}'
    )
    # "{n}" is replaced by the Lua script: 1,000 distinct amounts, and logins spread over the 1,000 other users.
    create_body = graphql_body(CREATE, {"input": {"amount": "1{n}.25", "type": "EXPENSE", "category": CREATE_CATEGORY}})
    login_body = graphql_body(LOGIN, {"username": OTHER_PREFIX + "{n}", "password": PASSWORD})
    entries = {"account": str(dataset.main_account_id)}
    analytics = {"from": dataset.analytics_months[0], "to": dataset.analytics_months[1]}
    return [
        Case("baseline", Request("GET", "/healthz", expect='"ok"'), "GET /healthz: no I/O, the web stack alone"),
        Case("balance_hit", balance, "balance served from Redis"),
        Case(
            "balance_plain",
            Request("POST", BALANCE_PLAIN_PATH, balance.body, token, expect=balance.expect),
            "bench-only plain view: balance_hit's token check, user lookup, Redis read and JSON, no GraphQL",
        ),
        Case(
            "balance_miss",
            balance,
            "balance, a new cache version on every read, every month dirty: Redis miss + live sums of 100,000 rows",
            fresh_version_per_read=True,
            every_bucket_dirty=True,
        ),
        Case(
            "balance_miss_steady",
            balance,
            "balance, a new cache version on every read, after the aggregator's run: Redis miss + sums of rollups",
            fresh_version_per_read=True,
        ),
        Case(
            "first_page",
            Request("POST", "/graphql/", graphql_body(PAGE), token, expect='"hasNextPage":true'),
            "transactions(first: 50)",
        ),
        Case(
            "first_page_plain",
            Request("POST", FIRST_PAGE_PLAIN_PATH, graphql_body(PAGE), token, expect='"hasNextPage":true'),
            "bench-only plain view: first_page's JSON byte for byte, no GraphQL",
        ),
        Case(
            "deep_page",
            Request(
                "POST",
                "/graphql/",
                graphql_body(PAGE, {"after": dataset.deep_cursor}),
                token,
                expect=str(dataset.deep_page_first_id),
            ),
            "transactions(first: 50, after: <row 99,900>)",
        ),
        Case(
            "accounts",
            Request("POST", "/graphql/", graphql_body(ACCOUNTS), token, expect=f'"balance":"{dataset.main_balance}"'),
            "accounts with balances (Main: 100,000 transactions + 60 transfers; Savings) served from Redis",
        ),
        Case(
            "entries_first",
            Request("POST", "/graphql/", graphql_body(ENTRIES, entries), token, expect=dataset.newest_entry),
            "account(id).entries(first: 50) of Main: the newest page, running balances from rollups + live month",
        ),
        Case(
            "entries_deep",
            Request(
                "POST",
                "/graphql/",
                graphql_body(ENTRIES, {**entries, "after": dataset.deep_entries_cursor}),
                token,
                expect=dataset.deep_entry,
            ),
            f"account(id).entries(first: 50, after: <entry {DEEP_ENTRY:,}>) of Main",
        ),
        Case(
            "monthly_summary_12",
            Request("POST", "/graphql/", graphql_body(MONTHLY, analytics), token, expect=dataset.first_month_summary),
            "monthlySummary over the last 12 months, steady state: rollups + the live current month if dirty",
        ),
        Case(
            "category_breakdown_12",
            Request("POST", "/graphql/", graphql_body(BREAKDOWN, analytics), token, expect=dataset.largest_category),
            "categoryBreakdown over the last 12 months, steady state",
        ),
        Case(
            "budget_report",
            Request(
                "POST",
                "/graphql/",
                graphql_body(BUDGET_REPORT, {"month": dataset.planning.report_month}),
                token,
                expect=dataset.planning.first_budget_line,
            ),
            "budgetReport of this month: 7 budgets with rollover over 5 years (rollups + the live month)",
        ),
        Case(
            "upcoming",
            Request("POST", "/graphql/", graphql_body(UPCOMING), token, expect=dataset.planning.first_occurrence),
            "upcoming(days: 30) of 12 rules (daily, weekly, monthly, yearly)",
        ),
        Case(
            "create_transaction",
            Request("POST", "/graphql/", create_body, token, expect='"errors":[]', rotate=1000),
            "createTransaction: insert + version bump + dirty bucket, one DB transaction",
            undo_writes=True,
        ),
        Case(
            "login",
            Request("POST", "/graphql/", login_body, expect='"errors":[]', rotate=OTHER_USERS),
            "login: PBKDF2 password check + refresh token row",
        ),
        Case("baseline_again", Request("GET", "/healthz", expect='"ok"'), "baseline repeated: drift over the run"),
    ]
