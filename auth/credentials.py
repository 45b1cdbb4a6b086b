"""Turn a request's credential headers into the caller."""

from __future__ import annotations

import functools
import ipaddress
from collections.abc import Mapping
from dataclasses import replace

from auth.api_keys import authenticate_api_key
from auth.mfa import effective_restriction
from auth.principal import Actor, Anonymous, Principal
from auth.runtime import Runtime
from auth.sessions import authenticate_session
from auth.tokens import looks_like_api_key
from core.observability import note_auth_failure

MAX_CREDENTIAL_LENGTH = 512


def credential_from_headers(headers: Mapping[str, str]) -> str | None:
    """The one credential a request carries, `""` when it is malformed or ambiguous,
    or None when there is none."""
    raw = getattr(headers, "raw", None)
    if isinstance(raw, list):
        authorization, api_key_header = _credential_headers(raw)
    else:
        authorization = headers.get("authorization")
        api_key_header = headers.get("x-api-key")
    if authorization is not None and api_key_header is not None:
        return ""
    if api_key_header is not None:
        api_key = api_key_header.strip()
        return api_key if looks_like_api_key(api_key) else ""
    if authorization is None:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return ""
    return token.strip()


def _credential_headers(raw: list[tuple[bytes, bytes]]) -> tuple[str | None, str | None]:
    """`Authorization` and `X-API-Key` as Starlette's `Headers.get` finds them (the first of
    each), in one pass over the raw headers rather than one per name."""
    authorization = api_key = None
    for name, value in raw:
        if name == b"authorization":
            if authorization is None:
                authorization = value.decode("latin-1")
        elif name == b"x-api-key" and api_key is None:
            api_key = value.decode("latin-1")
    return authorization, api_key


def known_address(client_address: str | None) -> str | None:
    """The client's IP address, or None when it is not one.

    Behind TRUSTED_PROXIES, uvicorn takes the client from `X-Forwarded-For` as it stands,
    so it can be any text a proxy passed on. Unparsable, it is an unknown address (as for a
    request without a peer): never a failure, and never stored in an address column."""
    if not client_address:
        return None
    if len(client_address) > _LONGEST_CACHED_ADDRESS:
        return _known_address(client_address)
    return _cached_known_address(client_address)


# An address with a zone is at most this long in any sensible network (a proxy may pass on
# any text, which is parsed every time rather than kept).
_LONGEST_CACHED_ADDRESS = 64


def _known_address(client_address: str) -> str | None:
    try:
        address = ipaddress.ip_address(client_address)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.scope_id is not None:
        # The zone (`%eth0`) is local to the proxy's host and of any length.
        return str(ipaddress.IPv6Address(int(address)))
    return client_address


# A server sees the same few client addresses again and again: each is parsed once.
_cached_known_address = functools.lru_cache(maxsize=4096)(_known_address)


async def authenticate(
    headers: Mapping[str, str],
    client_address: str | None,
    runtime: Runtime,
    operation: str | None = None,
    *,
    count_key_call: bool = True,
) -> Actor:
    """`operation`: what a key's call is counted under in the usage roll-ups (the GraphQL
    operation name; None for an anonymous one).
    `client_address` is the socket's peer, or the trusted proxy's `X-Forwarded-For` as
    uvicorn resolves it; it travels with the actor into the audit log. A key's call is
    counted, and its limit kept, by `runtime`."""
    client_address = known_address(client_address)
    credential = credential_from_headers(headers)
    if credential is None:
        return Anonymous(client_address=client_address)
    if not credential or len(credential) > MAX_CREDENTIAL_LENGTH:
        note_auth_failure("malformed")
        return Anonymous(rejected=True, client_address=client_address)
    principal: Principal | Anonymous | None
    if looks_like_api_key(credential):
        principal = await authenticate_api_key(
            credential, client_address, runtime, operation, count_call=count_key_call
        )
    else:
        principal = await authenticate_session(
            credential, runtime.seen_sessions, idle=runtime.settings.session_idle
        )
    if principal is None:
        return Anonymous(rejected=True, client_address=client_address)
    if isinstance(principal, Anonymous):  # a refusal with its reason (an idle session)
        return replace(principal, client_address=client_address)
    if principal.session is None:
        # A key: never restricted (auth.mfa.effective_restriction), its address already set.
        return principal
    restriction = await effective_restriction(principal, runtime.mfa)
    return replace(principal, client_address=client_address, restriction=restriction)
