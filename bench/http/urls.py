"""The bench server's URLconf: the production routes first and unchanged (every measured GraphQL case resolves as
in production), then the bench-only plain views (bench.http.plain_views)."""

from django.urls import path

from bench.http.cases import BALANCE_PLAIN_PATH, FIRST_PAGE_PLAIN_PATH
from bench.http.plain_views import balance_plain, first_page_plain
from config.urls import urlpatterns as production_urlpatterns

urlpatterns = [
    *production_urlpatterns,
    path(BALANCE_PLAIN_PATH.lstrip("/"), balance_plain),
    path(FIRST_PAGE_PLAIN_PATH.lstrip("/"), first_page_plain),
]
