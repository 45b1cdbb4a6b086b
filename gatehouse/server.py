"""The listening socket and uvicorn, set up the way `serve` needs them.

The socket is bound before anything touches the database, so that "address already in
use" comes first and nothing is created by a start that cannot serve. After SIGTERM the
process exits 0 (uvicorn re-raises the signal, which makes it 143), one worker or several.
Connections go through `gatehouse.connection_guard`'s protocol (header timeout, caps).
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import time
from collections.abc import Generator
from types import FrameType
from typing import Any

import uvicorn
from uvicorn.supervisors.multiprocess import Multiprocess

from core.config import Settings
from gatehouse import heap
from gatehouse.connection_guard import PROTOCOL
from gatehouse.draining import SECOND_SIGNAL_SECONDS, STOP_SLACK_SECONDS
from gatehouse.event_loop import LOOP

log = logging.getLogger("gatehouse.server")

# Keep-alive connections idle this long are closed; uvicorn's own default.
KEEP_ALIVE_SECONDS = 5
# What uvicorn itself still allows after the drain (gatehouse.draining) has waited the grace:
# the drain has cut what ran, so this only lets the last answers go out.
HANDOVER_SECONDS = 0.5


class ListenError(Exception):
    pass


def bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        # Listening claims the port: Linux lets two sockets with SO_REUSEADDR bind one
        # address while neither listens.
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
    sock.set_inheritable(True)
    return sock


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        with super().capture_signals():
            yield
            # A signal that led to a clean shutdown is not re-raised: exit code 0.
            self._captured_signals.clear()

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        heap.settle()


class _Supervisor(Multiprocess):
    """uvicorn's parent process, which on a second SIGTERM or SIGINT would go on waiting for
    its workers: here the second signal reaches the workers (each stops within
    SECOND_SIGNAL_SECONDS) and those still running a moment later are killed. A worker
    still running past its own bound (the grace plus STOP_SLACK_SECONDS) is killed too."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket], grace: float):
        super().__init__(config, sockets)
        self.grace = grace
        self.stop_signals = 0
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, self._on_stop_signal)

    def _on_stop_signal(self, signum: int, frame: FrameType | None) -> None:
        self.stop_signals += 1
        self.signal_queue.append(signum)
        if self.stop_signals == 2:
            log.warning("second signal: stopping the workers now")
            self._signal_workers(signal.SIGTERM)

    def _signal_workers(self, signum: int) -> None:
        for worker in self.processes:
            if worker.pid is not None and worker.exitcode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(worker.pid, signum)

    def join_all(self) -> None:
        started = time.monotonic()
        second_signal_at: float | None = None
        while any(worker.process.is_alive() for worker in self.processes):
            now = time.monotonic()
            if self.stop_signals >= 2 and second_signal_at is None:
                second_signal_at = now
            overdue = now - started > self.grace + STOP_SLACK_SECONDS + 0.5
            hurried = second_signal_at is not None and (
                now - second_signal_at > SECOND_SIGNAL_SECONDS + 0.5
            )
            if overdue or hurried:
                log.error("workers still running; killing them")
                self._signal_workers(signal.SIGKILL)
                break
            for worker in self.processes:
                worker.process.join(0.05)
        for worker in self.processes:
            worker.process.join()


def run(settings: Settings, sock: socket.socket, **options: Any) -> int:
    """Serve on `sock` until stopped; the exit code."""
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        # uvloop, accepting many waiting connections on each turn (gatehouse.event_loop).
        "loop": LOOP,
        # uvicorn's httptools protocol, plus a header-read timeout and connection caps.
        "http": PROTOCOL,
        "log_level": settings.log_level.lower(),
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "timeout_graceful_shutdown": HANDOVER_SECONDS,
        **options,
    }
    if settings.workers > 1:
        config = uvicorn.Config(
            "gatehouse.app:app_from_environment",
            factory=True,
            workers=settings.workers,
            **common,
        )
        _Supervisor(config, [sock], settings.shutdown_grace_seconds).run()
        return 0

    from gatehouse.app import create_app

    server = _Server(uvicorn.Config(create_app(settings), **common))
    server.run(sockets=[sock])
    return 0 if server.started else 3
