"""The listening socket and uvicorn, set up the way `serve` needs them.

The socket is bound before anything touches the database, so that "address already in
use" comes first and nothing is created by a start that cannot serve. After SIGTERM the
process exits 0 (uvicorn re-raises the signal, which makes it 143), one worker or several.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Generator
from typing import Any

import uvicorn
from uvicorn.supervisors import Multiprocess

from core.config import Settings

log = logging.getLogger("gatehouse.server")

# Keep-alive connections idle this long are closed; uvicorn's own default.
KEEP_ALIVE_SECONDS = 5
# What uvicorn itself still allows after the drain (gatehouse.draining) has waited the grace.
HANDOVER_SECONDS = 1.0


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


def run(settings: Settings, sock: socket.socket, **options: Any) -> int:
    """Serve on `sock` until stopped; the exit code."""
    common: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "loop": "uvloop",
        "http": "httptools",
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
        Multiprocess(config, sockets=[sock]).run()
        return 0

    from gatehouse.app import create_app

    server = _Server(uvicorn.Config(create_app(settings), **common))
    server.run(sockets=[sock])
    return 0 if server.started else 3
