"""GraphQL over HTTP for plain requests: a POST with a JSON body, a GET with query
parameters, either carrying a document's text or a trusted document's id.

These are nearly every request the server gets, and Strawberry's HTTP view spent more
per request than a whole `{ hello }` costs a stock app: request adapters, a content-type
parse through `email.message`, each stream transport asked whether it wants the request,
then `Schema.execute`'s extension runner. Here the same steps are plain calls: the
context (gatehouse.app's `get_context`, credentials included), the body, the operation
(schema.execution), the answer. Answers, status codes, refusals and their wording are
Strawberry's, as the graphql-http audit and the tests pin them.

The view (gatehouse.app.GatehouseGraphQL) still serves what only it does: subscriptions
over WebSocket and SSE, the GraphiQL page (a GET with no query that a browser sends), and
the refusal of other methods.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send
from strawberry.exceptions import MissingQueryError
from strawberry.http import GraphQLRequestData, process_result
from strawberry.schema.exceptions import CannotGetOperationTypeError, InvalidOperationTypeError
from strawberry.types.graphql import OperationType

from core.errors import bad_input
from gatehouse.call_outcomes import outcome_of, settle_call
from gatehouse.graphql_http import JSON, failed_before_execution
from gatehouse.live_transport import SUBSCRIPTIONS_NEED_A_STREAM, SubscriptionsOverSSE
from gatehouse.trusted_documents import persisted_query_hash
from schema.execution import execute_operation

if TYPE_CHECKING:
    from gatehouse.app import GatehouseGraphQL

# Subscriptions need a stream (WebSocket or SSE): one answer has no room for one.
_ALLOWED = {
    "GET": frozenset({OperationType.QUERY}),
    "POST": frozenset({OperationType.QUERY, OperationType.MUTATION}),
}
_IDE_ACCEPTS = ("text/html", "*/*")
_SSE = SubscriptionsOverSSE()


def serves(request: Request) -> bool:
    """A plain GET or POST: not an event stream, not a browser asking for GraphiQL."""
    method = request.method
    if method not in _ALLOWED:
        return False
    accept = request.headers.get("accept", "")
    if "event-stream" in accept.lower() and _SSE.accepts(accept):
        return False
    return not (
        method == "GET"
        and request.query_params.get("query") is None
        and any(wanted in accept for wanted in _IDE_ACCEPTS)
    )


def _sub_response() -> Response:
    """What resolvers may set a status on (an outage's 503), as Strawberry's view makes it:
    no status, no headers."""
    response = Response()
    response.status_code = None  # type: ignore[assignment]
    del response.headers["content-length"]
    return response


class GraphQLEndpoint:
    def __init__(self, view: GatehouseGraphQL) -> None:
        self.view = view

    async def answer(self, request: Request) -> Response:
        """The answer to a request `serves` accepted; refusals are raised (HTTPException,
        GatehouseError), as the view raises them."""
        view = self.view
        sub_response = _sub_response()
        context = await view.get_context(request, sub_response)
        request_data = await self._request_data(request)
        method = request.method
        try:
            result = await execute_operation(
                view.schema,  # type: ignore[arg-type]
                request_data.query,
                variables=request_data.variables,
                operation_name=request_data.operation_name,
                extensions=request_data.extensions,
                context=context,
                allowed=_ALLOWED[method],
            )
        except CannotGetOperationTypeError as exc:
            raise HTTPException(400, exc.as_http_error_reason()) from exc
        except InvalidOperationTypeError as exc:
            if exc.operation_type is OperationType.SUBSCRIPTION:
                raise bad_input(SUBSCRIPTIONS_NEED_A_STREAM) from exc
            # GraphQL over HTTP: a mutation sent with GET is 405 Method Not Allowed.
            raise HTTPException(405, exc.as_http_error_reason(method)) from exc
        except MissingQueryError as exc:
            raise HTTPException(400, "No GraphQL query found in the request") from exc

        processed = process_result(result)
        await settle_call(request, view.runtime, outcome_of(result.errors))
        if failed_before_execution(result.data, result.errors):
            # Nothing was executed, so there is no `data`, not even null (GraphQL spec 7.1.2).
            processed.pop("data", None)
            request.state.failed_before_execution = True
        response = Response(
            view.encode_json(processed),
            status_code=sub_response.status_code or 200,
            media_type=JSON,
        )
        response.headers.raw.extend(sub_response.headers.raw)
        return response

    async def _request_data(self, request: Request) -> GraphQLRequestData:
        """The request's query, variables, operation name and extensions, refused with
        Strawberry's words where they are not the right kinds."""
        view = self.view
        if request.method == "GET":
            data: Any = view.parse_query_params(request.query_params)
        else:
            content_type = request.headers.get("content-type", "")
            # The media type without its parameters, as Strawberry reads it.
            if "application/json" not in content_type.partition(";")[0].strip():
                raise HTTPException(400, "Unsupported content type")
            data = view.parse_json(await request.body())
        if isinstance(data, list):
            view._validate_batch_request(data, protocol="http")  # batching is off: refused
        if not isinstance(data, dict):
            raise HTTPException(400, "The request body must be a JSON object.")
        query = data.get("query")
        if not isinstance(query, (str, type(None))):
            raise HTTPException(
                400, "The GraphQL operation's `query` must be a string or null, if provided."
            )
        variables = data.get("variables")
        if not isinstance(variables, (dict, type(None))):
            raise HTTPException(
                400, "The GraphQL operation's `variables` must be an object or null, if provided."
            )
        extensions = data.get("extensions")
        if not isinstance(extensions, (dict, type(None))):
            raise HTTPException(
                400,
                "The GraphQL operation's `extensions` must be an object or null, if provided.",
            )
        request_data = GraphQLRequestData(
            query=query,
            variables=variables,
            operation_name=data.get("operationName"),
            extensions=extensions,
        )
        trusted = view.trusted_documents
        if trusted is None:
            return request_data
        document_id = persisted_query_hash(extensions)
        if document_id is None and query is None:
            # `documentId` is not a field Strawberry reads.
            document_id = data.get("documentId")
        return trusted.resolve(request_data, document_id)


def straight_to(app: ASGIApp, path: str, endpoint: ASGIApp) -> ASGIApp:
    """Middleware, innermost: HTTP requests for `path` go to `endpoint` without Starlette's
    exception middleware and router (a `send` wrapper, a scan of the routes), as the
    route for `path` would send them; the endpoint answers its own refusals."""

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == path and not scope.get("root_path"):
            await endpoint(scope, receive, send)
        else:
            await app(scope, receive, send)

    return route
