"""Headers that keep browsers and caches from misusing any answer of the server.

Every answer may carry a session token, a key secret or a user's data, so none may be
stored by a cache (`no-store`), sniffed into another content type, sent on as a referrer
or framed by another site. Where a route decides its own caching (the playground's static
assets revalidate) or its own Content-Security-Policy (the GraphiQL page), its choice is
kept; an HTML page without a policy gets one that forbids framing it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import Message

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
UNLESS_SET = {"Cache-Control": "no-store"}
HTML_POLICY = "frame-ancestors 'none'"


_ADDED = [
    (name.lower().encode("latin-1"), value.encode("latin-1"))
    for name, value in (*ALWAYS.items(), *UNLESS_SET.items())
]
_HTML_POLICY = (b"content-security-policy", HTML_POLICY.encode("latin-1"))
_CHOSEN_BY_ROUTES = frozenset({*(name for name, _ in _ADDED), _HTML_POLICY[0]})


def add_security_headers(message: Message) -> None:
    """Onto an `http.response.start` message. Called by the request log's `send` (one
    wrapper of `send` for both, gatehouse.request_log)."""
    headers: list[tuple[bytes, bytes]] = list(message["headers"])
    message["headers"] = headers
    content_type = b""
    for name, value in headers:
        if name in _CHOSEN_BY_ROUTES:
            _add_around(message)  # a route chose one of them: keep its choice
            return
        if name == b"content-type" and not content_type:
            content_type = value
    headers += _ADDED
    if content_type.startswith(b"text/html"):
        headers.append(_HTML_POLICY)


def _add_around(message: Message) -> None:
    headers = MutableHeaders(scope=message)
    for name, value in ALWAYS.items():
        headers[name] = value
    for name, value in UNLESS_SET.items():
        headers.setdefault(name, value)
    if headers.get("content-type", "").startswith("text/html"):
        headers.setdefault("Content-Security-Policy", HTML_POLICY)
