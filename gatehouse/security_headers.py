"""Headers that keep browsers and caches from misusing any answer of the server.

Every answer may carry a session token, a key secret or a user's data, so none may be
stored by a cache (`no-store`), sniffed into another content type, sent on as a referrer
or framed by another site. Where a route decides its own caching (the playground's static
assets revalidate) or its own Content-Security-Policy (the GraphiQL page), its choice is
kept; an HTML page without a policy gets one that forbids framing it.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
UNLESS_SET = {"Cache-Control": "no-store"}
HTML_POLICY = "frame-ancestors 'none'"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in ALWAYS.items():
                    headers[name] = value
                for name, value in UNLESS_SET.items():
                    headers.setdefault(name, value)
                if headers.get("content-type", "").startswith("text/html"):
                    headers.setdefault("Content-Security-Policy", HTML_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)
