from cross_web import HTTPException
from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView

from schema.context import RequestContext
from schema.schema import schema


class FinanceGraphQLView(GraphQLView):
    """POST for clients (Bearer tokens, so no cookies and no CSRF), GraphiQL for GET from a browser."""

    def get_context(self, request: HttpRequest, response: HttpResponse) -> RequestContext:
        return RequestContext(request=request, response=response)

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        # Strawberry answers transport-level refusals (a body that is not JSON, a missing query) with a bare text
        # body; clients get the GraphQL error shape with a code instead.
        if request.method == "POST" and request.content_type == "application/json":
            # Only the first byte is looked at: this is the hot path. Strawberry would fail with a 500 on a bare
            # JSON string or number, and an array is a batch, which this API does not accept.
            first = request.body.lstrip()[:1]
            if first == b"[":
                return _graphql_error(
                    "Batching is not supported: send one operation per request.", 400, "BATCHING_NOT_ALLOWED"
                )
            if first != b"{":
                return _graphql_error("The request body must be a JSON object with a `query`.", 400, "BAD_REQUEST")
        try:
            return self.run(request=request)
        except HTTPException as error:
            code = {404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED"}.get(error.status_code, "BAD_REQUEST")
            return _graphql_error(error.reason, error.status_code, code)

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        if not settings.GRAPHIQL_ENABLED:  # read per request, so a deployment setting needs no code path
            raise HTTPException(404, "The explorer is disabled on this server.")
        # Strawberry's page loads React and GraphiQL from public CDNs; ours loads the copies `make assets` installs
        # from npm, served by this server, so GraphiQL works offline and behind firewalls.
        return render(request, "dashboard/graphiql.html")


def _graphql_error(message: str, status: int, code: str) -> JsonResponse:
    return JsonResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status=status)


graphql_view = csrf_exempt(
    FinanceGraphQLView.as_view(
        schema=schema,
        graphql_ide="graphiql",
        allow_queries_via_get=False,
    )
)


def health(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers. Does no I/O, so it is also the benchmark's baseline."""
    return JsonResponse({"status": "ok"})
