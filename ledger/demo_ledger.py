"""Demo ledger accounts and the transfers between them, planned from one person's generated transactions
(ledger.demo_data): which account each transaction belongs to, and the transfers a person with those accounts makes.

The accounts: "Main" (checking, the default, in the default currency) holds the salary, rent, bills and everyday
spending; "Savings" (same currency) receives a transfer on payday, as much as Main can spare above a month's pay
of cushion; "Credit card" (same currency, opening with a balance owed) carries the card purchases
(dining, shopping, entertainment, subscriptions, gifts) and is paid off from Main early the next month; "Travel
(EUR)" (cash in a second currency: EUR, or USD when the default is EUR) pays the summer trips, funded before each
summer by a currency exchange from Main, whose `to_amount` differs from its `amount` by the rate.

Pure planning, no database: the same rows and the same random state give the same plan.
"""

import datetime
import random
from collections import defaultdict
from dataclasses import dataclass

from ledger.currencies import currency_digits
from ledger.models import AccountKind, TransactionType

MAIN, SAVINGS, CARD, TRAVEL = "main", "savings", "card", "travel"
# Paid by card: what a person typically puts on one. Travel is paid from the travel account.
CARD_CATEGORIES = frozenset({"Dining", "Shopping", "Entertainment", "Subscriptions", "Gifts"})
TRAVEL_CATEGORY = "Travel"
_PAYOFF_DAY = 3  # the card is paid on the 3rd of the month after the purchases
_ROUND_MINOR = 5_000  # savings transfers in steps of 50.00; exchanges in steps of 100.00 of the target currency
# (date, amount_minor, type, category, description), as ledger.demo_data generates them.
DemoRow = tuple[datetime.date, int, str, str, str]


@dataclass(frozen=True)
class DemoAccount:
    key: str  # MAIN, SAVINGS, CARD or TRAVEL
    name: str
    kind: str  # an AccountKind value
    currency: str
    opening_minor: int
    is_default: bool = False


@dataclass(frozen=True)
class DemoTransfer:
    date: datetime.date
    from_key: str
    to_key: str
    amount_minor: int  # in the from account's currency
    to_amount_minor: int  # in the to account's currency
    description: str


@dataclass(frozen=True)
class DemoLedger:
    accounts: list[DemoAccount]
    rows: dict[str, list[DemoRow]]  # account key -> its transactions, oldest first
    transfers: list[DemoTransfer]  # oldest first

    @property
    def volume_minor(self) -> int:
        """What ledger_balanceversion.volume_minor holds for this ledger: every amount, both amounts of every
        transfer and the size of every opening balance (ledger.services' bookkeeping)."""
        return (
            sum(row[1] for rows in self.rows.values() for row in rows)
            + sum(t.amount_minor + t.to_amount_minor for t in self.transfers)
            + sum(abs(account.opening_minor) for account in self.accounts)
        )

    def days(self) -> set[datetime.date]:
        """Every date with an entry: the months to mark dirty."""
        return {row[0] for rows in self.rows.values() for row in rows} | {t.date for t in self.transfers}


def second_currency(currency: str) -> str:
    return "USD" if currency == "EUR" else "EUR"


def demo_ledger(*, rng: random.Random, rows: list[DemoRow], currency: str, today: datetime.date) -> DemoLedger:
    """The accounts, each row's account and the transfers for one person's `rows` (oldest first)."""
    travel_currency = second_currency(currency)
    accounts = [
        DemoAccount(MAIN, "Main", AccountKind.CHECKING, currency, rng.randrange(100_000, 500_000, 100), True),
        DemoAccount(SAVINGS, "Savings", AccountKind.SAVINGS, currency, rng.randrange(200_000, 2_000_000, 1_000)),
        DemoAccount(CARD, "Credit card", AccountKind.CREDIT_CARD, currency, -rng.randrange(10_000, 90_000, 100)),
        DemoAccount(
            TRAVEL, f"Travel ({travel_currency})", AccountKind.CASH, travel_currency, rng.randrange(0, 20_000, 500)
        ),
    ]
    by_account: dict[str, list[DemoRow]] = {MAIN: [], SAVINGS: [], CARD: [], TRAVEL: []}
    for row in rows:
        by_account[_account_of(row)].append(row)
    opening = {account.key: account.opening_minor for account in accounts}
    transfers = _exchanges(rng, by_account[TRAVEL], rows, currency, travel_currency)
    transfers += _card_payoffs(by_account[CARD], -opening[CARD], today)
    transfers += _savings(rng, by_account[MAIN], transfers, opening[MAIN])
    transfers.sort(key=lambda transfer: transfer.date)
    return DemoLedger(accounts=accounts, rows=by_account, transfers=transfers)


def _account_of(row: DemoRow) -> str:
    category = row[3]
    if category == TRAVEL_CATEGORY:
        return TRAVEL
    return CARD if category in CARD_CATEGORIES else MAIN


def _exchanges(
    rng: random.Random, trips: list[DemoRow], rows: list[DemoRow], currency: str, travel_currency: str
) -> list[DemoTransfer]:
    """Before each summer's trips, what they will cost in the travel currency (rounded up to 100.00) bought from
    Main at that year's rate (1.05 to 1.12 of Main's currency per unit)."""
    by_year: dict[int, list[DemoRow]] = defaultdict(list)
    for row in trips:
        by_year[row[0].year].append(row)
    scale = 10 ** (currency_digits(currency) - currency_digits(travel_currency))
    exchanges = []
    for _, spent in sorted(by_year.items()):
        first_trip = min(row[0] for row in spent)
        day = max(first_trip - datetime.timedelta(days=rng.randint(3, 14)), rows[0][0])
        to_amount = -(-sum(row[1] for row in spent) // (2 * _ROUND_MINOR)) * (2 * _ROUND_MINOR)
        amount = max(1, int(to_amount * rng.randint(10_500, 11_200) * scale) // 10_000)
        exchanges.append(
            DemoTransfer(day, MAIN, TRAVEL, amount, to_amount, f"Currency exchange {currency} to {travel_currency}")
        )
    return exchanges


def _card_payoffs(purchases: list[DemoRow], owed_at_opening: int, today: datetime.date) -> list[DemoTransfer]:
    """Early each month, the previous month's card purchases paid in full from Main (the first payment also clears
    what the card owed when the account opened). The current month's purchases stay owed."""
    by_month: dict[datetime.date, int] = defaultdict(int)
    for day, amount, *_ in purchases:
        by_month[day.replace(day=1)] += amount
    payoffs = []
    carried = owed_at_opening
    for month, spent in sorted(by_month.items()):
        payday = (month + datetime.timedelta(days=32)).replace(day=_PAYOFF_DAY)
        if payday > today:
            break
        payoffs.append(DemoTransfer(payday, MAIN, CARD, spent + carried, spent + carried, "Credit card payment"))
        carried = 0
    return payoffs


def _savings(
    rng: random.Random, main_rows: list[DemoRow], transfers: list[DemoTransfer], opening: int
) -> list[DemoTransfer]:
    """On each payday, a tenth to a fifth of the pay into Savings (whatever Main holds above two months' pay, when
    more), as far as Main keeps a month's pay at the end of that day (its running balance walked in date order)."""
    changes: list[tuple[datetime.date, int]] = [
        (day, amount if kind == TransactionType.INCOME else -amount) for day, amount, kind, *_ in main_rows
    ]
    changes += [(t.date, -t.amount_minor) for t in transfers if t.from_key == MAIN]
    changes += [(t.date, t.to_amount_minor) for t in transfers if t.to_key == MAIN]
    changes.sort(key=lambda change: change[0])
    paydays = [(day, amount) for day, amount, *_, description in main_rows if description.endswith("payroll")]
    savings = []
    balance, walked = opening, 0
    for payday, pay in paydays:
        while walked < len(changes) and changes[walked][0] <= payday:
            balance += changes[walked][1]
            walked += 1
        wanted = max(pay * rng.randint(10, 20) // 100, balance - 2 * pay)
        amount = min(wanted, balance - pay) // _ROUND_MINOR * _ROUND_MINOR
        if amount > 0:
            savings.append(DemoTransfer(payday, MAIN, SAVINGS, amount, amount, "Monthly savings"))
            balance -= amount
    return savings
