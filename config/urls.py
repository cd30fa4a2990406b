from django.urls import include, path

from schema.views import graphql_view, health

urlpatterns = [
    path("graphql/", graphql_view, name="graphql"),
    path("healthz", health, name="healthz"),
    path("", include("ops.urls")),  # readyz, metrics
    path("", include("dashboard.urls")),
]
