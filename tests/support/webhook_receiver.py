"""A real webhook receiver on 127.0.0.1 for the tests: records what arrives, can be down
(nothing listening on its port) and can answer errors."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import standardwebhooks

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Receiver:
    port: int = field(default_factory=free_port)
    failures_left: int = 0
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    # Checked on arrival, when the signature's timestamp is fresh.
    verified: list[dict[str, object] | str] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    def start(self) -> None:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                with receiver._lock:
                    failing = receiver.failures_left > 0
                    if failing:
                        receiver.failures_left -= 1
                    else:
                        headers = dict(self.headers.items())
                        receiver.received.append((headers, body))
                        receiver.verified.append(receiver.verify(headers, body))
                self.send_response(503 if failing else 204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @staticmethod
    def verify(headers: dict[str, str], body: bytes) -> dict[str, object] | str:
        """The event, checked with the Standard Webhooks reference library, or the error."""
        try:
            event: dict[str, object] = standardwebhooks.Webhook(SECRET).verify(body, headers)
        except standardwebhooks.WebhookVerificationError as exc:
            return f"invalid: {exc}"
        return event

    def verified_events(self) -> list[dict[str, object]]:
        with self._lock:
            verified = list(self.verified)
        assert all(isinstance(event, dict) for event in verified), verified
        return [event for event in verified if isinstance(event, dict)]

    def ids(self) -> list[str]:
        with self._lock:
            return [headers["webhook-id"] for headers, _ in self.received]
