import json
import logging

from cross_web import HTTPException
from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.csrf import csrf_exempt
from strawberry.django.views import GraphQLView
from strawberry.http import GraphQLRequestData

from schema import error_codes
from schema.context import RequestContext
from schema.extensions import MAX_DOCUMENT_LENGTH
from schema.schema import schema

logger = logging.getLogger("schema")


class FinanceGraphQLView(GraphQLView):
    """POST for clients (Bearer tokens, so no cookies and no CSRF), GraphiQL for GET from a browser."""

    def get_context(self, request: HttpRequest, response: HttpResponse | None) -> RequestContext:
        return RequestContext(request=request, response=response)

    def dispatch(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        # This endpoint always answers JSON: never Django's HTML error pages (with DEBUG on, a 100 KB traceback).
        try:
            return self._dispatch(request)
        except RequestDataTooBig:
            return _graphql_error(
                f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.",
                413,
                error_codes.PAYLOAD_TOO_LARGE,
            )
        except Exception:
            logger.exception("unexpected error in the GraphQL view")
            return _graphql_error("Internal server error.", 500, error_codes.INTERNAL_SERVER_ERROR)

    def _dispatch(self, request: HttpRequest) -> HttpResponse:
        try:
            if request.method == "POST" and request.content_type == "application/json":
                # Only the first byte is looked at: this is the hot path. Strawberry would fail with a 500 on a bare
                # JSON string or number, and an array is a batch, which this API does not accept.
                first = request.body.lstrip()[:1]
                if first == b"[":
                    return _graphql_error(
                        "Batching is not supported: send one operation per request.",
                        400,
                        error_codes.BATCHING_NOT_ALLOWED,
                    )
                if first != b"{":
                    return _graphql_error(
                        "The request body must be a JSON object with a `query`.", 400, error_codes.BAD_REQUEST
                    )
                accept = request.META.get("HTTP_ACCEPT")
                if not accept or self._get_stream_transport_from_headers({"accept": accept}) is None:
                    return self._post_json(request)
            return self.run(request=request)
        except HTTPException as error:
            # Strawberry answers transport-level refusals (a body that is not JSON, a missing query) with a bare
            # text body; clients get the GraphQL error shape with a code instead.
            code = {
                404: error_codes.NOT_FOUND,
                405: error_codes.METHOD_NOT_ALLOWED,
                413: error_codes.QUERY_TOO_LARGE,
            }.get(error.status_code, error_codes.BAD_REQUEST)
            return _graphql_error(error.reason, error.status_code, code)

    def _post_json(self, request: HttpRequest) -> HttpResponse:
        """Strawberry's run() for what clients send: one operation in a JSON object by POST, no stream asked for.
        The same steps (execute_single, process_result, create_response), with the body read as parse_http_body
        reads it but without its request adapter, which copies every header into a dict and parses the content type
        again: together that cost more than executing a cached query (bench/README.md, issue 15). Everything else
        (GET, GraphiQL, multipart, a stream in Accept) goes through run()."""
        try:
            text = request.body.decode()  # as Strawberry's request adapter reads it
        except UnicodeDecodeError:
            raise HTTPException(400, "The request body is not UTF-8.") from None
        operation = operation_of(self.decode_json(text))
        # The sub-response is made only if a resolver asks the context for it: untouched, Strawberry's
        # create_response would copy nothing but the content type this response has anyway.
        context = self.get_context(request, response=None)
        result = self.execute_single(
            request=request,
            request_adapter=self.request_adapter_class(request),
            sub_response=None,
            context=context,
            root_value=None,
            request_data=operation,
        )
        data = self.process_result(request, result)
        sub_response = context.response_if_used()
        if sub_response is not None:
            return self.create_response(response_data=data, sub_response=sub_response)
        return HttpResponse(self.encode_json(data), content_type="application/json")

    def decode_json(self, data: str | bytes) -> object:
        try:
            return json.loads(data)
        except RecursionError:
            raise HTTPException(400, "The request body nests JSON too deeply.") from None
        except ValueError:
            raise HTTPException(400, "Unable to parse request body as JSON.") from None

    def parse_http_body(self, request: object) -> object:
        try:
            data = super().parse_http_body(request)
        except UnicodeDecodeError:  # Strawberry's request adapter decodes the body before any JSON parsing
            raise HTTPException(400, "The request body is not UTF-8.") from None
        check_document_length(getattr(data, "query", None))
        return data

    def render_graphql_ide(self, request: HttpRequest) -> HttpResponse:
        if not settings.GRAPHIQL_ENABLED:  # read per request, so a deployment setting needs no code path
            raise HTTPException(404, "The explorer is disabled on this server.")
        # Strawberry's page loads React and GraphiQL from public CDNs; ours loads the copies `make assets` installs
        # from npm, served by this server, so GraphiQL works offline and behind firewalls.
        return render(request, "dashboard/graphiql.html", {"subscription_url": subscription_url(request)})


def operation_of(data: dict) -> GraphQLRequestData:
    """The operation in a JSON request body, checked as Strawberry's parse_http_body checks it."""
    query = data.get("query")
    if not isinstance(query, (str, type(None))):
        raise HTTPException(400, "The GraphQL operation's `query` must be a string or null, if provided.")
    variables = data.get("variables")
    if not isinstance(variables, (dict, type(None))):
        raise HTTPException(400, "The GraphQL operation's `variables` must be an object or null, if provided.")
    extensions = data.get("extensions")
    if not isinstance(extensions, (dict, type(None))):
        raise HTTPException(400, "The GraphQL operation's `extensions` must be an object or null, if provided.")
    check_document_length(query)
    return GraphQLRequestData(
        query=query, variables=variables, operation_name=data.get("operationName"), extensions=extensions
    )


def check_document_length(query: object) -> None:
    """Checked before parsing: a document's cost and its footprint in the parser and validation caches grow with its
    length, which no token or depth limit bounds (a comment is one token). Variables are not counted, so
    importTransactions' CSV keeps its own, larger limit (CSV_IMPORT_MAX_BYTES)."""
    if isinstance(query, str) and len(query) > MAX_DOCUMENT_LENGTH:
        raise HTTPException(
            413, f"The GraphQL document is longer than {MAX_DOCUMENT_LENGTH} characters (got {len(query)})."
        )


def subscription_url(request: HttpRequest) -> str:
    """The graphql-transport-ws endpoint for a page served by `request`: GRAPHQL_SUBSCRIPTION_URL, else this host on
    LIVE_PORT (the live server beside the API), else this very origin (the live server serves HTTP too)."""
    if settings.GRAPHQL_SUBSCRIPTION_URL:
        return settings.GRAPHQL_SUBSCRIPTION_URL
    host = request.get_host()  # checked against ALLOWED_HOSTS
    if settings.LIVE_PORT:
        hostname = host if host.endswith("]") else host.rsplit(":", 1)[0]  # "[::1]" has no port to drop
        host = f"{hostname}:{settings.LIVE_PORT}"
    return f"{'wss' if request.is_secure() else 'ws'}://{host}/graphql/"


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
