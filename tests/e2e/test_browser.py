"""GraphiQL and the dashboard in a real headless Chromium, against the stack started as `make run` starts it."""

import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import date
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
    registered = stack.graphql(
        "mutation($u: String!, $e: String!, $p: String!) { register(username: $u, email: $e, password: $p) "
        "{ errors { code } } }",
        {"u": username, "e": f"{username}@example.com", "p": PASSWORD},
    )
    assert registered["data"]["register"]["errors"] == []
    login = stack.graphql(
        "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token errors { code } } }",
        {"u": username, "p": PASSWORD},
    )["data"]["login"]
    assert login["errors"] == []
    for fields in transactions:
        created = stack.graphql(CREATE, {"input": fields}, token=login["token"])
        assert created["data"]["createTransaction"]["errors"] == [], created
    return login["token"]


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
    assert browser.find_element(By.ID, "balance-total").text == "2000.51"
    assert [
        bar.get_attribute("data-amount") for bar in browser.find_elements(By.CSS_SELECTOR, "#balance-chart rect")
    ] == [
        "6000.00",
        "3999.49",
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

    categories = browser.find_elements(By.CSS_SELECTOR, "#category-chart rect.bar-category")
    assert [(bar.get_attribute("data-category"), bar.get_attribute("data-amount")) for bar in categories] == [
        ("Rent", "2400.00"),
        ("Travel", "450.00"),
        ("Groceries", "149.50"),
    ]
    assert save_screenshot(browser, "dashboard.png")
