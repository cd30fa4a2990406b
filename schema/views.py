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
        # Strawberry answers transport-level refusals (array batching, a body that is not JSON, a missing query)
        # with a bare text body; clients get the GraphQL error shape with a code instead.
        try:
            if request.method == "POST" and request.content_type == "application/json":
                # Strawberry assumes a JSON object (or a list, for batches) and fails with a 500 on a bare string
                # or number; refuse those here. Only the first byte is looked at: this is the hot path.
                first = request.body.lstrip()[:1]
                if first not in (b"{", b"["):
                    raise HTTPException(400, "The request body must be a JSON object with a `query`.")
            return self.run(request=request)
        except HTTPException as error:
            code = "BATCHING_NOT_ALLOWED" if "atching" in error.reason else "BAD_REQUEST"
            if error.status_code in (404, 405):
                code = "NOT_FOUND" if error.status_code == 404 else "METHOD_NOT_ALLOWED"
            body = {"errors": [{"message": error.reason, "extensions": {"code": code}}]}
            return JsonResponse(body, status=error.status_code)

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        if not settings.GRAPHIQL_ENABLED:  # read per request, so a deployment setting needs no code path
            raise HTTPException(404, "The explorer is disabled on this server.")
        # Strawberry's page loads React and GraphiQL from public CDNs; ours loads the copies `make assets` installs
        # from npm, served by this server, so GraphiQL works offline and behind firewalls.
        return render(request, "dashboard/graphiql.html")


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
