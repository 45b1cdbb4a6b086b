from __future__ import annotations

from dataclasses import dataclass, field

from starlette.requests import HTTPConnection
from starlette.responses import Response
from starlette.websockets import WebSocket

from auth.principal import Actor, Principal
from auth.runtime import Runtime
from core.config import Settings
from core.errors import unauthenticated
from schema.loaders import Loaders


@dataclass
class Context:
    """Built once per request by `gatehouse.app.GatehouseGraphQL.get_context`."""

    # A Request, or the WebSocket of a subscription's connection.
    request: HTTPConnection
    response: Response | WebSocket
    actor: Actor
    settings: Settings
    # The process's hasher, limiter, login policy, outbox and call counter.
    runtime: Runtime
    loaders: Loaders = field(default_factory=Loaders)
    # graphql-transport-ws: `connection_init`'s payload, where its credential may be.
    connection_params: dict[str, object] | None = None

    @property
    def principal(self) -> Principal:
        """The authenticated caller; fields that use it declare `IsAuthenticated` first."""
        if not isinstance(self.actor, Principal):
            raise unauthenticated()
        return self.actor
