"""Refuse request bodies over a limit before they are read into memory.

The body is read here, up to the limit, and handed on whole: a GraphQL request needs all of
its body anyway, and the app never sees a request it would have to abandon half-read.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import request_refused
from gatehouse.error_responses import send_error

# A client that stops sending half-way through its body is cut after this long, so that it
# holds neither a connection for ever nor a shutdown beyond its grace.
BODY_READ_TIMEOUT_SECONDS = 15.0


class BodySizeLimit:
    def __init__(
        self, app: ASGIApp, max_bytes: int, read_timeout: float = BODY_READ_TIMEOUT_SECONDS
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.read_timeout = read_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = value  # the last one, if several
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send, 413, self._too_large)
            return

        chunks: list[bytes] = []
        size = 0
        while True:
            try:
                async with asyncio.timeout(self.read_timeout):
                    message = await receive()
            except TimeoutError:
                await self._refuse(
                    scope, receive, send, 408, "The request body did not arrive in time."
                )
                return
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._refuse(scope, receive, send, 413, self._too_large)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break

        body: Message | None = {"type": "http.request", "body": b"".join(chunks)}

        async def replay() -> Message:
            nonlocal body
            if body is None:
                return await receive()
            message, body = body, None
            return message

        await self.app(scope, replay, send)

    @property
    def _too_large(self) -> str:
        return f"Request body is larger than {self.max_bytes} bytes."

    async def _refuse(
        self, scope: Scope, receive: Receive, send: Send, status: int, message: str
    ) -> None:
        # The rest of the body is never read: the connection cannot carry another request.
        refusal = request_refused(status, message, {"Connection": "close"})
        await send_error(refusal, scope, receive, send)
