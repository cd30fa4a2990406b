// The live changes subscription with graphql-ws (what Apollo and urql use for graphql-transport-ws):
// FINANCE_API_URL=http://127.0.0.1:8000/graphql/ FINANCE_LIVE_URL=ws://127.0.0.1:8001/graphql/ npm test
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { test } from "node:test";

import {
  CHANGES,
  CHANGE_CURSOR,
  CREATE_TRANSACTION,
  authenticatedClient,
  liveClient,
  signUp,
} from "../client.js";

const URL = process.env.FINANCE_API_URL;
const LIVE_URL = process.env.FINANCE_LIVE_URL;
const WAIT_MS = 10_000;

/** The subscription's events as a queue: `next()` resolves with the next change (or rejects on error/close). */
function follow(client, after) {
  const changes = [];
  const waiters = [];
  let failure = null;
  const settle = () => {
    while (waiters.length && (changes.length || failure)) {
      const { resolve, reject } = waiters.shift();
      if (changes.length) resolve(changes.shift());
      else reject(failure);
    }
  };
  const stop = client.subscribe(
    { query: CHANGES, variables: { after } },
    {
      next: ({ data, errors }) => {
        if (errors) failure = Object.assign(new Error("subscription errors"), { errors });
        else changes.push(data.changes);
        settle();
      },
      error: (error) => {
        failure = error;
        settle();
      },
      complete: () => {
        failure = failure ?? new Error("completed");
        settle();
      },
    },
  );
  const next = () =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("no change within the wait")), WAIT_MS);
      waiters.push({
        resolve: (value) => (clearTimeout(timer), resolve(value)),
        reject: (error) => (clearTimeout(timer), reject(error)),
      });
      settle();
    });
  return { next, stop };
}

async function newUser() {
  const { token } = await signUp(URL, `jslive_${randomUUID().slice(0, 8)}`, "a long passphrase");
  return { token, api: authenticatedClient(URL, token) };
}

async function create(api, amount) {
  const { createTransaction } = await api.request(CREATE_TRANSACTION, {
    input: { amount, type: "EXPENSE", category: "Live", date: "2026-05-01" },
  });
  assert.deepEqual(createTransaction.errors, []);
  return createTransaction.transaction.id;
}

test("subscribe, write over HTTP, receive each change in order, then resume with after", async () => {
  assert.ok(URL && LIVE_URL, "set FINANCE_API_URL and FINANCE_LIVE_URL");
  const { token, api } = await newUser();
  const { changeCursor } = await api.request(CHANGE_CURSOR);
  const client = liveClient(LIVE_URL, token, { retryAttempts: 0 });
  try {
    const feed = follow(client, changeCursor);
    const ids = [await create(api, "10.00"), await create(api, "20.00")];
    const first = await feed.next();
    const second = await feed.next();
    assert.deepEqual([first.entityId, second.entityId], ids);
    assert.deepEqual([first.operation, first.entityType], ["CREATED", "TRANSACTION"]);
    assert.deepEqual([first.transaction.amount, second.transaction.amount], ["10.00", "20.00"]);
    assert.equal(Number(second.sequence), Number(first.sequence) + 1);
    feed.stop();

    // Missed while away: a new subscription from the last sequence received replays exactly those.
    const missed = await create(api, "30.00");
    const resumed = follow(client, second.sequence);
    const replayed = await resumed.next();
    assert.equal(replayed.entityId, missed);
    assert.equal(Number(replayed.sequence), Number(second.sequence) + 1);
    resumed.stop();
  } finally {
    await client.dispose();
  }
});

test("a refused token closes the socket with 4403", async () => {
  assert.ok(LIVE_URL, "set FINANCE_LIVE_URL");
  const client = liveClient(LIVE_URL, "not-a-token", { retryAttempts: 0 });
  try {
    const feed = follow(client, null);
    await assert.rejects(feed.next(), (event) => {
      assert.equal(event.code, 4403);
      assert.equal(event.reason, "Forbidden");
      return true;
    });
  } finally {
    await client.dispose();
  }
});
