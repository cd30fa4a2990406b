// A frontend's whole session against a live server: FINANCE_API_URL=http://127.0.0.1:8000/graphql/ npm test
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { buildSchema, parse, validate } from "graphql";
import { ClientError } from "graphql-request";

import {
  BALANCE,
  CREATE_TRANSACTION,
  LoginError,
  OPERATIONS,
  REGISTER,
  TRANSACTIONS,
  anonymousClient,
  authenticatedClient,
  login,
} from "../client.js";

const URL = process.env.FINANCE_API_URL;
const SCHEMA = buildSchema(readFileSync(new globalThis.URL("../../../schema.graphql", import.meta.url), "utf8"));

test("every operation is valid against the committed schema.graphql", () => {
  for (const [name, document] of Object.entries(OPERATIONS)) {
    assert.deepEqual(validate(SCHEMA, parse(document)), [], name);
  }
});

test("register, log in, send the Bearer header, create, list and read the balance", async () => {
  assert.ok(URL, "set FINANCE_API_URL, e.g. http://127.0.0.1:8000/graphql/");
  const username = `js_${randomUUID().slice(0, 8)}`;
  const password = "a long passphrase";

  const { register } = await anonymousClient(URL).request(REGISTER, {
    username,
    email: `${username}@example.com`,
    password,
  });
  assert.deepEqual(register.errors, []);
  assert.equal(register.user.username, username);

  const { token } = await login(URL, username, password);
  await assert.rejects(login(URL, username, "not the password"), (error) => {
    assert.ok(error instanceof LoginError);
    assert.deepEqual(error.codes, ["INVALID_CREDENTIALS"]);
    return true;
  });

  // Without the header the API refuses with a typed GraphQL error, which graphql-request raises as ClientError.
  await assert.rejects(anonymousClient(URL).request(BALANCE), (error) => {
    assert.ok(error instanceof ClientError);
    assert.equal(error.response.errors[0].extensions.code, "UNAUTHENTICATED");
    return true;
  });

  const api = authenticatedClient(URL, token);
  const inputs = [
    { amount: "2500.00", type: "INCOME", category: "Salary", date: "2026-04-30" },
    { amount: "19.99", type: "EXPENSE", category: "Books", date: "2026-05-02", description: "Un livre" },
    { amount: "0.01", type: "EXPENSE", date: "2026-05-03" },
  ];
  for (const input of inputs) {
    const { createTransaction } = await api.request(CREATE_TRANSACTION, { input });
    assert.deepEqual(createTransaction.errors, []);
    assert.equal(createTransaction.transaction.amount, input.amount);
  }
  const { createTransaction: refused } = await api.request(CREATE_TRANSACTION, {
    input: { amount: "1e3", type: "EXPENSE" },
  });
  assert.equal(refused.transaction, null);
  assert.deepEqual(
    refused.errors.map((error) => [error.field, error.code]),
    [["amount", "INVALID_AMOUNT"]],
  );

  const first = (await api.request(TRANSACTIONS, { first: 2 })).transactions;
  assert.equal(first.totalCount, 3);
  assert.equal(first.pageInfo.hasNextPage, true);
  const rest = (await api.request(TRANSACTIONS, { first: 2, after: first.pageInfo.endCursor })).transactions;
  assert.equal(rest.pageInfo.hasNextPage, false);
  assert.deepEqual(
    [...first.edges, ...rest.edges].map(({ node }) => [node.date, node.amount, node.category]),
    [
      ["2026-05-03", "0.01", "Other"],
      ["2026-05-02", "19.99", "Books"],
      ["2026-04-30", "2500.00", "Salary"],
    ],
  );

  const { balance } = await api.request(BALANCE);
  assert.deepEqual(balance, { total: "2480.00", income: "2500.00", expense: "20.00", transactionCount: 3 });
});
