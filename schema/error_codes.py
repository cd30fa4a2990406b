"""Stable error codes of the API layer itself (transport, documents, limits): clients branch on these, so never
rename one. Every code, with the domains' (accounts.error_codes, ledger.error_codes), is listed in the README from
the MEANINGS of these modules (`make schema` writes that table; a test fails when it is stale)."""

BAD_REQUEST = "BAD_REQUEST"
BATCHING_NOT_ALLOWED = "BATCHING_NOT_ALLOWED"
QUERY_TOO_LARGE = "QUERY_TOO_LARGE"
PAYLOAD_TOO_LARGE = "PAYLOAD_TOO_LARGE"
NOT_FOUND = "NOT_FOUND"
METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
BAD_USER_INPUT = "BAD_USER_INPUT"
QUERY_TOO_COMPLEX = "QUERY_TOO_COMPLEX"
EXPORT_TOO_LARGE = "EXPORT_TOO_LARGE"
INTERNAL_SERVER_ERROR = "INTERNAL_SERVER_ERROR"

MEANINGS = {
    BAD_REQUEST: "HTTP 400: the body is not a JSON object with a `query` (not JSON, not UTF-8, nested too deeply).",
    BATCHING_NOT_ALLOWED: "HTTP 400: the body is a JSON array; send one operation per request.",
    QUERY_TOO_LARGE: "HTTP 413: the GraphQL document is longer than 16,384 characters (variables do not count).",
    PAYLOAD_TOO_LARGE: "HTTP 413: the request body is over the upload limit (twice CSV_IMPORT_MAX_BYTES + 1 MB).",
    NOT_FOUND: "HTTP 404: GraphiQL is disabled on this server (or, in a payload, no such record of the caller's).",
    METHOD_NOT_ALLOWED: "HTTP 405: only POST (and GET for GraphiQL in a browser).",
    GRAPHQL_PARSE_FAILED: "The document is not valid GraphQL syntax.",
    GRAPHQL_VALIDATION_FAILED: "The document asks for something the schema does not have, or a literal of the "
    "wrong type (an unknown field, argument or enum value).",
    BAD_USER_INPUT: "A variable does not fit its type: a missing required input field, an unknown one, a wrong "
    "enum value. The message names the variable and the path.",
    QUERY_TOO_COMPLEX: "The document is over a limit: depth 10, 15 aliases, 2,000 tokens, 250 field selections "
    "(fragments expanded) or 10 directives.",
    EXPORT_TOO_LARGE: "exportTransactions would return more than 100,000 rows: narrow the filters.",
    INTERNAL_SERVER_ERROR: "HTTP 500 from the endpoint itself (a field's unexpected error is masked as "
    '"Internal server error." with no code); logged on the server.',
}
