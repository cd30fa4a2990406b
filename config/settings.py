"""Settings, all from the environment (12-factor) with safe local defaults.

Nothing production-only lives outside environment variables: set DEBUG=false, SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL and REDIS_URL for a deployment. See the README's configuration table.
"""

import datetime
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEBUG = env.bool("DEBUG", default=True)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.staticfiles",
    "corsheaders",
    "graphql_jwt.refresh_token.apps.RefreshTokenConfig",
    "strawberry_django",
    "accounts",
    "ledger",
    "webhooks",
    "dashboard",
    "ops",  # its `migrate` serializes concurrent runs on PostgreSQL (several hosts starting together)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": []},
    }
]

# SQLite is the embedded default. IMMEDIATE transactions take the write lock up front, so concurrent writers
# queue on busy_timeout instead of failing with "database is locked" when a read transaction upgrades.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'db.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
else:
    DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Django turns psycopg's prepared statements off (transaction-pooling PgBouncers before 1.21 break them). On, but
    # never automatic: only what storage.connections.prepared_cursor runs (the per-request user lookup) is prepared.
    if env.bool("DB_PREPARED_STATEMENTS", default=True):
        DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = 2**31 - 1
# A connection that served a request less than this many seconds ago skips the health check (storage.connections).
DB_HEALTH_CHECK_AFTER_IDLE = env.float("DB_HEALTH_CHECK_AFTER_IDLE", default=1.0)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
# ledger_txn_user_date_covering INCLUDEs the aggregator's columns on PostgreSQL; on SQLite Django drops the INCLUDE (the
# index still serves keyset pages) and would otherwise warn about it on every command.
SILENCED_SYSTEM_CHECKS = ["models.W040"]

AUTHENTICATION_BACKENDS = [
    # The client's brief fixes graphql_jwt's backend as part of the stack. It authenticates a request by its token
    # only when Django's authenticate() is given the request; login passes credentials, which it leaves to
    # ModelBackend, and tokens are verified by accounts.tokens (header only, never the JWT cookie it also reads).
    "graphql_jwt.backends.JSONWebTokenBackend",
    "django.contrib.auth.backends.ModelBackend",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Redis backs the balance cache. Short socket timeouts: with Redis down the API must keep answering from the
# database, so a dead Redis may cost a request a few hundred milliseconds at most, never an error.
REDIS_URL = env.str("REDIS_URL", default="redis://127.0.0.1:6379/0")
CACHES = {
    "default": {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env.str("CACHE_KEY_PREFIX", default="fin"),
        "OPTIONS": {
            "CLIENT_CLASS": "django_redis.client.DefaultClient",
            "SOCKET_CONNECT_TIMEOUT": env.float("REDIS_CONNECT_TIMEOUT", default=0.25),
            "SOCKET_TIMEOUT": env.float("REDIS_SOCKET_TIMEOUT", default=0.25),
        },
    }
}
BALANCE_CACHE_TTL = env.int("BALANCE_CACHE_TTL", default=300)
# Days the change log (`changes`, `history`) keeps a change; `manage.py prune_changes` deletes older ones. A client
# whose cursor is older gets CURSOR_EXPIRED and re-syncs from the full queries.
CHANGE_RETENTION_DAYS = env.int("CHANGE_RETENTION_DAYS", default=90)
# Subscriptions (issue 14, schema/live_hub.py): every LIVE_POLL_SECONDS each ASGI process checks its connected users
# in one query, delivering changes whose Redis message was lost (or never sent: the Go binary) and closing revoked
# connections. LIVE_PORT (devserver.run) is where `make run` serves websockets.
LIVE_POLL_SECONDS = env.float("LIVE_POLL_SECONDS", default=2.0)
# Webhooks (issue 14): true lets webhook URLs use plain http and reach loopback, private and link-local addresses,
# both when created and when the Go worker delivers; for local development and tests only (SSRF otherwise).
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env.bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
WEBHOOK_MAX_PER_USER = env.int("WEBHOOK_MAX_PER_USER", default=20)
# ISO 4217 code of the default ledger account that new users (and, in migration 0006, existing users) get when they
# do not name one. Checked at startup (ledger.apps): an unknown code refuses to start.
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="USD").strip().upper()

ACCESS_TOKEN_LIFETIME = env.int("ACCESS_TOKEN_LIFETIME", default=300)
REFRESH_TOKEN_LIFETIME = env.int("REFRESH_TOKEN_LIFETIME", default=7 * 24 * 3600)
# Seconds after a rotation in which presenting the rotated refresh token again returns the same successor instead
# of revoking the family (concurrent or retried refreshes); 0 turns the grace off.
REFRESH_TOKEN_REUSE_INTERVAL = env.int("REFRESH_TOKEN_REUSE_INTERVAL", default=5)

GRAPHQL_JWT = {
    "JWT_ALGORITHM": "HS256",
    "JWT_VERIFY_EXPIRATION": True,  # the library's default is False: expired tokens would be accepted
    "JWT_EXPIRATION_DELTA": timedelta(seconds=ACCESS_TOKEN_LIFETIME),
    "JWT_REFRESH_EXPIRATION_DELTA": timedelta(seconds=REFRESH_TOKEN_LIFETIME),
    "JWT_LONG_RUNNING_REFRESH_TOKEN": True,
    "JWT_AUTH_HEADER_PREFIX": "Bearer",
    "JWT_SECRET_KEY": env.str("JWT_SECRET_KEY", default=SECRET_KEY),
    # Refresh tokens are stored as SHA-256 digests; the lookup hashes what the client presents.
}

GRAPHQL_MAX_PAGE_SIZE = 500
# importTransactions takes the CSV as a string of at most this many bytes (UTF-8). The request body may be larger
# than the CSV (JSON escapes quotes and newlines), so Django's own body limit sits above it; a CSV over the cap then
# gets the mutation's clear error rather than a bare 400.
CSV_IMPORT_MAX_BYTES = env.int("CSV_IMPORT_MAX_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * CSV_IMPORT_MAX_BYTES + 1024 * 1024
# Production (DEBUG off) turns these off unless a setting explicitly enables them.
GRAPHIQL_ENABLED = env.bool("GRAPHIQL_ENABLED", default=DEBUG)
GRAPHQL_INTROSPECTION = env.bool("GRAPHQL_INTROSPECTION", default=DEBUG)
GRAPHQL_FIELD_SUGGESTIONS = env.bool("GRAPHQL_FIELD_SUGGESTIONS", default=DEBUG)
# Where GraphiQL opens subscriptions: this URL when set (behind a proxy that routes websockets of /graphql/ to the live
# server, the page's own ws(s)://host/graphql/); else the page's host on LIVE_PORT, the live server `make run` starts.
GRAPHQL_SUBSCRIPTION_URL = env.str("GRAPHQL_SUBSCRIPTION_URL", default="")
LIVE_PORT = env.int("LIVE_PORT", default=0)

# Login throttling (see accounts/rate_limits.py): failures per (username, address) and attempts per address.
LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS = env.int("LOGIN_FAILURES_PER_USERNAME_AND_ADDRESS", default=5)
LOGIN_ATTEMPTS_PER_ADDRESS = env.int("LOGIN_ATTEMPTS_PER_ADDRESS", default=30)
LOGIN_WINDOW_SECONDS = env.int("LOGIN_WINDOW_SECONDS", default=900)
PASSWORD_RESETS_PER_ADDRESS = env.int("PASSWORD_RESETS_PER_ADDRESS", default=5)
# Registrations per client address per hour (each hashes a password), and wrong current passwords per user in
# changePassword per LOGIN_WINDOW_SECONDS (a stolen access token must not guess the password on forever).
REGISTRATIONS_PER_ADDRESS = env.int("REGISTRATIONS_PER_ADDRESS", default=10)
PASSWORD_CHANGE_FAILURES_PER_USER = env.int("PASSWORD_CHANGE_FAILURES_PER_USER", default=5)
# How many proxies in front of the server append to X-Forwarded-For; 0 trusts only REMOTE_ADDR.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Browsers call this API from the origins listed here. Bearer tokens travel in a header, never in cookies, so
# credentialed CORS is off; a wildcard is allowed only that way.
CORS_ALLOWED_ORIGINS = [origin for origin in env.list("CORS_ALLOWED_ORIGINS", default=[]) if origin != "*"]
CORS_ALLOW_ALL_ORIGINS = "*" in env.list("CORS_ALLOWED_ORIGINS", default=[])
CORS_ALLOW_CREDENTIALS = False
CORS_URLS_REGEX = r"^/graphql/?$"

# Password reset: Django's token generator (expires, single use) and email backend.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=3600)
PASSWORD_RESET_URL = env.str("PASSWORD_RESET_URL", default="http://localhost:8000/reset-password?token={token}")
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="no-reply@localhost")

# Security headers (SecurityMiddleware, XFrameOptionsMiddleware), on in every mode.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "no-referrer"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)  # set when served over HTTPS only
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
# Moves "today" for the ledger (ledger.clock) and the Go aggregator alike: demos and end-to-end tests of recurring
# rules. Unset in production.
LEDGER_TODAY = datetime.date.fromisoformat(env.str("LEDGER_TODAY")) if env.str("LEDGER_TODAY", default="") else None
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Browser libraries come from npm (`make assets` installs frontend/node_modules, git-ignored) and are served by
# WhiteNoise straight from their package directories, under gunicorn and with DEBUG off, with no collectstatic step.
# Only these directories are exposed, under fixed prefixes; WhiteNoise refuses paths outside them.
FRONTEND_MODULES = BASE_DIR / "frontend" / "node_modules"
STATICFILES_DIRS = [
    ("vendor/graphiql", FRONTEND_MODULES / "graphiql"),
    ("vendor/react", FRONTEND_MODULES / "react" / "umd"),
    ("vendor/react-dom", FRONTEND_MODULES / "react-dom" / "umd"),
    ("vendor/graphql-ws", FRONTEND_MODULES / "graphql-ws" / "umd"),
]
WHITENOISE_USE_FINDERS = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "ops.logging.JsonLogFormatter"},
    },
    # One JSON object per line in production (log shippers parse it); plain text for people in DEBUG.
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain" if DEBUG else "json"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

if not DEBUG:
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DEBUG is off: set SECRET_KEY to a random string of at least 32 characters.")
