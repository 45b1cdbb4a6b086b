"""Sessions across two real server processes on one PostgreSQL database: a session ended
through one is refused by the other at once, and a session records the client address a
trusted proxy reports and the user agent it signed in with."""

from __future__ import annotations

from contextlib import ExitStack
from typing import Any

import httpx

from tests.sessions.session_documents import END_OTHER_SESSIONS, END_SESSION, ME, MY_SESSIONS
from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, serving

LOGIN = "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }"
FORWARDED = "203.0.113.7"


def _post(
    base: str,
    query: str,
    variables: dict[str, Any] | None = None,
    *,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    sent = dict(headers or {})
    if token is not None:
        sent["Authorization"] = f"Bearer {token}"
    response = httpx.post(
        f"{base}/graphql",
        json={"query": query, "variables": variables or {}},
        headers=sent,
        timeout=30,
    )
    assert response.status_code == 200, response.text
    return response.json()


def _sign_in(base: str, user_agent: str) -> str:
    body = _post(
        base,
        LOGIN,
        {"e": ADMIN_EMAIL, "p": ADMIN_PASSWORD},
        headers={"User-Agent": user_agent, "X-Forwarded-For": FORWARDED},
    )
    return str(body["data"]["login"]["token"])


def _codes(body: Any) -> list[str]:
    return [error["extensions"]["code"] for error in body.get("errors", [])]


def test_a_session_ended_in_one_process_is_refused_by_the_other_at_once(
    postgres_database: str,
) -> None:
    env = {"TRUSTED_PROXIES": "127.0.0.1, ::1"}
    with ExitStack() as stack:
        # One after the other: the first migrates and creates the super-admin.
        first, second = (stack.enter_context(serving(postgres_database, **env)) for _ in "ab")
        on_first = _sign_in(first, "Agent/first")
        on_second = _sign_in(second, "Agent/second")
        third = _sign_in(second, "Agent/third")
        assert _post(second, ME, token=on_second)["data"]["me"]["id"]

        listed = _post(first, MY_SESSIONS, token=on_first)["data"]["mySessions"]
        assert [each["userAgent"] for each in listed] == [
            "Agent/third",
            "Agent/second",
            "Agent/first",
        ]
        assert [each["current"] for each in listed] == [False, False, True]
        assert {each["clientAddress"] for each in listed} == {FORWARDED}

        ended = _post(first, END_SESSION, {"id": listed[1]["id"]}, token=on_first)
        assert ended == {"data": {"endSession": True}}
        assert _codes(_post(second, ME, token=on_second)) == ["UNAUTHENTICATED"]

        others = _post(second, END_OTHER_SESSIONS, token=third)
        assert others == {"data": {"endOtherSessions": 1}}
        assert _codes(_post(first, ME, token=on_first)) == ["UNAUTHENTICATED"]
        assert _post(first, ME, token=third)["data"]["me"]["id"]
