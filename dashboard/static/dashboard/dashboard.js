// The dashboard: logs in through the GraphQL API and draws its own SVG charts. No build step, no libraries.
//
// Tokens live in sessionStorage (this tab only, gone when it closes). Amounts arrive as exact strings ("1200.00")
// and are shown exactly as received; they become numbers only to size bars, where a pixel is the precision.
"use strict";

const GRAPHQL_URL = document.body.dataset.graphqlUrl;
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
const DASHBOARD = `query Dashboard($from: String!, $to: String!) {
  me { username }
  balance { total income expense transactionCount }
  monthlySummary(from: $from, to: $to) { month income expense net transactionCount }
  categoryBreakdown(from: $from, to: $to, type: EXPENSE) { category total transactionCount }
}`;

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

// "-1234.5" -> -123450: integer cents, used only for geometry.
function cents(amount) {
  const negative = amount.startsWith("-");
  const [whole, fraction = ""] = amount.replace(/^[-+]/, "").split(".");
  const value = Number(whole) * 100 + Number(fraction.padEnd(2, "0").slice(0, 2));
  return negative ? -value : value;
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
  const width = 880;
  const rows = [
    { label: "Income", amount: balance.income, className: "bar-income" },
    { label: "Expenses", amount: balance.expense, className: "bar-expense" },
  ];
  const left = 80;
  const right = 110;
  const scale = Math.max(1, ...rows.map((row) => cents(row.amount)));
  resetSvg(svg, width, rows.length * 30 + 10);
  rows.forEach((row, index) => {
    const y = 5 + index * 30;
    const barWidth = ((width - left - right) * cents(row.amount)) / scale;
    svg.appendChild(svgElement("text", { x: 0, y: y + 15 }, row.label));
    svg.appendChild(
      withTitle(
        svgElement("rect", { class: row.className, x: left, y, width: barWidth, height: 20, "data-amount": row.amount }),
        `${row.label}: ${row.amount}`,
      ),
    );
    svg.appendChild(svgElement("text", { class: "value", x: left + barWidth + 6, y: y + 15 }, row.amount));
  });
}

function drawTrend(svg, months) {
  const width = 880;
  const height = 280;
  const margin = { top: 15, right: 10, bottom: 30, left: 70 };
  const plotWidth = width - margin.left - margin.right;
  const plotHeight = height - margin.top - margin.bottom;
  const values = months.flatMap((month) => [cents(month.income), cents(month.expense), cents(month.net)]);
  const high = Math.max(1, ...values);
  const low = Math.min(0, ...values);
  const y = (value) => margin.top + (plotHeight * (high - value)) / (high - low);
  const slot = plotWidth / Math.max(1, months.length);
  const barWidth = Math.min(24, slot / 3);
  resetSvg(svg, width, height);

  svg.appendChild(svgElement("line", { class: "axis", x1: margin.left, x2: width - margin.right, y1: y(0), y2: y(0) }));
  const highLabel = months.reduce((best, month) => {
    for (const key of ["income", "expense", "net"]) if (cents(month[key]) === high) return month[key];
    return best;
  }, null);
  if (highLabel) svg.appendChild(svgElement("text", { x: 0, y: y(high) + 4 }, highLabel));
  svg.appendChild(svgElement("text", { x: 0, y: y(0) + 4 }, "0.00"));
  const lowLabel = months.map((month) => month.net).find((net) => cents(net) === low);
  if (low < 0 && lowLabel) svg.appendChild(svgElement("text", { x: 0, y: y(low) + 4 }, lowLabel));

  const points = [];
  months.forEach((month, index) => {
    const center = margin.left + slot * index + slot / 2;
    for (const [key, className, offset] of [
      ["income", "bar-income", -barWidth - 1],
      ["expense", "bar-expense", 1],
    ]) {
      const top = y(cents(month[key]));
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
          `${month.month} ${key}: ${month[key]}`,
        ),
      );
    }
    svg.appendChild(svgElement("text", { x: center, y: height - 10, "text-anchor": "middle" }, monthLabel(month.month)));
    points.push([center, y(cents(month.net)), month]);
  });
  svg.appendChild(svgElement("polyline", { class: "net-line", points: points.map(([x, py]) => `${x},${py}`).join(" ") }));
  for (const [x, py, month] of points) {
    svg.appendChild(
      withTitle(
        svgElement("circle", { class: "net-point", cx: x, cy: py, r: 3.5, "data-month": month.month, "data-amount": month.net }),
        `${month.month} net: ${month.net}`,
      ),
    );
  }
}

function drawCategories(svg, categories) {
  document.getElementById("category-empty").hidden = categories.length > 0;
  const width = 880;
  const rowHeight = 26;
  const left = 160;
  const right = 110;
  const scale = Math.max(1, ...categories.map((row) => cents(row.total)));
  resetSvg(svg, width, Math.max(1, categories.length * rowHeight + 6));
  categories.forEach((row, index) => {
    const y = 3 + index * rowHeight;
    const barWidth = ((width - left - right) * cents(row.total)) / scale;
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
        `${row.category}: ${row.total} (${row.transactionCount} transactions)`,
      ),
    );
    svg.appendChild(svgElement("text", { class: "value", x: left + barWidth + 6, y: y + 14 }, row.total));
  });
}

function showLogin(message = "") {
  document.getElementById("dashboard").hidden = true;
  document.getElementById("logout").hidden = true;
  document.getElementById("login-form").hidden = false;
  const error = document.getElementById("login-error");
  error.textContent = message;
  error.hidden = !message;
}

async function load() {
  const status = document.getElementById("status");
  document.getElementById("login-form").hidden = true;
  document.getElementById("dashboard").hidden = false;
  document.getElementById("logout").hidden = false;
  status.textContent = "Loading…";
  document.getElementById("login-error").hidden = true;
  const range = lastTwelveMonths();
  try {
    const data = await query(DASHBOARD, range);
    document.getElementById("who").textContent = `(${data.me.username}, ${data.balance.transactionCount} transactions)`;
    document.getElementById("balance-total").textContent = data.balance.total;
    drawBalance(document.getElementById("balance-chart"), data.balance);
    drawTrend(document.getElementById("trend-chart"), data.monthlySummary);
    drawCategories(document.getElementById("category-chart"), data.categoryBreakdown);
    status.textContent = `${range.from} to ${range.to}`;
    document.body.dataset.loaded = "true"; // tests wait for this
  } catch (error) {
    if (error instanceof Unauthenticated) {
      forgetTokens();
      showLogin(error.message);
    } else {
      status.textContent = `Could not load the dashboard: ${error.message}`;
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
  forgetTokens();
  delete document.body.dataset.loaded;
  showLogin();
  if (refreshToken) await post(REVOKE, { refreshToken }).catch(() => {});
}

document.getElementById("login-form").addEventListener("submit", logIn);
document.getElementById("logout").addEventListener("click", logOut);
if (sessionStorage.getItem(TOKEN_KEY)) load();
