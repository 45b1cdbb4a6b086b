"""Stop like a production server: on SIGTERM, turn unready, let requests in flight finish
within a bounded grace, then let uvicorn close the rest.

While draining the socket stays open, so a load balancer that has not yet seen `/readyz`
turn 503 still reaches a server that answers. The first SIGTERM or SIGINT starts the
drain; a second one hands over to uvicorn at once and leaves it `SECOND_SIGNAL_SECONDS`.

Whatever is stuck — a query waiting on a lock, a collector that does not answer, a close
that never returns — the process is gone `STOP_SLACK_SECONDS` after the grace: the steps
after the drain bound themselves by `seconds_left()`, and a watchdog thread ends the
process with one log line if they still have not finished.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.errors import unavailable
from gatehouse.error_responses import error_response

log = logging.getLogger("gatehouse.shutdown")

# The documented bound: a process is gone this long after its grace ran out.
STOP_SLACK_SECONDS = 2.0
# The watchdog fires a little earlier, leaving the operating system time to reap.
WATCHDOG_AFTER_GRACE_SECONDS = 1.6
# What the steps after the drain (uvicorn's handover, closing the database, the webhook
# sender and the trace exporter) may use in all: the rest is the watchdog's margin.
CLEANUP_AFTER_GRACE_SECONDS = 1.2
SECOND_SIGNAL_SECONDS = 1.0

SignalHandler = Callable[[int, FrameType | None], Any]
_SHUTTING_DOWN = error_response(
    unavailable("The server is shutting down.", {"Connection": "close", "Retry-After": "1"})
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
        self._cut_now: asyncio.Event | None = None
        self._deadline: float | None = None
        self._watchdog: threading.Timer | None = None
        self._on_start: list[Callable[[], None]] = []

    def on_start(self, callback: Callable[[], None]) -> None:
        """Called on the event loop when the drain starts (live subscriptions end then: an
        event stream would otherwise hold the drain for its whole grace)."""
        self._on_start.append(callback)

    def seconds_left(self, default: float) -> float:
        """How long a shutdown step may take: `default` when no signal started the stop
        (a test's lifespan), else what remains of the cleanup budget."""
        if self._deadline is None:
            return default
        cleanup_ends = self._deadline - (WATCHDOG_AFTER_GRACE_SECONDS - CLEANUP_AFTER_GRACE_SECONDS)
        return max(cleanup_ends - time.monotonic(), 0.0)

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
                log.warning(
                    "shutting down: second signal; stopping within %g s", SECOND_SIGNAL_SECONDS
                )
                self._arm_watchdog(SECOND_SIGNAL_SECONDS)
                loop.call_soon_threadsafe(self._stop_waiting)
                previous(signum, frame)
                return
            self.draining = True
            self._arm_watchdog(self.grace_seconds + WATCHDOG_AFTER_GRACE_SECONDS)
            loop.call_soon_threadsafe(self._start_handover, previous, signum)

        return on_signal

    def _arm_watchdog(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        if self._deadline is not None and self._deadline <= deadline:
            return
        self._deadline = deadline
        if self._watchdog is not None:
            self._watchdog.cancel()
        # A daemon thread: it neither keeps the process alive nor waits for the event loop,
        # which may be the thing that is stuck.
        self._watchdog = threading.Timer(seconds, _exit_now, args=(seconds,))
        self._watchdog.daemon = True
        self._watchdog.start()

    def _stop_waiting(self) -> None:
        if self._cut_now is not None:
            self._cut_now.set()

    def _start_handover(self, previous: SignalHandler, signum: int) -> None:
        for callback in self._on_start:
            try:
                callback()
            except Exception:
                log.exception("shutting down: a drain callback failed")
        self._cut_now = asyncio.Event()
        self._handover = asyncio.get_running_loop().create_task(self._hand_over(previous, signum))

    async def _hand_over(self, previous: SignalHandler, signum: int) -> None:
        if self.in_flight:
            log.info(
                "shutting down: /readyz answers 503; waiting up to %g s for %d request(s)",
                self.grace_seconds,
                self.in_flight,
            )
            self._idle = asyncio.Event()
            cut_now = self._cut_now or asyncio.Event()
            waits = [asyncio.ensure_future(e.wait()) for e in (self._idle, cut_now)]
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.grace_seconds):
                    await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for waiting in waits:
                waiting.cancel()
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


def _exit_now(seconds: float) -> None:
    log.error(
        "shutting down: still running %g s after the signal (a query, the database close or "
        "an exporter is stuck); exiting now",
        seconds,
    )
    for handler in logging.getLogger().handlers:
        with contextlib.suppress(Exception):
            handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()
    # The stop was asked for and has happened within its bound: not a failure.
    os._exit(0)
