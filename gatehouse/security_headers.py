"""Headers that keep browsers and caches from misusing any answer of the server.

Every answer may carry a session token, a key secret or a user's data, so none may be
stored by a cache (`no-store`), sniffed into another content type, sent on as a referrer
or framed by another site. A Content-Security-Policy the app sets itself (the GraphiQL
page's) is kept; otherwise the answer gets one that allows nothing and no framing.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ALWAYS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
}
# An HTML page needs its own policy to run; a JSON answer needs nothing at all.
HTML_POLICY = "frame-ancestors 'none'"
DATA_POLICY = "default-src 'none'; frame-ancestors 'none'"


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
                if "content-security-policy" not in headers:
                    is_html = headers.get("content-type", "").startswith("text/html")
                    headers["Content-Security-Policy"] = HTML_POLICY if is_html else DATA_POLICY
            await send(message)

        await self.app(scope, receive, send_with_headers)
