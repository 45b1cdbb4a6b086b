"""`GET /v1/usage.csv`: a usage series as RFC 4180 CSV, streamed.

The same credentials as `/graphql` (a session token or an API key, which is one call of the
key) and the permission of `usageSeries`: any role, and the READ scope for a key. Query
parameters: `from`, `to` (ISO 8601; without an offset, UTC), `granularity` (HOUR, DAY or
MONTH), `groupBy` (`operation`, `outcome` or both, comma-separated) and `keyId` (a key's
global id; every key's calls together without it). Columns: `start,operation,outcome,calls`,
as the fields of `UsageBucket`, the empty cell for null. Everything is checked before the
first byte: a bad parameter is a 400 in the API's JSON error shape, and so on for 401, 403
and 404. Rows come from the database in keyset batches and leave in chunks: a year of
hourly rows is never held in memory.
"""

from __future__ import annotations

import csv
import io
import logging
from collections.abc import AsyncIterator, Iterable
from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from auth.credentials import authenticate
from auth.runtime import Runtime
from core.errors import ErrorCode, GatehouseError
from gatehouse.call_outcomes import remember_call, settle_call
from resolvers import usage
from schema.ids import API_KEY, pk_of

log = logging.getLogger("gatehouse.usage")

OPERATION_NAME = "GET /v1/usage.csv"  # what a key's call here is filed under
COLUMNS = ("start", "operation", "outcome", "calls")
ROWS_PER_CHUNK = 500
BAD_PARAMETER = "INVALID_PARAMETER"
# A spreadsheet runs a cell starting with one of these as a formula (OWASP, CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def escape_cell(value: str) -> str:
    """A cell a spreadsheet would run as a formula gets a leading single quote."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def csv_lines(rows: Iterable[usage.SeriesRow]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")  # RFC 4180: CRLF, quoting as needed
    for row in rows:
        cells = (row.start.isoformat(), row.operation or "", row.outcome or "", str(row.calls))
        writer.writerow([escape_cell(cell) for cell in cells])
    return buffer.getvalue()


def _bad(message: str) -> GatehouseError:
    return GatehouseError(ErrorCode.BAD_USER_INPUT, message, reason=BAD_PARAMETER)


def _moment(request: Request, name: str) -> datetime:
    value = request.query_params.get(name)
    if not value:
        raise _bad(f"The query parameter {name} is required (ISO 8601, e.g. 2026-12-01T00:00:00Z).")
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise _bad(f"{name} is not an ISO 8601 date and time.") from None


def _granularity(request: Request) -> str:
    value = request.query_params.get("granularity", "").upper()
    if value not in usage.MAX_BUCKETS:
        raise _bad("granularity must be HOUR, DAY or MONTH.")
    return value


def _group_by(request: Request) -> list[str]:
    dimensions = []
    for part in request.query_params.get("groupBy", "").split(","):
        name = part.strip().upper()
        if not name:
            continue
        if name not in (usage.OPERATION, usage.OUTCOME):
            raise _bad("groupBy takes operation, outcome or both, comma-separated.")
        dimensions.append(name)
    return dimensions


async def _key_id(request: Request) -> int | None:
    value = request.query_params.get("keyId")
    if value is None:
        return None
    return await usage.existing_key_id(pk_of(value, API_KEY))


def _filename(granularity: str, start: datetime, end: datetime) -> str:
    return f"usage-{granularity.lower()}-{start:%Y%m%dT%H%M}-{end:%Y%m%dT%H%M}.csv"


async def _chunks(query: usage.SeriesQuery) -> AsyncIterator[str]:
    yield ",".join(COLUMNS) + "\r\n"
    pending: list[usage.SeriesRow] = []
    try:
        async for row in usage.usage_series(query):
            pending.append(row)
            if len(pending) >= ROWS_PER_CHUNK:
                yield csv_lines(pending)
                pending = []
        yield csv_lines(pending)
    except Exception:
        # The status line has left: the file ends short, and the log says why.
        log.exception("usage export stopped in the middle")
        raise


async def export_usage(request: Request, runtime: Runtime) -> Response:
    address = request.client.host if request.client else None
    actor = await authenticate(request.headers, address, runtime, OPERATION_NAME)
    remember_call(request, actor)
    try:
        usage.may_read_usage(actor)
        granularity = _granularity(request)
        wanted = usage.usage_range(_moment(request, "from"), _moment(request, "to"), granularity)
        query = usage.series_query(wanted, _group_by(request), await _key_id(request))
    except GatehouseError as error:
        await settle_call(request, runtime, error.code.value)
        raise
    return StreamingResponse(
        _chunks(query),
        media_type="text/csv; charset=utf-8; header=present",
        headers={
            "Content-Disposition": (
                f'attachment; filename="{_filename(granularity, wanted.start, wanted.end)}"'
            ),
            "Cache-Control": "no-store",
        },
    )
