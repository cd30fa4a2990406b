// The dashboard: logs in through the GraphQL API and draws its own SVG charts. No build step, no libraries.
//
// Tokens live in sessionStorage (this tab only, gone when it closes). Amounts arrive as exact strings in their
// currency's digits ("1200.00" USD, "1200" JPY, "1.250" KWD) and are shown with Intl.NumberFormat in the browser's
// languages, which formats a string as the exact decimal it spells (Intl.NumberFormat v3, Chromium 106+), never
// through a float. They become numbers only to size bars, where a pixel is the precision.
// Every user text (names, descriptions, categories) reaches the page as textContent, never as markup.
"use strict";

const GRAPHQL_URL = document.body.dataset.graphqlUrl;
const SUBSCRIPTION_URL = document.body.dataset.subscriptionUrl;
const SVG_NS = "http://www.w3.org/2000/svg";
const MONTH_NAMES = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const TOKEN_KEY = "finance.token";
const REFRESH_KEY = "finance.refreshToken";

const LOGIN = `mutation Login($username: String!, $password: String!) {
  login(username: $username, password: $password) { token refreshToken errors { field message code } }
}`;
const REFRESH = `mutation Refresh($refreshToken: String!) {
  refreshToken(refreshToken: $refreshToken) { token refreshToken errors { code } }
}`;
const REVOKE = `mutation Revoke($refreshToken: String!) { revokeToken(refreshToken: $refreshToken) { revoked } }`;
const REGISTER_PAGE_SIZE = 25;
const ACCOUNT_KINDS = {
  CHECKING: "Checking",
  SAVINGS: "Savings",
  CREDIT_CARD: "Credit card",
  CASH: "Cash",
  INVESTMENT: "Investment",
  LOAN: "Loan",
  OTHER: "Other",
};

// balance, monthlySummary, categoryBreakdown and budgetReport without a currency: the default account's currency,
// which balance.currency names. $to is this month (the browser's), the budgets' month too.
// changeCursor first: fields run in order, so a change committed while the rest is read comes again on the
// subscription (one redraw too many), never falls between the figures and the cursor.
const DASHBOARD = `query Dashboard($from: String!, $to: String!) {
  changeCursor
  me { username }
  accounts(includeArchived: true) { id name kind currency balance archived isDefault }
  netWorth { currency total }
  balance { currency total income expense transactionCount }
  monthlySummary(from: $from, to: $to) { month income expense net transactionCount }
  categoryBreakdown(from: $from, to: $to, type: EXPENSE) { category total transactionCount }
  budgetReport(month: $to) {
    month currency totalBudgeted totalSpent unbudgetedSpent
    lines { category budgeted carriedOver spent available overspent }
  }
  upcoming(days: 30) {
    date amount transaction { id }
    rule { id description category type account { name currency } }
  }
}`;

const REGISTER = `query Register($id: ID!, $first: Int!, $after: String) {
  account(id: $id) {
    id name currency
    entries(first: $first, after: $after) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node {
        id date kind amount description category runningBalance
        transfer { fromAccount { name } toAccount { name } }
      } }
    }
  }
}`;

const LIVE_CHANGES = "subscription Live($after: String) { changes(after: $after) { sequence } }";

class Unauthenticated extends Error {}

async function post(query, variables, token) {
  const headers = { "Content-Type": "application/json" };
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(GRAPHQL_URL, { method: "POST", headers, body: JSON.stringify({ query, variables }) });
  if (!response.ok) throw new Error(`The server answered ${response.status}.`);
  const body = await response.json();
  if (body.errors && body.errors.length) {
    if (body.errors.some((error) => error.extensions && error.extensions.code === "UNAUTHENTICATED")) {
      throw new Unauthenticated(body.errors[0].message);
    }
    throw new Error(body.errors.map((error) => error.message).join("; "));
  }
  return body.data;
}

// An authenticated query; an expired access token is renewed once with the refresh token (which rotates).
async function query(text, variables) {
  try {
    return await post(text, variables, sessionStorage.getItem(TOKEN_KEY));
  } catch (error) {
    const refreshToken = sessionStorage.getItem(REFRESH_KEY);
    if (!(error instanceof Unauthenticated) || !refreshToken) throw error;
    const renewed = (await post(REFRESH, { refreshToken })).refreshToken;
    if (renewed.errors.length) throw new Unauthenticated("Your session has ended: please log in again.");
    storeTokens(renewed);
    return post(text, variables, renewed.token);
  }
}

function storeTokens({ token, refreshToken }) {
  sessionStorage.setItem(TOKEN_KEY, token);
  sessionStorage.setItem(REFRESH_KEY, refreshToken);
}

function forgetTokens() {
  sessionStorage.removeItem(TOKEN_KEY);
  sessionStorage.removeItem(REFRESH_KEY);
}

// "YYYY-MM" for the current month and the eleven before it, in the browser's time zone.
function lastTwelveMonths(now = new Date()) {
  const month = (date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}`;
  return { from: month(new Date(now.getFullYear(), now.getMonth() - 11, 1)), to: month(now) };
}

// "-1234.50" -> -123450: the amount in minor units, for geometry only (a chart holds one currency, so one scale).
function minorUnits(amount) {
  return Number(amount.replace(".", ""));
}

// Digits after the point: "12.50" -> 2, "1200" -> 0, "1.250" -> 3.
function fractionDigits(amount) {
  const point = amount.indexOf(".");
  return point < 0 ? 0 : amount.length - point - 1;
}

const moneyFormats = new Map();

// ("1234.50", "USD") -> "$1,234.50" in en-US, "1.234,50 $" in de-DE: exactly the digits received, whatever the
// browser's own table says the currency has, so nothing is ever rounded. `signed` puts a plus on money in.
function formatMoney(amount, currency, { signed = false, digits = fractionDigits(amount) } = {}) {
  const key = `${currency} ${digits} ${signed}`;
  if (!moneyFormats.has(key)) {
    const options = { style: "currency", currency, minimumFractionDigits: digits, maximumFractionDigits: digits };
    if (signed) options.signDisplay = "exceptZero";
    moneyFormats.set(key, new Intl.NumberFormat(navigator.languages, options));
  }
  return moneyFormats.get(key).format(amount);
}

// "2026-11" -> "November 2026" in the browser's languages (the month itself, whatever the browser's time zone).
function monthName(month) {
  const [year, number] = month.split("-").map(Number);
  const format = new Intl.DateTimeFormat(navigator.languages, { month: "long", year: "numeric", timeZone: "UTC" });
  return format.format(new Date(Date.UTC(year, number - 1, 1)));
}

function monthLabel(month) {
  const [year, number] = month.split("-");
  return `${MONTH_NAMES[Number(number) - 1]} ${year.slice(2)}`;
}

function svgElement(name, attributes = {}, text = null) {
  const element = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== null) element.textContent = text; // textContent, never markup: categories are user input
  return element;
}

function withTitle(element, title) {
  element.appendChild(svgElement("title", {}, title));
  return element;
}

function resetSvg(svg, width, height) {
  svg.replaceChildren();
  svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
  svg.setAttribute("width", width);
  svg.setAttribute("height", height);
}

function drawBalance(svg, balance) {
  const money = (amount) => formatMoney(amount, balance.currency);
  const width = 880;
  const rows = [
    { label: "Income", amount: balance.income, className: "bar-income" },
    { label: "Expenses", amount: balance.expense, className: "bar-expense" },
  ];
  const left = 80;
  const right = 110;
  const scale = Math.max(1, ...rows.map((row) => minorUnits(row.amount)));
  resetSvg(svg, width, rows.length * 30 + 10);
  rows.forEach((row, index) => {
    const y = 5 + index * 30;
    const barWidth = ((width - left - right) * minorUnits(row.amount)) / scale;
    svg.appendChild(svgElement("text", { x: 0, y: y + 15 }, row.label));
    svg.appendChild(
      withTitle(
        svgElement("rect", { class: row.className, x: left, y, width: barWidth, height: 20, "data-amount": row.amount }),
        `${row.label}: ${money(row.amount)}`,
      ),
    );
    svg.appendChild(svgElement("text", { class: "value", x: left + barWidth + 6, y: y + 15 }, money(row.amount)));
  });
}

function drawTrend(svg, months, currency) {
  const money = (amount) => formatMoney(amount, currency);
  const width = 880;
  const height = 280;
  const margin = { top: 15, right: 10, bottom: 30, left: 90 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const values = months.flatMap((month) => [month.income, month.expense, month.net].map(minorUnits));
  const high = Math.max(1, ...values);
  const low = Math.min(0, ...values);
  const y = (value) => margin.top + (plotHeight * (high - value)) / (high - low);
  const slot = plotWidth / Math.max(1, months.length);
  const barWidth = Math.min(24, slot / 3);
  resetSvg(svg, width, height);

  svg.appendChild(svgElement("line", { class: "axis", x1: margin.left, x2: width - margin.right, y1: y(0), y2: y(0) }));
  const highLabel = months.reduce((best, month) => {
    for (const key of ["income", "expense", "net"]) if (minorUnits(month[key]) === high) return month[key];
    return best;
  }, null);
  if (highLabel) svg.appendChild(svgElement("text", { x: 0, y: y(high) + 4 }, money(highLabel)));
  const digits = months.length ? fractionDigits(months[0].net) : 0;
  svg.appendChild(svgElement("text", { x: 0, y: y(0) + 4 }, formatMoney("0", currency, { digits })));
  const lowLabel = months.map((month) => month.net).find((net) => minorUnits(net) === low);
  if (low < 0 && lowLabel) svg.appendChild(svgElement("text", { x: 0, y: y(low) + 4 }, money(lowLabel)));

  const points = [];
  months.forEach((month, index) => {
    const center = margin.left + slot * index + slot / 2;
    for (const [key, className, offset] of [
      ["income", "bar-income", -barWidth - 1],
      ["expense", "bar-expense", 1],
    ]) {
      const top = y(minorUnits(month[key]));
      svg.appendChild(
        withTitle(
          svgElement("rect", {
            class: className,
            x: center + offset,
            y: top,
            width: barWidth,
            height: y(0) - top,
            "data-month": month.month,
            "data-amount": month[key],
          }),
          `${month.month} ${key}: ${money(month[key])}`,
        ),
      );
    }
    svg.appendChild(svgElement("text", { x: center, y: height - 10, "text-anchor": "middle" }, monthLabel(month.month)));
    points.push([center, y(minorUnits(month.net)), month]);
  });
  svg.appendChild(svgElement("polyline", { class: "net-line", points: points.map(([x, py]) => `${x},${py}`).join(" ") }));
  for (const [x, py, month] of points) {
    svg.appendChild(
      withTitle(
        svgElement("circle", { class: "net-point", cx: x, cy: py, r: 3.5, "data-month": month.month, "data-amount": month.net }),
        `${month.month} net: ${money(month.net)}`,
      ),
    );
  }
}

function drawCategories(svg, categories, currency) {
  const money = (amount) => formatMoney(amount, currency);
  document.getElementById("category-empty").hidden = categories.length > 0;
  const width = 880;
  const rowHeight = 26;
  const left = 160;
  const right = 110;
  const scale = Math.max(1, ...categories.map((row) => minorUnits(row.total)));
  resetSvg(svg, width, Math.max(1, categories.length * rowHeight + 6));
  categories.forEach((row, index) => {
    const y = 3 + index * rowHeight;
    const barWidth = ((width - left - right) * minorUnits(row.total)) / scale;
    const label = row.category.length > 24 ? `${row.category.slice(0, 23)}…` : row.category;
    svg.appendChild(svgElement("text", { x: 0, y: y + 14 }, label));
    svg.appendChild(
      withTitle(
        svgElement("rect", {
          class: "bar-category",
          x: left,
          y,
          width: barWidth,
          height: rowHeight - 8,
          "data-category": row.category,
          "data-amount": row.total,
        }),
        `${row.category}: ${money(row.total)} (${row.transactionCount} transactions)`,
      ),
    );
    svg.appendChild(svgElement("text", { class: "value", x: left + barWidth + 6, y: y + 14 }, money(row.total)));
  });
}

function htmlElement(name, attributes = {}, text = null) {
  const element = document.createElement(name);
  for (const [key, value] of Object.entries(attributes)) element.setAttribute(key, String(value));
  if (text !== null) element.textContent = text; // textContent, never markup: names and descriptions are user input
  return element;
}

function tableRow(cells) {
  const tr = document.createElement("tr");
  for (const cell of cells) tr.appendChild(cell);
  return tr;
}

function moneyCell(amount, currency, attributes = {}, options = {}) {
  const negative = amount.startsWith("-") ? " negative" : "";
  return htmlElement("td", { class: `amount${negative}`, ...attributes }, formatMoney(amount, currency, options));
}

function drawAccounts(accounts, netWorth) {
  const body = document.querySelector("#accounts tbody");
  body.replaceChildren();
  for (const account of accounts) {
    const open = htmlElement("button", { type: "button", class: "link" }, account.name);
    open.addEventListener("click", () => openRegister(account));
    const name = htmlElement("td");
    name.appendChild(open);
    if (account.isDefault) name.appendChild(htmlElement("span", { class: "hint" }, " default"));
    if (account.archived) name.appendChild(htmlElement("span", { class: "hint" }, " archived"));
    const tr = tableRow([
      name,
      htmlElement("td", {}, ACCOUNT_KINDS[account.kind] || account.kind),
      htmlElement("td", {}, account.currency),
      moneyCell(account.balance, account.currency, { "data-amount": account.balance }),
    ]);
    tr.dataset.accountId = account.id;
    if (account.archived) tr.classList.add("archived");
    body.appendChild(tr);
  }
  document.getElementById("accounts-empty").hidden = accounts.length > 0;
  document.getElementById("net-worth").replaceChildren(
    ...netWorth.map((line) => {
      const item = htmlElement("li", { "data-currency": line.currency, "data-amount": line.total });
      item.appendChild(htmlElement("span", { class: "hint" }, `${line.currency} `));
      item.appendChild(htmlElement("span", { class: "amount" }, formatMoney(line.total, line.currency)));
      return item;
    }),
  );
}

// "0.00", "-0", "0.000": a zero amount in any currency's digits.
function isZero(amount) {
  return minorUnits(amount) === 0;
}

// One budget line's bar (decorative: its row says the same in text), on one scale per line: the fill is what was
// spent, the outlined box what the month allows (budgeted plus what was carried over, never below zero), drawn over
// the fill so that overspending shows as fill running out of the box; a dashed tick marks the budgeted amount when
// something was carried over, so the carried part shows beside it.
function budgetBar(line) {
  const width = 240;
  const height = 14;
  const budgeted = minorUnits(line.budgeted);
  const limit = Math.max(0, budgeted + minorUnits(line.carriedOver));
  const spent = minorUnits(line.spent);
  const scale = Math.max(1, budgeted, limit, spent);
  const x = (value) => (width * value) / scale;
  const svg = svgElement("svg", {
    class: "budget-bar",
    viewBox: `0 0 ${width} ${height}`,
    preserveAspectRatio: "none",
    "aria-hidden": "true",
    focusable: "false",
  });
  svg.appendChild(svgElement("rect", { class: "budget-track", x: 0, y: 0, width, height }));
  const fill = line.overspent ? "budget-spent overspent" : "budget-spent";
  svg.appendChild(svgElement("rect", { class: fill, x: 0, y: 2, width: x(spent), height: height - 4 }));
  const edge = { "vector-effect": "non-scaling-stroke" };
  const box = { class: "budget-limit", x: 0, y: 0.5, width: x(limit), height: height - 1 };
  svg.appendChild(svgElement("rect", { ...box, ...edge }));
  if (!isZero(line.carriedOver)) {
    const at = x(budgeted);
    svg.appendChild(svgElement("line", { class: "budget-mark", x1: at, x2: at, y1: 0, y2: height, ...edge }));
  }
  return svg;
}

function drawBudgets(report) {
  const money = (amount, options) => formatMoney(amount, report.currency, options);
  document.getElementById("budgets-month").textContent = monthName(report.month);
  document.getElementById("budgets-currency").textContent = report.currency;
  const body = document.querySelector("#budget-lines tbody");
  body.replaceChildren();
  for (const line of report.lines) {
    const bar = htmlElement("td", { class: "budget-bar-column" });
    bar.appendChild(budgetBar(line));
    // Overspent: red and said in words. `available` is then "-12.25": the amount over is its digits after the sign.
    const available = line.overspent
      ? htmlElement("td", { class: "amount overspent" }, `Overspent by ${money(line.available.slice(1))}`)
      : htmlElement("td", { class: "amount" }, `${money(line.available)} left`);
    const carried = isZero(line.carriedOver) ? "" : money(line.carriedOver, { signed: true });
    const tr = tableRow([
      htmlElement("th", { scope: "row" }, line.category),
      bar,
      htmlElement("td", { class: "amount" }, money(line.spent)),
      htmlElement("td", { class: "amount" }, money(line.budgeted)),
      htmlElement("td", { class: "amount" }, carried),
      available,
    ]);
    Object.assign(tr.dataset, {
      category: line.category,
      spent: line.spent,
      budgeted: line.budgeted,
      carriedOver: line.carriedOver,
      available: line.available,
    });
    if (line.overspent) tr.classList.add("overspent");
    body.appendChild(tr);
  }
  document.getElementById("budget-total-spent").textContent = money(report.totalSpent);
  document.getElementById("budget-total-budgeted").textContent = money(report.totalBudgeted);
  document.getElementById("budget-unbudgeted").textContent =
    `Spent this month outside any budget: ${money(report.unbudgetedSpent)}`;
  document.getElementById("budget-lines").hidden = report.lines.length === 0;
  document.getElementById("budgets-empty").hidden = report.lines.length > 0;
}

// The next 30 days of recurring rules, by date: amounts signed by type, in each rule's account's currency.
function drawUpcoming(occurrences) {
  const body = document.querySelector("#upcoming-occurrences tbody");
  body.replaceChildren();
  for (const occurrence of occurrences) {
    const { rule } = occurrence;
    const what = htmlElement("td", {}, rule.description || rule.category);
    if (rule.description) what.appendChild(htmlElement("span", { class: "hint" }, ` ${rule.category}`));
    const signed = rule.type === "EXPENSE" ? `-${occurrence.amount}` : occurrence.amount;
    const tr = tableRow([
      htmlElement("td", { class: "date" }, occurrence.date),
      what,
      htmlElement("td", {}, rule.account.name),
      moneyCell(signed, rule.account.currency, { "data-amount": signed }, { signed: true }),
      htmlElement("td", {}, occurrence.transaction ? "recorded" : ""),
    ]);
    tr.dataset.ruleId = rule.id;
    if (occurrence.transaction) tr.classList.add("recorded");
    body.appendChild(tr);
  }
  document.getElementById("upcoming-occurrences").hidden = occurrences.length === 0;
  document.getElementById("upcoming-empty").hidden = occurrences.length > 0;
}

// The register shown, so that a late answer for an account no longer shown (or a page already shown) is dropped.
const register = { accountId: null, after: null, request: 0 };

function entryLabel(entry) {
  if (entry.kind === "TRANSFER_IN") return `Transfer from ${entry.transfer.fromAccount.name}`;
  if (entry.kind === "TRANSFER_OUT") return `Transfer to ${entry.transfer.toAccount.name}`;
  return entry.category;
}

async function loadRegisterPage() {
  const request = ++register.request;
  const more = document.getElementById("register-more");
  const status = document.getElementById("register-status");
  more.disabled = true;
  status.textContent = "Loading…";
  try {
    const variables = { id: register.accountId, first: REGISTER_PAGE_SIZE, after: register.after };
    const { account } = await query(REGISTER, variables);
    if (request !== register.request) return;
    if (!account) {
      status.textContent = "This account no longer exists.";
      more.hidden = true;
      return;
    }
    const { edges, pageInfo, totalCount } = account.entries;
    const body = document.querySelector("#register-entries tbody");
    for (const { node: entry } of edges) {
      const tr = tableRow([
        htmlElement("td", { class: "date" }, entry.date),
        htmlElement("td", {}, entry.description),
        htmlElement("td", {}, entryLabel(entry)),
        moneyCell(entry.amount, account.currency, { "data-amount": entry.amount }, { signed: true }),
        moneyCell(entry.runningBalance, account.currency, { "data-amount": entry.runningBalance }),
      ]);
      tr.dataset.entryId = entry.id;
      tr.dataset.kind = entry.kind;
      body.appendChild(tr);
    }
    register.after = pageInfo.endCursor;
    more.hidden = !pageInfo.hasNextPage;
    const shown = body.childElementCount;
    status.textContent = totalCount ? `${shown} of ${totalCount} entries, newest first` : "No entries yet.";
    document.getElementById("register").dataset.loaded = "true"; // tests wait for this
  } catch (error) {
    if (request !== register.request) return;
    if (error instanceof Unauthenticated) {
      forgetTokens();
      showLogin(error.message);
      return;
    }
    status.textContent = `Could not load the register: ${error.message}`;
  } finally {
    if (request === register.request) more.disabled = false;
  }
}

function closeRegister() {
  register.accountId = null;
  register.request += 1;
  const section = document.getElementById("register");
  section.hidden = true;
  delete section.dataset.loaded;
  document.querySelector("#register-entries tbody").replaceChildren();
}

function openRegister(account) {
  closeRegister();
  Object.assign(register, { accountId: account.id, after: null });
  for (const tr of document.querySelectorAll("#accounts tbody tr")) {
    tr.classList.toggle("selected", tr.dataset.accountId === account.id);
  }
  document.getElementById("register-name").textContent = `${account.name} (${account.currency})`;
  document.getElementById("register-more").hidden = true;
  const section = document.getElementById("register");
  section.hidden = false;
  section.scrollIntoView({ block: "nearest" });
  return loadRegisterPage();
}

function showLogin(message = "") {
  document.getElementById("dashboard").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("login-form").hidden = false;
  const error = document.getElementById("login-error");
  error.textContent = message;
  error.hidden = !message;
}

// Live updates: the page follows the `changes` subscription and redraws (once per burst of changes) when this user's
// data changes, from this tab, another device or the recurring-rules recorder. The socket authenticates with the
// current access token at connect; when it closes (the token expired or was revoked, the server restarted), the
// page redraws, which renews the token through an ordinary query, and follows again.
let liveClient = null;
let redrawTimer = null;
let drawnUpTo = null; // the change cursor the figures on the page were read at

function followChanges() {
  if (liveClient || !window.graphqlWs || !SUBSCRIPTION_URL || !sessionStorage.getItem(TOKEN_KEY)) return;
  liveClient = graphqlWs.createClient({
    url: SUBSCRIPTION_URL,
    connectionParams: () => ({ Authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` }),
    retryAttempts: 0,
  });
  // From the cursor the page was drawn at: a change made before the socket is up still redraws it.
  liveClient.subscribe(
    { query: LIVE_CHANGES, variables: { after: drawnUpTo } },
    {
      next: () => {
        clearTimeout(redrawTimer);
        redrawTimer = setTimeout(() => load({ live: true }), 250);
      },
      error: () => {
        // Closed (expired or revoked token, server restart) or refused (a cursor past retention): redraw, which
        // renews the token, reads a new cursor and follows again from it.
        stopFollowing();
        redrawTimer = setTimeout(() => load({ live: true }), 2000);
      },
      complete: () => {},
    },
  );
}

function stopFollowing() {
  clearTimeout(redrawTimer);
  if (liveClient) liveClient.dispose();
  liveClient = null;
}

async function load({ live = false } = {}) {
  const status = document.getElementById("status");
  document.getElementById("login-form").hidden = true;
  document.getElementById("dashboard").hidden = false;
  document.getElementById("logout").hidden = false;
  if (!live) status.textContent = "Loading…";
  document.getElementById("login-error").hidden = true;
  const range = lastTwelveMonths();
  if (!live) closeRegister(); // a live redraw leaves an open register as the user left it
  try {
    const data = await query(DASHBOARD, range);
    drawnUpTo = data.changeCursor;
    const { balance } = data;
    drawAccounts(data.accounts, data.netWorth);
    document.getElementById("who").textContent =
      `(${data.me.username}, ${balance.transactionCount} transactions in ${balance.currency})`;
    document.getElementById("balance-total").textContent = formatMoney(balance.total, balance.currency);
    for (const element of document.querySelectorAll(".chart-currency")) element.textContent = balance.currency;
    drawBalance(document.getElementById("balance-chart"), balance);
    drawTrend(document.getElementById("trend-chart"), data.monthlySummary, balance.currency);
    drawCategories(document.getElementById("category-chart"), data.categoryBreakdown, balance.currency);
    drawBudgets(data.budgetReport);
    drawUpcoming(data.upcoming);
    status.textContent = `${range.from} to ${range.to}`;
    if (live) {
      status.textContent += `, updated live at ${new Date().toLocaleTimeString()}`;
      document.body.dataset.liveRedraws = String(Number(document.body.dataset.liveRedraws || 0) + 1);
    }
    document.body.dataset.loaded = "true"; // tests wait for this
    followChanges();
  } catch (error) {
    if (error instanceof Unauthenticated) {
      stopFollowing();
      forgetTokens();
      showLogin(error.message);
    } else {
      status.textContent = `Could not load the dashboard: ${error.message}`;
      if (live) redrawTimer = setTimeout(() => load({ live: true }), 5000); // the server is unreachable: retry
    }
  }
}

async function logIn(event) {
  event.preventDefault();
  const form = event.target;
  const button = form.querySelector("button");
  button.disabled = true;
  try {
    const variables = { username: form.username.value, password: form.password.value };
    const result = (await post(LOGIN, variables)).login;
    if (result.errors.length) {
      showLogin(result.errors.map((error) => error.message).join(" "));
      form.password.value = "";
      form.password.focus();
      return;
    }
    storeTokens(result);
    form.password.value = "";
    await load();
  } catch (error) {
    showLogin(`Could not log in: ${error.message}`);
  } finally {
    button.disabled = false;
  }
}

async function logOut() {
  const refreshToken = sessionStorage.getItem(REFRESH_KEY);
  stopFollowing();
  forgetTokens();
  delete document.body.dataset.loaded;
  closeRegister();
  showLogin();
  if (refreshToken) await post(REVOKE, { refreshToken }).catch(() => {});
}

document.getElementById("login-form").addEventListener("submit", logIn);
document.getElementById("logout").addEventListener("click", logOut);
document.getElementById("register-more").addEventListener("click", loadRegisterPage);
if (sessionStorage.getItem(TOKEN_KEY)) load();
