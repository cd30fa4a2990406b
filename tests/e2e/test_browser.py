"""GraphiQL and the dashboard in a real headless Chromium, against the stack started as `make run` starts it."""

import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from selenium import webdriver
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from tests.e2e.browser import chromium, save_screenshot
from tests.e2e.conftest import LiveStack, running_stack

pytestmark = pytest.mark.e2e

PASSWORD = "a long passphrase"
CREATE = "mutation($input: CreateTransactionInput!) { createTransaction(input: $input) { errors { code } } }"
CREATE_ACCOUNT = (
    "mutation($input: CreateAccountInput!) { createAccount(input: $input) { account { id } errors { code } } }"
)
CREATE_TRANSFER = "mutation($input: CreateTransferInput!) { createTransfer(input: $input) { errors { code } } }"


@pytest.fixture
def browser(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[webdriver.Chrome]:
    with chromium(tmp_path / "chromium-profile") as driver:
        yield driver
        # The last state of every browser test, for when one fails; the passing path saves its own screenshot.
        save_screenshot(driver, f"last-{request.node.name}.png", keep_in_var=False)


@pytest.fixture
def deployed_stack(tmp_path: Path) -> Iterator[LiveStack]:
    """The stack with DEBUG off, as deployed: static files still served (WhiteNoise under gunicorn); GraphiQL opted in."""
    assert settings.FRONTEND_MODULES.joinpath("graphiql").is_dir(), "GraphiQL's files are not installed: `make assets`"
    with running_stack(
        tmp_path,
        DEBUG="false",
        SECRET_KEY="browser-test-secret-key-0123456789-abcdefghijklmnop",
        GRAPHIQL_ENABLED="true",
        GRAPHQL_INTROSPECTION="true",
    ) as stack:
        yield stack


def sign_up(stack: LiveStack, username: str, transactions: list[dict]) -> str:
    """Register through the API, record `transactions`, return an access token."""
    token = stack.sign_up(username, PASSWORD)
    for fields in transactions:
        created = stack.graphql(CREATE, {"input": fields}, token=token)
        assert created["data"]["createTransaction"]["errors"] == [], created
    return token


def type_into_editor(driver: webdriver.Chrome, editor: str, text: str) -> str:
    """Click a GraphiQL (CodeMirror) editor, replace its text by typing, and return what the editor now holds."""
    driver.find_element(By.CSS_SELECTOR, f"{editor} .CodeMirror").click()
    chord = Keys.CONTROL
    webdriver.ActionChains(driver).key_down(chord).send_keys("a").key_up(chord).send_keys(Keys.DELETE).perform()
    # Escape closes the autocompletion popup that typing may have opened, as a person would before clicking on.
    webdriver.ActionChains(driver).send_keys(text).send_keys(Keys.ESCAPE).perform()
    return driver.execute_script(
        "return document.querySelector(arguments[0]).CodeMirror.getValue()", f"{editor} .CodeMirror"
    )


def test_graphiql_runs_an_authenticated_query_typed_into_the_page(
    deployed_stack: LiveStack, browser: webdriver.Chrome
) -> None:
    token = sign_up(
        deployed_stack,
        "hopper",
        [
            {"amount": "1500.00", "type": "INCOME", "category": "Salary"},
            {"amount": "265.50", "type": "EXPENSE", "category": "Utilities"},
        ],
    )
    browser.get(f"{deployed_stack.base}/graphql/")
    wait = WebDriverWait(browser, 20)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror")))

    # The token goes where the README says: the Headers tab under the query editor.
    browser.find_element(By.XPATH, "//button[normalize-space()='Headers']").click()
    headers = type_into_editor(
        browser, "section[aria-label='Headers'] .graphiql-editor:not(.hidden)", f'{{"Authorization": "Bearer {token}"}}'
    )
    assert headers == f'{{"Authorization": "Bearer {token}"}}'
    query = type_into_editor(browser, ".graphiql-query-editor", "{ me { username } balance { total } }")
    assert query == "{ me { username } balance { total } }"
    # GraphiQL re-parses the document shortly after typing; until then the button still offers the welcome
    # document's several operations as a menu. Click once it runs the one operation typed.
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button:not([aria-haspopup])"))).click()

    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".graphiql-response"), '"total": "1234.50"'))
    result = browser.find_element(By.CSS_SELECTOR, ".graphiql-response").text
    assert '"username": "hopper"' in result
    assert "errors" not in result
    # Everything the page loaded came from this server: no CDN (there is none reachable here, nor offline).
    origins = browser.execute_script(
        "return performance.getEntriesByType('resource').map(entry => new URL(entry.name).origin)"
    )
    assert origins and set(origins) == {deployed_stack.base}
    assert save_screenshot(browser, "graphiql.png")

    # shouldPersistHeaders: the pasted header is still there after a reload.
    browser.refresh()
    wait.until(ec.element_to_be_clickable((By.XPATH, "//button[normalize-space()='Headers']"))).click()
    persisted = browser.execute_script(
        "return document.querySelector(arguments[0]).CodeMirror.getValue()",
        "section[aria-label='Headers'] .graphiql-editor:not(.hidden) .CodeMirror",
    )
    assert persisted == f'{{"Authorization": "Bearer {token}"}}'


def test_graphiql_runs_a_subscription_that_shows_live_changes(
    deployed_stack: LiveStack, browser: webdriver.Chrome
) -> None:
    token = sign_up(deployed_stack, "lamarr", [])
    cursor = deployed_stack.graphql("{ changeCursor }", token=token)["data"]["changeCursor"]
    browser.get(f"{deployed_stack.base}/graphql/")
    wait = WebDriverWait(browser, 20)
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-query-editor .CodeMirror")))
    browser.find_element(By.XPATH, "//button[normalize-space()='Headers']").click()
    type_into_editor(
        browser, "section[aria-label='Headers'] .graphiql-editor:not(.hidden)", f'{{"Authorization": "Bearer {token}"}}'
    )
    # From the cursor: whether the write below lands before or after the socket opens, it arrives.
    subscription = f'subscription {{ changes(after: "{cursor}") {{ sequence entityType transaction {{ amount }} }} }}'
    assert type_into_editor(browser, ".graphiql-query-editor", subscription) == subscription
    wait.until(ec.element_to_be_clickable((By.CSS_SELECTOR, ".graphiql-execute-button:not([aria-haspopup])"))).click()

    created = deployed_stack.graphql(CREATE, {"input": {"amount": "42.50", "type": "EXPENSE"}}, token=token)
    assert created["data"]["createTransaction"]["errors"] == []
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".graphiql-response"), '"amount": "42.50"'))
    result = browser.find_element(By.CSS_SELECTOR, ".graphiql-response").text
    assert '"entityType": "TRANSACTION"' in result and "errors" not in result
    # Still open: the next write shows up too.
    deployed_stack.graphql(CREATE, {"input": {"amount": "7.00", "type": "INCOME"}}, token=token)
    wait.until(ec.text_to_be_present_in_element((By.CSS_SELECTOR, ".graphiql-response"), '"amount": "7.00"'))
    assert save_screenshot(browser, "graphiql-subscription.png")


def status_of(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_static_files_come_only_from_the_known_directories(deployed_stack: LiveStack) -> None:
    expected = {
        "/static/vendor/react/react.production.min.js": 200,
        "/static/vendor/graphiql/graphiql.min.css": 200,
        "/static/dashboard/dashboard.js": 200,
        "/static/vendor/react/..%2Fpackage.json": 404,
        "/static/vendor/graphiql/..%2F..%2Freact%2Fpackage.json": 404,
        "/static/vendor/graphiql/..%2F..%2F..%2F..%2Fconfig%2Fsettings.py": 404,
        "/static/vendor/scheduler/index.js": 404,
    }
    assert {path: status_of(f"{deployed_stack.base}{path}") for path in expected} == expected


def months_back(today: date, count: int, day: int) -> str:
    """The date on `day` of the month `count` months before today's month, as "YYYY-MM-DD"."""
    index = today.year * 12 + today.month - 1 - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}-{day:02d}"


def test_dashboard_logs_in_and_draws_balance_trend_and_categories(
    live_stack: LiveStack, browser: webdriver.Chrome
) -> None:
    today = date.today()
    sign_up(
        live_stack,
        "lovelace",
        [
            {"amount": "3000.00", "type": "INCOME", "category": "Salary", "date": months_back(today, 0, 1)},
            {"amount": "3000.00", "type": "INCOME", "category": "Salary", "date": months_back(today, 1, 1)},
            {"amount": "1200.00", "type": "EXPENSE", "category": "Rent", "date": months_back(today, 0, 1)},
            {"amount": "1200.00", "type": "EXPENSE", "category": "Rent", "date": months_back(today, 1, 1)},
            {"amount": "85.40", "type": "EXPENSE", "category": "Groceries", "date": months_back(today, 1, 2)},
            {"amount": "64.10", "type": "EXPENSE", "category": "Groceries", "date": months_back(today, 1, 3)},
            {"amount": "450.00", "type": "EXPENSE", "category": "Travel", "date": months_back(today, 5, 10)},
            # Older than the charts' twelve months: in the balance, in no chart.
            {"amount": "999.99", "type": "EXPENSE", "category": "Old", "date": months_back(today, 12, 15)},
        ],
    )
    browser.get(f"{live_stack.base}/")
    wait = WebDriverWait(browser, 20)

    # A wrong password is refused with the API's message and the form stays.
    browser.find_element(By.ID, "username").send_keys("lovelace")
    browser.find_element(By.ID, "password").send_keys("not the password", Keys.ENTER)
    wait.until(ec.visibility_of_element_located((By.ID, "login-error")))
    assert browser.find_element(By.ID, "dashboard").is_displayed() is False
    assert browser.find_element(By.ID, "password").get_attribute("value") == ""

    browser.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
    wait.until(lambda driver: driver.execute_script("return document.body.dataset.loaded === 'true'"))
    assert browser.find_element(By.ID, "login-form").is_displayed() is False
    assert browser.find_element(By.ID, "login-error").is_displayed() is False
    # Money as people read it (en-US, see tests/e2e/browser.py), from the exact strings the API sends.
    assert browser.find_element(By.ID, "balance-total").text == "$2,000.51"
    assert browser.find_element(By.ID, "who").text == "(lovelace, 8 transactions in USD)"
    assert [
        bar.get_attribute("data-amount") for bar in browser.find_elements(By.CSS_SELECTOR, "#balance-chart rect")
    ] == [
        "6000.00",
        "3999.49",
    ]
    assert [label.text for label in browser.find_elements(By.CSS_SELECTOR, "#balance-chart text.value")] == [
        "$6,000.00",
        "$3,999.49",
    ]

    trend = browser.find_element(By.ID, "trend-chart")
    income = trend.find_elements(By.CSS_SELECTOR, "rect.bar-income")
    expense = trend.find_elements(By.CSS_SELECTOR, "rect.bar-expense")
    net = trend.find_elements(By.CSS_SELECTOR, "circle.net-point")
    assert (len(income), len(expense), len(net)) == (12, 12, 12)
    months = [bar.get_attribute("data-month") for bar in income]
    assert months == [months_back(today, count, 1)[:7] for count in range(11, -1, -1)]
    assert [bar.get_attribute("data-amount") for bar in expense][-2:] == ["1349.50", "1200.00"]
    assert [bar.get_attribute("data-amount") for bar in expense][6] == "450.00"
    assert [point.get_attribute("data-amount") for point in net][-2:] == ["1650.50", "1800.00"]
    # Taller bar for the larger amount: the geometry follows the figures.
    assert float(expense[-2].get_attribute("height")) > float(expense[-1].get_attribute("height")) > 0
    assert float(expense[0].get_attribute("height")) == 0
    axis_labels = [label.text for label in trend.find_elements(By.CSS_SELECTOR, "text")]
    assert {"$3,000.00", "$0.00"} <= set(axis_labels)

    categories = browser.find_elements(By.CSS_SELECTOR, "#category-chart rect.bar-category")
    assert [(bar.get_attribute("data-category"), bar.get_attribute("data-amount")) for bar in categories] == [
        ("Rent", "2400.00"),
        ("Travel", "450.00"),
        ("Groceries", "149.50"),
    ]
    assert [label.text for label in browser.find_elements(By.CSS_SELECTOR, "#category-chart text.value")] == [
        "$2,400.00",
        "$450.00",
        "$149.50",
    ]
    # One default account, "Main", in the server's default currency, holding everything.
    assert account_rows(browser) == [("Main default", "Checking", "USD", "$2,000.51")]
    assert net_worth(browser) == [("USD", "2000.51", "$2,000.51")]
    assert save_screenshot(browser, "dashboard.png")


def account_rows(driver: webdriver.Chrome) -> list[tuple[str, ...]]:
    """The Accounts table as shown: (name with its marks, kind, currency, balance)."""
    return [
        tuple(cell.text for cell in row.find_elements(By.TAG_NAME, "td"))
        for row in driver.find_elements(By.CSS_SELECTOR, "#accounts tbody tr")
    ]


def net_worth(driver: webdriver.Chrome) -> list[tuple[str, str, str]]:
    """Net worth as shown: (currency, the API's exact total, the total as shown)."""
    return [
        (
            item.get_attribute("data-currency"),
            item.get_attribute("data-amount"),
            item.find_element(By.CLASS_NAME, "amount").text,
        )
        for item in driver.find_elements(By.CSS_SELECTOR, "#net-worth li")
    ]


def register_rows(driver: webdriver.Chrome) -> list[tuple[str, ...]]:
    """The register as shown: (date, description, category or transfer, amount, running balance)."""
    return [
        tuple(cell.text for cell in row.find_elements(By.TAG_NAME, "td"))
        for row in driver.find_elements(By.CSS_SELECTOR, "#register-entries tbody tr")
    ]


def open_register(driver: webdriver.Chrome, wait: WebDriverWait, account_name: str) -> None:
    """Click an account's name and wait for the first page of its register."""
    buttons = driver.find_elements(By.CSS_SELECTOR, "#accounts button")
    next(button for button in buttons if button.text == account_name).click()
    wait.until(lambda _: driver.execute_script("return document.getElementById('register').dataset.loaded === 'true'"))


def en_us(amount: Decimal, symbol: str, digits: int, *, signed: bool = False) -> str:
    """What Intl.NumberFormat("en-US", {style: "currency"}) shows, for the test's oracle: "-$1,234.50", "+¥200"."""
    sign = "-" if amount < 0 else ("+" if signed and amount > 0 else "")
    return f"{sign}{symbol}{abs(amount):,.{digits}f}"


def running_register(opening: Decimal, entries: list[tuple[str, str, str, Decimal]], symbol: str, digits: int) -> list:
    """The oracle: (date, description, label, amount) oldest first -> the register rows newest first, each with
    the balance right after it, formatted as the dashboard shows them."""
    rows, balance = [], opening
    for day, description, label, amount in entries:
        balance += amount
        rows.append(
            (day, description, label, en_us(amount, symbol, digits, signed=True), en_us(balance, symbol, digits))
        )
    return rows[::-1]


def test_the_dashboard_redraws_itself_when_the_users_data_changes_elsewhere(
    live_stack: LiveStack, browser: webdriver.Chrome
) -> None:
    token = sign_up(live_stack, "noether", [{"amount": "100.00", "type": "INCOME", "category": "Salary"}])
    stranger = sign_up(live_stack, "hilbert", [])
    browser.get(f"{live_stack.base}/")
    wait = WebDriverWait(browser, 20)
    browser.find_element(By.ID, "username").send_keys("noether")
    browser.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
    wait.until(lambda driver: driver.execute_script("return document.body.dataset.loaded === 'true'"))
    assert browser.find_element(By.ID, "balance-total").text == "$100.00"

    # Written through the API, as from another device: the page follows the changes subscription.
    created = live_stack.graphql(CREATE, {"input": {"amount": "25.50", "type": "EXPENSE"}}, token=token)
    assert created["data"]["createTransaction"]["errors"] == []
    wait.until(ec.text_to_be_present_in_element((By.ID, "balance-total"), "$74.50"))
    assert browser.find_element(By.ID, "who").text == "(noether, 2 transactions in USD)"
    assert "updated live at" in browser.find_element(By.ID, "status").text
    redraws = browser.execute_script("return document.body.dataset.liveRedraws")

    # Another user's write never reaches this page.
    live_stack.graphql(CREATE, {"input": {"amount": "1.00", "type": "EXPENSE"}}, token=stranger)
    time.sleep(1.5)  # what a wrongly delivered change would take to redraw (250 ms debounce + one load)
    assert browser.execute_script("return document.body.dataset.liveRedraws") == redraws
    live_stack.graphql(CREATE, {"input": {"amount": "0.50", "type": "EXPENSE"}}, token=token)
    wait.until(ec.text_to_be_present_in_element((By.ID, "balance-total"), "$74.00"))
    assert browser.find_element(By.ID, "who").text == "(noether, 3 transactions in USD)"


def test_dashboard_shows_accounts_net_worth_and_registers_with_running_balances(
    live_stack: LiveStack, browser: webdriver.Chrome
) -> None:
    # Given Main (USD, the default) with 28 transactions, an archived card in USD that opened owing, and a cash
    # account in JPY whose name is HTML, with a transfer from Main to the yen account between currencies.
    start = date(2026, 1, 1)
    day = [(start + timedelta(days=offset)).isoformat() for offset in range(40)]
    main_entries = [(day[0], "January pay", "Salary", Decimal("1500.00"))]
    main_entries += [(day[n], f"Lunch {n}", "Food", Decimal("-6.00")) for n in range(1, 27)]
    main_entries += [(day[27], "Cinema", "Fun", Decimal("-9.50"))]
    token = sign_up(
        live_stack,
        "hamilton",
        [
            {
                "amount": str(abs(amount)),
                "type": "INCOME" if amount > 0 else "EXPENSE",
                "description": description,
                "category": category,
                "date": when,
            }
            for when, description, category, amount in main_entries
        ],
    )
    yen_name = '<img src=x onerror="document.body.dataset.injected=1"> Yen & cash'
    account_ids = {}
    for name, kind, currency, opening in [
        (yen_name, "CASH", "JPY", "1000"),
        ("Card", "CREDIT_CARD", "USD", "-234.50"),
    ]:
        created = live_stack.graphql(
            CREATE_ACCOUNT,
            {"input": {"name": name, "kind": kind, "currency": currency, "openingBalance": opening}},
            token=token,
        )["data"]["createAccount"]
        assert created["errors"] == [], created
        account_ids[name] = created["account"]["id"]
    main_id = live_stack.graphql("{ me { defaultAccount { id } } }", token=token)["data"]["me"]["defaultAccount"]["id"]
    transfer = {
        "fromAccountId": main_id,
        "toAccountId": account_ids[yen_name],
        "amount": "100.00",
        "toAmount": "250",
        "date": day[30],
        "description": "Cash for the trip",
    }
    created = live_stack.graphql(CREATE_TRANSFER, {"input": transfer}, token=token)["data"]["createTransfer"]
    assert created["errors"] == [], created
    # An archived account still shows, and still counts in net worth.
    archived = live_stack.graphql(
        "mutation($id: ID!) { updateAccount(id: $id, input: {archived: true}) { errors { code } } }",
        {"id": account_ids["Card"]},
        token=token,
    )["data"]["updateAccount"]
    assert archived["errors"] == [], archived
    ramen = {"amount": "50", "type": "EXPENSE", "category": "Food", "description": "Ramen", "date": day[31]}
    created = live_stack.graphql(CREATE, {"input": {**ramen, "accountId": account_ids[yen_name]}}, token=token)
    assert created["data"]["createTransaction"]["errors"] == [], created

    # When they log in
    browser.get(f"{live_stack.base}/")
    wait = WebDriverWait(browser, 20)
    browser.find_element(By.ID, "username").send_keys("hamilton")
    browser.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
    wait.until(lambda driver: driver.execute_script("return document.body.dataset.loaded === 'true'"))

    # Then every account shows with its balance in its own currency, by name; the HTML name is text, not markup.
    assert account_rows(browser) == [
        (f"{yen_name}", "Cash", "JPY", "¥1,200"),
        ("Card archived", "Credit card", "USD", "-$234.50"),
        ("Main default", "Checking", "USD", "$1,234.50"),
    ]
    assert browser.find_elements(By.CSS_SELECTOR, "#accounts img") == []
    # Net worth per currency, in code order: 1234.50 - 234.50 in USD; the transfer moved money, created none.
    assert net_worth(browser) == [("JPY", "1200", "¥1,200"), ("USD", "1000.00", "$1,000.00")]
    # The balance counts income and expense in the default currency only: the transfer is neither.
    assert browser.find_element(By.ID, "balance-total").text == "$1,334.50"
    assert browser.find_element(By.ID, "register").is_displayed() is False

    # When they open Main's register: the newest 25 entries, each with the exact balance right after it.
    open_register(browser, wait, "Main")
    main_register = running_register(
        Decimal("0.00"),
        [*main_entries, (day[30], "Cash for the trip", f"Transfer to {yen_name}", Decimal("-100.00"))],
        "$",
        2,
    )
    assert len(main_register) == 29
    assert main_register[0] == ("2026-01-31", "Cash for the trip", f"Transfer to {yen_name}", "-$100.00", "$1,234.50")
    assert register_rows(browser) == main_register[:25]
    assert browser.find_element(By.ID, "register-name").text == "Main (USD)"
    assert browser.find_element(By.ID, "register-status").text == "25 of 29 entries, newest first"

    # "Load more" appends the rest and goes away at the end.
    browser.find_element(By.ID, "register-more").click()
    wait.until(lambda driver: len(register_rows(driver)) == 29)
    assert register_rows(browser) == main_register
    assert main_register[-1] == ("2026-01-01", "January pay", "Salary", "+$1,500.00", "$1,500.00")
    assert browser.find_element(By.ID, "register-more").is_displayed() is False
    assert browser.find_element(By.ID, "register-status").text == "29 of 29 entries, newest first"
    assert save_screenshot(browser, "dashboard-register.png")

    # The yen account's register replaces Main's: whole yen, from its opening balance.
    open_register(browser, wait, yen_name)
    assert register_rows(browser) == [
        ("2026-02-01", "Ramen", "Food", "-¥50", "¥1,200"),
        ("2026-01-31", "Cash for the trip", "Transfer from Main", "+¥250", "¥1,250"),
    ]
    assert browser.find_element(By.ID, "register-name").text == f"{yen_name} (JPY)"
    assert browser.find_elements(By.CSS_SELECTOR, "#register img") == []
    assert browser.execute_script("return document.body.dataset.injected") is None
    assert browser.find_element(By.ID, "register-more").is_displayed() is False

    # The card: no entries, only its opening balance.
    open_register(browser, wait, "Card")
    assert register_rows(browser) == []
    assert browser.find_element(By.ID, "register-status").text == "No entries yet."


SET_BUDGET = "mutation($input: SetBudgetInput!) { setBudget(input: $input) { errors { code } } }"
CREATE_RULE = "mutation($input: CreateRecurringRuleInput!) { createRecurringRule(input: $input) { errors { code } } }"


def log_in_on_page(driver: webdriver.Chrome, wait: WebDriverWait, username: str) -> None:
    driver.find_element(By.ID, "username").clear()
    driver.find_element(By.ID, "username").send_keys(username)
    driver.find_element(By.ID, "password").send_keys(PASSWORD, Keys.ENTER)
    wait.until(lambda _: driver.execute_script("return document.body.dataset.loaded === 'true'"))


def table_texts(driver: webdriver.Chrome, selector: str) -> list[tuple[str, ...]]:
    """Every row of a table body as shown, header cells (th) included."""
    return [
        tuple(cell.text for cell in row.find_elements(By.CSS_SELECTOR, "th, td"))
        for row in driver.find_elements(By.CSS_SELECTOR, f"{selector} tbody tr")
    ]


def test_dashboard_shows_this_months_budgets_and_the_next_30_days_of_recurring_payments(
    live_stack: LiveStack, browser: webdriver.Chrome
) -> None:
    today = date.today()
    this_month, last_month = months_back(today, 0, 1), months_back(today, 1, 5)

    # Given a user with neither budgets nor rules, who spent 12.00 this month
    sign_up(live_stack, "smith", [{"amount": "12.00", "type": "EXPENSE", "category": "Books", "date": this_month}])
    # and one with budgets (Dining carrying last month's remainder), spending, and four rules: a weekly one from
    # today (the aggregator records today's occurrence), the others starting within the month, one in yen.
    spending = [
        (this_month, "Groceries", "120.40"),
        (this_month, "groceries", "35.10"),  # any case counts for the budget "Groceries"
        (this_month, "Dining", "82.25"),
        (last_month, "Dining", "50.00"),
        (this_month, "Coffee", "4.50"),  # no budget
    ]
    token = sign_up(
        live_stack,
        "keynes",
        [
            {"amount": amount, "type": "EXPENSE", "category": category, "date": day}
            for day, category, amount in spending
        ],
    )
    budgets = [
        ("Groceries", "400.00", this_month[:7], False),
        ("Dining", "60.00", last_month[:7], True),
        ("Transport", "100.00", this_month[:7], False),
    ]
    for category, amount, from_month, rollover in budgets:
        budget = {"category": category, "amount": amount, "fromMonth": from_month, "rollover": rollover}
        created = live_stack.graphql(SET_BUDGET, {"input": budget}, token=token)["data"]["setBudget"]
        assert created["errors"] == [], created
    yen = live_stack.graphql(
        CREATE_ACCOUNT, {"input": {"name": "Yen cash", "kind": "CASH", "currency": "JPY"}}, token=token
    )["data"]["createAccount"]["account"]["id"]
    day = [today + timedelta(days=offset) for offset in range(31)]
    rules = [
        {"amount": "30.00", "type": "EXPENSE", "category": "Fitness", "description": "Climbing gym",
         "frequency": "WEEKLY", "startDate": day[0].isoformat()},
        {"amount": "1200.00", "type": "EXPENSE", "category": "Rent", "description": "Flat rent",
         "frequency": "MONTHLY", "startDate": day[3].isoformat()},
        {"amount": "1500", "type": "EXPENSE", "category": "Subscriptions", "frequency": "MONTHLY",
         "startDate": day[5].isoformat(), "accountId": yen},
        {"amount": "3000.00", "type": "INCOME", "category": "Salary", "description": "Acme payroll",
         "frequency": "MONTHLY", "startDate": day[10].isoformat()},
    ]  # fmt: skip
    for rule in rules:
        created = live_stack.graphql(CREATE_RULE, {"input": rule}, token=token)["data"]["createRecurringRule"]
        assert created["errors"] == [], created

    def recorded_today() -> bool:
        answer = live_stack.graphql("{ upcoming(days: 0) { transaction { id } } }", token=token)["data"]["upcoming"]
        return bool(answer) and answer[0]["transaction"] is not None

    # The aggregator of the stack (every 200 ms) records the weekly rule's first occurrence, due today.
    WebDriverWait(browser, 30, poll_frequency=0.2).until(lambda _: recorded_today())

    # When the user without budgets or rules logs in: both panels say so, and what they spent is still shown.
    browser.get(f"{live_stack.base}/")
    wait = WebDriverWait(browser, 20)
    log_in_on_page(browser, wait, "smith")
    assert browser.find_element(By.ID, "budget-lines").is_displayed() is False
    assert browser.find_element(By.ID, "budgets-empty").text == (
        "No budgets for this month yet: set one with setBudget in GraphiQL."
    )
    assert browser.find_element(By.ID, "budget-unbudgeted").text == "Spent this month outside any budget: $12.00"
    assert browser.find_element(By.ID, "upcoming-occurrences").is_displayed() is False
    assert browser.find_element(By.ID, "upcoming-empty").text == (
        "Nothing recurring in the next 30 days: create a rule with createRecurringRule in GraphiQL."
    )
    browser.find_element(By.ID, "logout").click()
    wait.until(ec.visibility_of_element_located((By.ID, "login-form")))

    # When the user with budgets and rules logs in
    log_in_on_page(browser, wait, "keynes")

    # Then this month's budgets, by category: spent against budgeted (and what Dining carried from last month:
    # 60.00 - 50.00), the overspent one said in words and in red.
    spent = {"Dining": Decimal("82.25"), "Groceries": Decimal("155.50"), "Transport": Decimal("0.00")}
    carried = {"Dining": Decimal("60.00") - Decimal("50.00"), "Groceries": Decimal(0), "Transport": Decimal(0)}
    budgeted = {category: Decimal(amount) for category, amount, *_ in budgets}
    available = {category: budgeted[category] + carried[category] - spent[category] for category in spent}
    assert available["Dining"] == Decimal("-12.25")
    assert browser.find_element(By.ID, "budgets-title").text == f"Budgets, {today:%B %Y} USD"
    assert table_texts(browser, "#budget-lines") == [
        (
            category,
            "",
            en_us(spent[category], "$", 2),
            en_us(budgeted[category], "$", 2),
            en_us(carried[category], "$", 2, signed=True) if carried[category] else "",
            f"Overspent by {en_us(-available[category], '$', 2)}"
            if available[category] < 0
            else f"{en_us(available[category], '$', 2)} left",
        )
        for category in sorted(spent)
    ]
    rows = browser.find_elements(By.CSS_SELECTOR, "#budget-lines tbody tr")
    assert [row.get_attribute("class") for row in rows] == ["overspent", "", ""]
    red, ink = "rgba(198, 40, 40, 1)", "rgba(34, 34, 34, 1)"
    assert [row.find_elements(By.TAG_NAME, "td")[-1].value_of_css_property("color") for row in rows] == [red, ink, ink]
    # The bars: Dining's spending runs past what it may spend (60.00 + 10.00), Groceries' stops short of it.
    bars = [
        (float(row.find_element(By.CSS_SELECTOR, "rect.budget-limit").get_attribute("width")),
         float(row.find_element(By.CSS_SELECTOR, "rect.budget-spent").get_attribute("width")))
        for row in rows
    ]  # fmt: skip
    assert bars[0][1] > bars[0][0] > 0 and 0 < bars[1][1] < bars[1][0] and bars[2][1] == 0 < bars[2][0]
    assert len(rows[0].find_elements(By.CSS_SELECTOR, "line.budget-mark")) == 1  # where the 60.00 ends
    assert browser.find_element(By.ID, "budget-total-spent").text == en_us(sum(spent.values()), "$", 2)
    assert browser.find_element(By.ID, "budget-total-budgeted").text == en_us(sum(budgeted.values()), "$", 2)
    # Coffee, and the gym the aggregator recorded today: in no budget.
    assert browser.find_element(By.ID, "budget-unbudgeted").text == (
        f"Spent this month outside any budget: {en_us(Decimal('4.50') + Decimal('30.00'), '$', 2)}"
    )
    assert browser.find_element(By.ID, "budgets-empty").is_displayed() is False

    # And the next 30 days by date: today's gym recorded, the monthly rules once each, the gym every week.
    gym = ("Climbing gym Fitness", "Main", "-$30.00")
    expected = [(day[0].isoformat(), *gym, "recorded")]
    expected.append((day[3].isoformat(), "Flat rent Rent", "Main", "-$1,200.00", ""))
    expected.append((day[5].isoformat(), "Subscriptions", "Yen cash", "-¥1,500", ""))
    expected.append((day[7].isoformat(), *gym, ""))
    expected.append((day[10].isoformat(), "Acme payroll Salary", "Main", "+$3,000.00", ""))
    expected += [(day[offset].isoformat(), *gym, "") for offset in (14, 21, 28)]
    assert table_texts(browser, "#upcoming-occurrences") == expected
    assert browser.find_element(By.ID, "upcoming-empty").is_displayed() is False
    assert save_screenshot(browser, "dashboard-budgets-upcoming.png")
