"""`POST /v1/keys/verify`: key verification for any backend, as plain JSON.

Authenticated by a root key: an API key with the VERIFY scope whose owner is a SUPER_ADMIN
or ADMIN (401 for a missing, malformed, unknown, revoked, expired or disabled one, and for a
session token; 403 for a key without VERIFY or an owner without the role). The body holds
the `VerifyKeyInput` fields; every well-formed request is answered 200 with the
`VerifyKeyResult` fields, whatever the verdict; a bad body or expression is 400.
"""

from __future__ import annotations

import asyncio
import functools
from datetime import datetime
from typing import Any

import orjson
from starlette.requests import ClientDisconnect
from starlette.types import Receive, Send
from starlette.types import Scope as AsgiScope

from auth.api_keys import admit_key, key_principal
from auth.credentials import (
    MAX_CREDENTIAL_LENGTH,
    authenticate,
    credential_from_headers,
    known_address,
)
from auth.principal import Principal
from auth.tokens import hash_secret, is_well_formed_api_key, looks_like_api_key
from core.clock import utcnow
from core.enums import Role, Scope
from core.errors import (
    ErrorCode,
    GatehouseError,
    MissingScopeError,
    bad_input,
    forbidden,
    unauthenticated,
)
from core.observability import note_auth_failure
from gatehouse.error_responses import unexpected
from gatehouse.json_depth import MAX_JSON_DEPTH, nests_deeper_than
from gatehouse.v1.openapi import error_response
from gatehouse.v1.registry import Services, schema, v1_route
from resolvers.key_verification import (
    CODES,
    Verification,
    VerifierCall,
    checked_request,
    verifiable,
    verify_key,
)
from schema.ids import API_KEY
from schema.ids import global_id as _global_id

OPERATION_NAME = "POST /v1/keys/verify"  # the root key's call, in the usage roll-ups
FIELDS = frozenset({"key", "permissions", "cost", "operation", "clientAddress"})
ROOT_ROLES = frozenset({Role.SUPER_ADMIN, Role.ADMIN})

INPUT = schema(
    "VerifyKeyInput",
    {
        "type": "object",
        "additionalProperties": False,
        "required": ["key"],
        "properties": {
            "key": {"type": "string", "description": "The whole key a client presented."},
            "permissions": {
                "type": ["string", "null"],
                "description": "An expression over permission strings with AND, OR and "
                "parentheses: `invoices:read AND (invoices:write OR admin:*)`.",
            },
            "cost": {
                "type": ["integer", "null"],
                "minimum": 0,
                "default": 1,
                "description": "Credits a VALID verification spends.",
            },
            "operation": {
                "type": ["string", "null"],
                "maxLength": 100,
                "description": "Recorded with the key's call.",
            },
            "clientAddress": {
                "type": ["string", "null"],
                "description": "IPv4 or IPv6 address, checked against the key's allowedCidrs.",
            },
        },
    },
)
RESULT = schema(
    "VerifyKeyResult",
    {
        "type": "object",
        "required": ["valid", "code", "scopes", "permissions"],
        "properties": {
            "valid": {"type": "boolean"},
            "code": {"type": "string", "enum": list(CODES)},
            "keyId": {"type": ["string", "null"], "description": "The key's global id."},
            "name": {"type": ["string", "null"]},
            "owner": {
                "type": ["object", "null"],
                "properties": {
                    "type": {"type": "string", "enum": ["USER", "SERVICE_ACCOUNT"]},
                    "id": {"type": "string"},
                    "name": {"type": "string"},
                },
            },
            "scopes": {"type": "array", "items": {"type": "string"}},
            "permissions": {"type": "array", "items": {"type": "string"}},
            "expiresAt": {"type": ["string", "null"], "format": "date-time"},
            "ratelimit": {
                "type": ["object", "null"],
                "properties": {
                    "limit": {"type": "integer"},
                    "remaining": {"type": "integer"},
                    "resetAt": {"type": "string", "format": "date-time"},
                },
            },
            "remaining": {
                "type": ["integer", "null"],
                "description": "Credits left; null is unlimited.",
            },
        },
    },
)


# Ids are a pure function of type and key: a verifier asks about the same few keys again.
global_id = functools.lru_cache(maxsize=4096)(_global_id)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def result_json(verification: Verification) -> dict[str, Any]:
    owner = verification.owner
    window = verification.ratelimit
    return {
        "valid": verification.valid,
        "code": verification.code,
        "keyId": None if verification.key_id is None else global_id(API_KEY, verification.key_id),
        "name": verification.name,
        "owner": None
        if owner is None
        else {"type": owner.type, "id": global_id(owner.node_type, owner.pk), "name": owner.name},
        "scopes": [str(scope) for scope in verification.scopes],
        "permissions": verification.permissions,
        "expiresAt": _iso(verification.expires_at),
        "ratelimit": None
        if window is None
        else {
            "limit": window.limit,
            "remaining": window.remaining,
            "resetAt": _iso(verification.ratelimit_reset_at),
        },
        "remaining": verification.remaining,
    }


def _root_call(key_id: int, address: str | None, services: Services) -> VerifierCall:
    now = utcnow()

    def count() -> asyncio.Future[None]:
        # Joins the pending batch at once: counted with the verified key's, one commit.
        return services.runtime.calls.count(key_id, now, address, operation=OPERATION_NAME)

    return count


async def request_body(receive: Receive) -> bytes:
    """The whole body, as `starlette.requests.Request.body` reads it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect


def request_fields(body: bytes) -> dict[str, Any]:
    if nests_deeper_than(body, MAX_JSON_DEPTH):
        raise bad_input(f"The JSON body nests deeper than {MAX_JSON_DEPTH} levels.")
    try:
        fields = orjson.loads(body)
    except orjson.JSONDecodeError:
        raise bad_input("The body must be a JSON object.") from None
    if not isinstance(fields, dict):
        raise bad_input("The body must be a JSON object.")
    unknown = sorted(set(fields) - FIELDS)
    if unknown:
        raise bad_input(f"Unknown field {unknown[0][:40]!r}; the fields are {sorted(FIELDS)}.")
    if "key" not in fields:
        raise bad_input("`key` is required.")
    return fields


@v1_route(
    "POST",
    "/v1/keys/verify",
    summary="Verify an API key",
    description="Whether a key is valid, why not, who owns it, what it may do and how much "
    "of its limits is left. HTTP 200 for every well-formed request whatever the verdict.",
    request_body={"required": True, "content": {"application/json": {"schema": INPUT}}},
    responses={
        "200": {
            "description": "The verdict (`code`).",
            "content": {"application/json": {"schema": RESULT}},
        },
        "400": error_response("A bad body or permission expression (BAD_USER_INPUT)."),
        "401": error_response("A missing or bad root key (UNAUTHENTICATED)."),
        "403": error_response("A key without VERIFY, or its owner's role (FORBIDDEN)."),
        "429": error_response("The root key is over its own rate limit (RATE_LIMITED)."),
    },
    asgi=True,
)
async def verify_endpoint(
    scope: AsgiScope, receive: Receive, send: Send, services: Services
) -> None:
    seconds = services.settings.max_execution_seconds
    deadline = asyncio.timeout(seconds)
    try:
        async with deadline:
            verification = await _verify(scope, receive, services)
    except TimeoutError:
        if not deadline.expired():
            raise
        raise GatehouseError(
            ErrorCode.INTERNAL,
            f"The request did not finish within {seconds:g} seconds; its work was stopped.",
            reason="DEADLINE_EXCEEDED",
            status_code=503,
        ) from None
    body = orjson.dumps(result_json(verification))
    # As starlette.responses.Response(body, media_type="application/json") sends it.
    headers = [(b"content-length", str(len(body)).encode()), _JSON_CONTENT_TYPE]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


_JSON_CONTENT_TYPE = (b"content-type", b"application/json")


async def _verify(scope: AsgiScope, receive: Receive, services: Services) -> Verification:
    """Within MAX_EXECUTION_SECONDS, as a GraphQL request."""
    try:
        return await _verify_as_root(scope, receive, services)
    except GatehouseError:
        raise
    except Exception as exc:
        raise unexpected(exc) from exc


async def _verify_as_root(scope: AsgiScope, receive: Receive, services: Services) -> Verification:
    """The root key and the key it verifies are read in one statement: the body is read
    first, and what it holds is answered only once the root key is admitted (a 401 or 403
    before a 400), as when they were read one after the other."""
    client = scope.get("client")
    address = known_address(client[0] if client else None)
    headers = _credential_headers(scope)
    credential = credential_from_headers(headers)
    if not credential or len(credential) > MAX_CREDENTIAL_LENGTH:
        credential = None
    if credential is None or not looks_like_api_key(credential):
        # No key: whatever was sent is looked at as on any route (a session is kept alive
        # or ended), and refused.
        await authenticate(headers, address, services.runtime, count_key_call=False)
        raise _no_root_key()
    if not is_well_formed_api_key(credential):
        note_auth_failure("malformed")
        raise _no_root_key()
    body_failure: Exception | None = None
    fields: dict[str, Any] = {}
    try:
        fields = request_fields(await request_body(receive))
    except Exception as exc:  # noqa: BLE001 - raised below, where it would have been
        body_failure = exc
    root_hash = hash_secret(credential)
    hashes = [root_hash]
    secret = fields.get("key")
    if isinstance(secret, str) and verifiable(secret):
        hashes.append(hash_secret(secret))
    # Both from the verifications' cache while fresh (auth.key_cache), else one statement.
    read = await services.runtime.key_cache.find_keys(hashes, utcnow())
    found = read.found.get(root_hash)
    if found is None:
        note_auth_failure("unknown")
        raise _no_root_key()
    key, owner = found.key, found.owner

    def verifier() -> Principal:
        return key_principal(found, address)

    # Its call is counted with the verified key's (resolvers.key_verification.verify_key).
    admitted = await admit_key(key, owner, read.now, address, services.runtime, None, verifier)
    if not admitted or owner is None:
        raise _no_root_key()
    root_call = _root_call(key.id, address, services)
    refusal: GatehouseError | None = None
    if owner.role not in ROOT_ROLES:
        refusal = forbidden("A root key's owner must be a SUPER_ADMIN or ADMIN.")
    elif Scope.VERIFY not in key.scopes:
        refusal = MissingScopeError(Scope.VERIFY.value)
    if refusal is not None:
        # A valid key refused by the route's rule made a call, as on GraphQL.
        await root_call()
        raise refusal
    try:
        if body_failure is not None:
            raise body_failure
        checked = checked_request(
            fields["key"],
            fields.get("permissions"),
            fields.get("cost", 1),
            fields.get("operation"),
            fields.get("clientAddress"),
        )
    except GatehouseError:
        await root_call()  # a refused body is still a call of the root key
        raise
    return await verify_key(verifier, checked, services.runtime, verifier_call=root_call, read=read)


_CREDENTIAL_HEADERS = (b"authorization", b"x-api-key")


def _credential_headers(scope: AsgiScope) -> dict[str, str]:
    """The credential headers, as `starlette.datastructures.Headers.get` finds them."""
    found: dict[str, str] = {}
    for name, value in scope["headers"]:
        if name in _CREDENTIAL_HEADERS:
            found.setdefault(name.decode("latin-1"), value.decode("latin-1"))
    return found


def _no_root_key() -> GatehouseError:
    return unauthenticated("A root key (an API key with the VERIFY scope) is required.")
