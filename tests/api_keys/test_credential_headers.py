"""The one credential a request carries, found in one pass over Starlette's raw headers: the
same answer as looking each header up by name (the first of a repeated header)."""

from __future__ import annotations

import pytest
from starlette.datastructures import Headers

from auth.credentials import credential_from_headers

KEY = "gk_" + "A" * 49
CASES: list[list[tuple[str, str]]] = [
    [],
    [("authorization", "Bearer token-1")],
    [("authorization", "bearer  token-1 ")],
    [("authorization", "Basic dXNlcjpwYXNz")],
    [("x-api-key", f" {KEY} ")],
    [("x-api-key", "not-a-key")],
    [("authorization", "Bearer token-1"), ("x-api-key", KEY)],
    [("authorization", "Bearer token-1"), ("authorization", "Bearer token-2")],
    [("x-api-key", KEY), ("x-api-key", "gk_second")],
    [("accept", "application/json"), ("user-agent", "tests"), ("authorization", "Bearer t")],
]


@pytest.mark.parametrize("pairs", CASES)
def test_raw_headers_give_the_credential_that_lookups_by_name_give(
    pairs: list[tuple[str, str]],
) -> None:
    headers = Headers(raw=[(name.encode(), value.encode()) for name, value in pairs])
    by_name = {name: headers.get(name) for name in ("authorization", "x-api-key")}

    expected = credential_from_headers({k: v for k, v in by_name.items() if v is not None})

    assert credential_from_headers(headers) == expected
