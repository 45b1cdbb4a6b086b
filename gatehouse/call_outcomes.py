"""Filing a key's call under the outcome it was answered with.

A call is counted (and filed under OK) before its request runs; the answer decides its
outcome: the code of its first error, or OK. When that is not OK the call is moved to it
in the usage roll-ups before the answer leaves, so a client that reads its usage after an
answer sees that answer counted. The call stays a call (`totalCalls`): it was
authenticated and ran, whatever it was answered.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError
from starlette.requests import Request

from auth.principal import Actor, Principal
from auth.runtime import Runtime
from core.errors import ErrorCode

log = logging.getLogger("gatehouse.usage")

# Kept in the request's state (the dict `request.state` wraps), read there directly: most
# requests count no call, and a missing attribute of `request.state` costs an exception.
_CALL = "counted_call"
# The outcome a call is counted under until its answer says otherwise (models.usage.OK).
OK = "OK"


def remember_call(request: Request, actor: Actor) -> None:
    if isinstance(actor, Principal) and actor.counted_call is not None and actor.api_key:
        request.scope.setdefault("state", {})[_CALL] = (actor.api_key.id, actor.counted_call)


def outcome_of(errors: Sequence[GraphQLError] | None) -> str:
    if not errors:
        return OK
    code = (errors[0].extensions or {}).get("code")
    return code if isinstance(code, str) else ErrorCode.INTERNAL.value


async def settle_call(request: Request, runtime: Runtime, outcome: str) -> None:
    """Once per request; a failure here is logged, never the request's failure: its
    answer is ready, and the call itself is counted already."""
    state: dict[str, Any] = request.scope.get("state") or {}
    call = state.get(_CALL)
    if call is None:
        return
    state[_CALL] = None
    if outcome == OK:  # where it was counted
        return
    key_id, counted = call
    try:
        await runtime.calls.move_outcome(
            key_id, counted.at, operation=counted.operation, outcome=outcome, recorded=OK
        )
    except Exception as exc:  # noqa: BLE001 - statistics never fail an answer
        log.warning("could not file a call under its outcome %s: %s", outcome, type(exc).__name__)
