from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from schema.context import RequestContext
from schema.schema import schema


class FinanceGraphQLView(GraphQLView):
    """POST for clients (Bearer tokens, so no cookies and no CSRF), GraphiQL for GET from a browser."""

    def get_context(self, request: HttpRequest, response: HttpResponse) -> RequestContext:
        return RequestContext(request=request, response=response)


graphql_view = csrf_exempt(
    FinanceGraphQLView.as_view(
        schema=schema,
        graphql_ide="graphiql" if settings.GRAPHIQL_ENABLED else None,
        allow_queries_via_get=False,
    )
)


def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Does no I/O, so it is also the benchmark's baseline."""
    return JsonResponse({"status": "ok"})
