// A small typed-by-schema client for the personal-finance API, on graphql-request.
//
//   import { login, authenticatedClient } from "./client.js";
//   const { token } = await login(url, "ada", "a long passphrase");
//   const api = authenticatedClient(url, token);
//   await api.request(BALANCE);
//
// Live changes (the `changes` subscription) come over websocket from the live server, with graphql-ws:
//
//   const live = liveClient("ws://127.0.0.1:8001/graphql/", token);
//   live.subscribe({ query: CHANGES, variables: { after } }, { next: ({ data }) => ..., error, complete });
//
// Every operation below is checked against the committed schema.graphql by the test (test/session.test.js).
import { GraphQLClient, gql } from "graphql-request";
import { createClient } from "graphql-ws";
import WebSocket from "ws";

export const REGISTER = gql`
  mutation Register($username: String!, $email: String!, $password: String!) {
    register(username: $username, email: $email, password: $password) {
      user { id username }
      errors { field message code }
    }
  }
`;

export const LOGIN = gql`
  mutation Login($username: String!, $password: String!) {
    login(username: $username, password: $password) { token refreshToken errors { field message code } }
  }
`;

export const CREATE_TRANSACTION = gql`
  mutation CreateTransaction($input: CreateTransactionInput!) {
    createTransaction(input: $input) {
      transaction { id amount type category date description }
      errors { field message code }
    }
  }
`;

export const TRANSACTIONS = gql`
  query Transactions($first: Int, $after: String, $filters: TransactionFilter) {
    transactions(first: $first, after: $after, filters: $filters) {
      totalCount
      pageInfo { hasNextPage endCursor }
      edges { node { id amount type category date description } }
    }
  }
`;

export const BALANCE = gql`
  query Balance { balance { total income expense transactionCount } }
`;

export const CHANGE_CURSOR = gql`
  query ChangeCursor { changeCursor }
`;

// Store the `sequence` of the last change applied: passing it as `after` on reconnect replays what was missed.
export const CHANGES = gql`
  subscription Changes($after: String) {
    changes(after: $after) { sequence operation entityType entityId transaction { id amount type category date } }
  }
`;

export const OPERATIONS = { REGISTER, LOGIN, CREATE_TRANSACTION, TRANSACTIONS, BALANCE, CHANGE_CURSOR, CHANGES };

/** An anonymous client: register and login need no token. */
export function anonymousClient(url) {
  return new GraphQLClient(url);
}

/** A client that sends `Authorization: Bearer <token>` with every request. */
export function authenticatedClient(url, token) {
  return new GraphQLClient(url, { headers: { Authorization: `Bearer ${token}` } });
}

/** A refused login: the API's messages, and its stable `codes` for programs (e.g. ["INVALID_CREDENTIALS"]). */
export class LoginError extends Error {
  constructor(errors) {
    super(errors.map((error) => error.message).join(" "));
    this.name = "LoginError";
    this.codes = errors.map((error) => error.code);
  }
}

/** Log in; throws a LoginError when the credentials are refused. */
export async function login(url, username, password) {
  const { login: payload } = await anonymousClient(url).request(LOGIN, { username, password });
  if (payload.errors.length) throw new LoginError(payload.errors);
  return payload;
}

/** Register a new user and log in: the token pair. Throws a LoginError when either is refused. */
export async function signUp(url, username, password, email = `${username}@example.com`) {
  const { register } = await anonymousClient(url).request(REGISTER, { username, email, password });
  if (register.errors.length) throw new LoginError(register.errors);
  return login(url, username, password);
}

/**
 * A graphql-transport-ws client of the live server (e.g. ws://127.0.0.1:8001/graphql/): the token travels in
 * connection_init's payload. A refused, expired or revoked token closes the socket with code 4403: log in (or refresh)
 * again, then resubscribe with `after` = the last sequence received. `options` go to graphql-ws's createClient.
 */
export function liveClient(wsUrl, token, options = {}) {
  return createClient({
    url: wsUrl,
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    ...options,
  });
}
