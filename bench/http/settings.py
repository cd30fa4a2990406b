"""The API's settings for the benchmark's server: config.settings as they are, with the bench-only URLconf
(bench.http.urls: every production route, then the plain views). The bench sets DJANGO_SETTINGS_MODULE to this
module (bench.stack.api_environment); production never loads it, so config/urls.py never routes the plain views."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.http.urls"
