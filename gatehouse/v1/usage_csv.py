"""`GET /v1/usage.csv` in the /v1 registry (mounted and described in /v1/openapi.json); the
export itself is gatehouse.usage_export."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from gatehouse.usage_export import export_usage
from gatehouse.v1.openapi import error_response
from gatehouse.v1.registry import Services, v1_route


def _query(
    name: str, description: str, *, required: bool = False, **schema: object
) -> dict[str, object]:
    return {
        "name": name,
        "in": "query",
        "required": required,
        "description": description,
        "schema": {"type": "string", **schema},
    }


@v1_route(
    "GET",
    "/v1/usage.csv",
    summary="Usage as CSV",
    description="The series of `Query.usageSeries` (or, with keyId, `ApiKey.usageSeries`) "
    "as RFC 4180 CSV (columns start,operation,outcome,calls; CRLF), streamed. Cells a "
    "spreadsheet would run as a formula get a leading single quote. Credentials and "
    "permission as usageSeries: a session token or API key (READ scope), as a Bearer token "
    "or X-API-Key. See docs/usage-analytics.md.",
    parameters=[
        _query(
            "from",
            "The range's start (ISO 8601); its bucket is the first.",
            required=True,
            format="date-time",
        ),
        _query("to", "The range's end, exclusive (ISO 8601).", required=True, format="date-time"),
        _query("granularity", "Bucket length.", required=True, enum=["HOUR", "DAY", "MONTH"]),
        _query("groupBy", "operation, outcome or operation,outcome (comma-separated)."),
        _query("keyId", "One key's global id; every key together without it."),
    ],
    security="credential",
    responses={
        "200": {
            "description": "RFC 4180 CSV, as an attachment.",
            "content": {"text/csv": {"schema": {"type": "string"}}},
        },
        "400": error_response("A missing or bad parameter, or a range too long."),
        "401": error_response("No valid credential."),
        "403": error_response("The caller's role or key scope may not read usage."),
        "404": error_response("keyId names no key."),
    },
)
async def usage_csv(request: Request, services: Services) -> Response:
    return await export_usage(request, services.runtime)
