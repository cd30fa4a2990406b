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

MEANINGS = {
    INVALID_USERNAME: "Letters, digits and @.+-_ only, 1-150 characters.",
    DUPLICATE_USERNAME: "The username is taken (without regard to case).",
    INVALID_EMAIL: "Not a valid email address.",
    DUPLICATE_EMAIL: "The email is taken (without regard to case).",
    INVALID_PASSWORD: "Refused by the password validators (too short, too common, too similar, all digits).",
    INVALID_CREDENTIALS: "Unknown username or wrong password (one answer for both).",
    INVALID_REFRESH_TOKEN: "The refresh token is unknown, revoked, or was already used (a replay revokes its "
    "family, except within REFRESH_TOKEN_REUSE_INTERVAL).",
    REFRESH_TOKEN_EXPIRED: "The refresh token is past REFRESH_TOKEN_LIFETIME: log in again.",
    UNAUTHENTICATED: "GraphQL error: no, malformed, expired or revoked access token.",
    WRONG_PASSWORD: "changePassword: the current password is wrong.",
    INVALID_RESET_TOKEN: "The password reset token is malformed, expired or already used.",
    RATE_LIMITED: "GraphQL error with `retryAfter` seconds: too many logins, registrations, password changes or "
    "reset requests.",
}
