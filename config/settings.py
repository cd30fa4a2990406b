"""Settings, all from the environment (12-factor) with safe local defaults.

Nothing production-only lives outside environment variables: set DEBUG=false, SECRET_KEY, ALLOWED_HOSTS,
DATABASE_URL and REDIS_URL for a deployment. See the README's configuration table.
"""

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
    "graphql_jwt.refresh_token.apps.RefreshTokenConfig",
    "strawberry_django",
    "accounts",
    "ledger",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
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

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"

AUTHENTICATION_BACKENDS = [
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

ACCESS_TOKEN_LIFETIME = env.int("ACCESS_TOKEN_LIFETIME", default=300)
REFRESH_TOKEN_LIFETIME = env.int("REFRESH_TOKEN_LIFETIME", default=7 * 24 * 3600)

GRAPHQL_JWT = {
    "JWT_ALGORITHM": "HS256",
    "JWT_VERIFY_EXPIRATION": True,  # the library's default is False: expired tokens would be accepted
    "JWT_EXPIRATION_DELTA": timedelta(seconds=ACCESS_TOKEN_LIFETIME),
    "JWT_REFRESH_EXPIRATION_DELTA": timedelta(seconds=REFRESH_TOKEN_LIFETIME),
    "JWT_LONG_RUNNING_REFRESH_TOKEN": True,
    "JWT_AUTH_HEADER_PREFIX": "Bearer",
    "JWT_SECRET_KEY": env.str("JWT_SECRET_KEY", default=SECRET_KEY),
    # Refresh tokens are stored as SHA-256 digests; the lookup hashes what the client presents.
    "JWT_GET_REFRESH_TOKEN_HANDLER": "accounts.tokens.get_refresh_token_by_digest",
}

GRAPHQL_MAX_PAGE_SIZE = 500
GRAPHIQL_ENABLED = env.bool("GRAPHIQL_ENABLED", default=True)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}

if not DEBUG:
    if SECRET_KEY == _DEV_SECRET_KEY or len(SECRET_KEY) < 32:
        from django.core.exceptions import ImproperlyConfigured

        raise ImproperlyConfigured("DEBUG is off: set SECRET_KEY to a random string of at least 32 characters.")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
