"""The benchmark's budgets and recurring rules (issue 13), written beside the main user's 100,000 transactions.

Budgets: one per category of the data except "Other", 500.00 a month with rollover from the data's first month, so
the current month's report carries five years of remainders: the longest chain a report can have here. Rules: 12
of the four frequencies in Main, each starting on a later day from tomorrow on, so the aggregator's run before the
measurements records none of them and `upcoming(days: 30)` projects them all.

What the API must answer is computed here from the rows, not from the rollups the API reads.
"""

import uuid
from dataclasses import dataclass

import psycopg

from bench.http.amounts import api_amount

BUDGET_MINOR = 50_000
BUDGETED_CATEGORIES = ["Groceries", "Rent", "Transport", "Dining", "Utilities", "Health", "Fun"]
RULES = 12
FREQUENCIES = ["monthly", "weekly", "daily", "yearly"]


@dataclass(frozen=True)
class Planning:
    report_month: str  # the current month, "YYYY-MM"
    first_budget_line: str  # the report's first line (Dining, the first category key) as the API answers it
    first_occurrence: str  # upcoming(days: 30)'s first occurrence, from its date to its rule's description


def insert(conn: psycopg.Connection, main_id: uuid.UUID, main_account: uuid.UUID) -> Planning:
    conn.execute(
        """
        INSERT INTO ledger_budget (id, user_id, category, category_key, currency, amount_minor, start_month,
                                   end_month, rollover, created_at, updated_at)
        SELECT gen_random_uuid(), %(user)s, c, lower(c), a.currency, %(amount)s,
               (SELECT to_char(min(date), 'YYYY-MM') FROM ledger_transaction WHERE user_id = %(user)s),
               NULL, true, now(), now()
        FROM unnest(%(categories)s::text[]) AS c, ledger_account a WHERE a.id = %(account)s
        """,
        {"user": main_id, "amount": BUDGET_MINOR, "categories": BUDGETED_CATEGORIES, "account": main_account},
    )
    conn.execute(
        """
        INSERT INTO ledger_recurringrule (id, user_id, account_id, amount_minor, type, category, category_key,
                                          description, frequency, interval, start_date, end_date, count, next_index,
                                          next_date, paused, idempotency_key, idempotency_fingerprint, created_at,
                                          updated_at)
        SELECT gen_random_uuid(), %(user)s, %(account)s, 1000 + 100 * g, 'expense', 'Bills', 'bills',
               'Bench rule ' || g, (%(frequencies)s::text[])[1 + g %% 4], 1, current_date + 1 + g, NULL, NULL, 0,
               current_date + 1 + g, false, NULL, NULL, now(), now()
        FROM generate_series(0, %(rules)s - 1) AS g
        """,
        {"user": main_id, "account": main_account, "frequencies": FREQUENCIES, "rules": RULES},
    )
    month, months_before, tomorrow = conn.execute(
        """
        SELECT to_char(current_date, 'YYYY-MM'),
               (SELECT (extract(year FROM age(date_trunc('month', current_date), date_trunc('month', min(date))))
                        * 12 + extract(month FROM age(date_trunc('month', current_date),
                                                      date_trunc('month', min(date)))))::int
                FROM ledger_transaction WHERE user_id = %(user)s),
               to_char(current_date + 1, 'YYYY-MM-DD')
        """,
        {"user": main_id},
    ).fetchone()
    spent_before, spent_now = conn.execute(
        """
        SELECT COALESCE(sum(t.amount_minor) FILTER (WHERE t.date < date_trunc('month', current_date)), 0)::bigint,
               COALESCE(sum(t.amount_minor) FILTER (WHERE t.date >= date_trunc('month', current_date)), 0)::bigint
        FROM ledger_transaction t JOIN ledger_account a ON a.id = t.account_id
        WHERE t.user_id = %(user)s AND t.type = 'expense' AND t.category_key = 'dining' AND a.currency = 'USD'
        """,
        {"user": main_id},
    ).fetchone()
    carried = months_before * BUDGET_MINOR - spent_before
    available = BUDGET_MINOR + carried - spent_now
    line = (
        f'{{"category":"Dining","budgeted":"{api_amount(BUDGET_MINOR)}","carriedOver":"{api_amount(carried)}",'
        f'"spent":"{api_amount(spent_now)}","available":"{api_amount(available)}"'
    )
    occurrence = f'{{"date":"{tomorrow}","amount":"{api_amount(1000)}","rule":{{"description":"Bench rule 0"'
    return Planning(report_month=month, first_budget_line=line, first_occurrence=occurrence)
