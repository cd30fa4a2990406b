// A small typed-by-schema client for the personal-finance API, on graphql-request.
//
//   import { login, authenticatedClient } from "./client.js";
//   const { token } = await login(url, "ada", "a long passphrase");
//   const api = authenticatedClient(url, token);
//   await api.request(BALANCE);
//
// Every operation below is checked against the committed schema.graphql by the test (test/session.test.js).
import { GraphQLClient, gql } from "graphql-request";

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

export const OPERATIONS = { REGISTER, LOGIN, CREATE_TRANSACTION, TRANSACTIONS, BALANCE };

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
