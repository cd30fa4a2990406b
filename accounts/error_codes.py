"""Stable error codes of the accounts domain: clients branch on these, so never rename one."""

INVALID_USERNAME = "INVALID_USERNAME"
DUPLICATE_USERNAME = "DUPLICATE_USERNAME"
INVALID_EMAIL = "INVALID_EMAIL"
DUPLICATE_EMAIL = "DUPLICATE_EMAIL"
INVALID_PASSWORD = "INVALID_PASSWORD"
INVALID_CREDENTIALS = "INVALID_CREDENTIALS"
INVALID_REFRESH_TOKEN = "INVALID_REFRESH_TOKEN"
REFRESH_TOKEN_EXPIRED = "REFRESH_TOKEN_EXPIRED"

# GraphQL error `extensions.code` for a request that needs a user and has none (or a bad token).
UNAUTHENTICATED = "UNAUTHENTICATED"
WRONG_PASSWORD = "WRONG_PASSWORD"
INVALID_RESET_TOKEN = "INVALID_RESET_TOKEN"

# GraphQL error `extensions.code` when too many attempts came from one address or at one account.
RATE_LIMITED = "RATE_LIMITED"
