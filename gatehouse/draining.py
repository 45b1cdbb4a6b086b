"""Stop like a production server: on SIGTERM, turn unready, let requests in flight finish
within a bounded grace, then let uvicorn close the rest.

While draining the socket stays open, so a load balancer that has not yet seen `/readyz`
turn 503 still reaches a server that answers. The first SIGTERM or SIGINT starts the
drain; a second one hands over to uvicorn at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import ErrorCode

log = logging.getLogger("gatehouse.shutdown")

SignalHandler = Callable[[int, FrameType | None], Any]
_SHUTTING_DOWN = JSONResponse(
    {
        "errors": [
            {
                "message": "The server is shutting down.",
                "extensions": {"code": ErrorCode.INTERNAL.value},
            }
        ]
    },
    status_code=503,
    headers={"Connection": "close", "Retry-After": "1"},
)


class Drain:
    def __init__(self, grace_seconds: float) -> None:
        self.grace_seconds = grace_seconds
        self.draining = False
        self.in_flight = 0
        self._handover: asyncio.Task[None] | None = None
        self._idle: asyncio.Event | None = None
        self._requests: set[asyncio.Task[Any]] = set()
        self._cutting = False

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def count_in_flight(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            task = asyncio.current_task()
            started = False

            async def send_tracked(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            self.in_flight += 1
            if task is not None:
                self._requests.add(task)
            try:
                await app(scope, receive, send_tracked)
            except asyncio.CancelledError:
                if not self._cutting:
                    raise
                # Cut by the drain after the grace: answer if we still can, and end quietly
                # rather than leave uvicorn to log the cancellation as a crash.
                if not started:
                    await _SHUTTING_DOWN(scope, receive, send)
            finally:
                if task is not None:
                    self._requests.discard(task)
                self.in_flight -= 1
                if self.in_flight == 0 and self._idle is not None:
                    self._idle.set()

        return count_in_flight

    def install(self) -> None:
        """Put the drain in front of uvicorn's own signal handlers; call from the lifespan,
        which runs after uvicorn has installed them."""
        if threading.current_thread() is not threading.main_thread():
            return
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(signum)
            if callable(previous):
                signal.signal(signum, self._handler(loop, previous))

    def _handler(self, loop: asyncio.AbstractEventLoop, previous: SignalHandler) -> SignalHandler:
        def on_signal(signum: int, frame: FrameType | None) -> None:
            if self.draining:
                previous(signum, frame)
                return
            self.draining = True
            loop.call_soon_threadsafe(self._start_handover, previous, signum)

        return on_signal

    def _start_handover(self, previous: SignalHandler, signum: int) -> None:
        self._handover = asyncio.get_running_loop().create_task(self._hand_over(previous, signum))

    async def _hand_over(self, previous: SignalHandler, signum: int) -> None:
        if self.in_flight:
            log.info(
                "shutting down: /readyz answers 503; waiting up to %g s for %d request(s)",
                self.grace_seconds,
                self.in_flight,
            )
            self._idle = asyncio.Event()
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.grace_seconds):
                    await self._idle.wait()
        if self.in_flight:
            log.warning(
                "shutting down: cutting %d request(s) still running after %g s",
                self.in_flight,
                self.grace_seconds,
            )
            self._cutting = True
            for task in list(self._requests):
                task.cancel()
        previous(signum, None)
