"""Relay's `node` and `nodes`: any User, ApiKey, ServiceAccount, (one's own) Passkey,
Session or Invitation by its global id, with the permissions of `user`, `apiKey` and
`serviceAccount` (a User or a ServiceAccount needs a role that may read users; an ApiKey any
role; a Passkey is null for anyone but its owner), of `User.sessions` (a Session: its user's
own, or a super-admin's) and of `invitations` (an Invitation: SUPER_ADMIN)."""

from __future__ import annotations

import asyncio
from typing import Annotated

import strawberry
from strawberry import relay

from core.enums import Scope
from core.errors import GatehouseError, bad_input
from schema.api_keys import ApiKeyType
from schema.context import Context
from schema.ids import (
    API_KEY,
    INVITATION,
    PASSKEY,
    SERVICE_ACCOUNT,
    SESSION,
    USER,
    decode_global_id,
)
from schema.invitations import invitation_node
from schema.passkeys import passkey_node
from schema.permissions import EVERY_ROLE, allow
from schema.service_accounts import SERVICE_ACCOUNT_READ_RULE, ServiceAccountType
from schema.user_sessions import session_node
from schema.users import USER_READ_RULE, UserType

Info = strawberry.Info[Context, None]
MAX_NODES = 100


async def _node(info: Info, global_id: str) -> relay.Node | None:
    decoded = decode_global_id(global_id)
    if decoded is None:
        return None
    type_name, pk = decoded
    loaders = info.context.loaders
    if type_name == USER:
        # Asked before the load, so that a refused id answers alike whether it exists.
        USER_READ_RULE.require(info.context.actor)
        user = await loaders.user_by_id.load(pk)
        return UserType.from_model(user) if user else None
    if type_name == API_KEY:
        api_key = await loaders.api_key_by_id.load(pk)
        return ApiKeyType.from_model(api_key) if api_key else None
    if type_name == SESSION:
        return await session_node(info, pk)
    if type_name == PASSKEY:
        # Only the caller's own: another user's is as absent as one that never was.
        return await passkey_node(info, pk)
    if type_name == SERVICE_ACCOUNT:
        SERVICE_ACCOUNT_READ_RULE.require(info.context.actor)
        account = await loaders.service_account_by_id.load(pk)
        return ServiceAccountType.from_model(account) if account else None
    if type_name == INVITATION:
        return await invitation_node(info, pk)
    return None


@strawberry.type
class NodeQuery:
    @strawberry.field(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ)],
        description="The User, ApiKey, ServiceAccount, own Passkey, Session or Invitation "
        "with this global id; null when the id is malformed or names nothing. A User or "
        "ServiceAccount id needs the SUPER_ADMIN or ADMIN role (FORBIDDEN otherwise), as "
        "`user` does; a Session id a session (FORBIDDEN with an API key), and is null unless "
        "the session is the caller's own or the caller is a SUPER_ADMIN; an Invitation id "
        "SUPER_ADMIN (FORBIDDEN otherwise), as `invitations`.",
    )
    async def node(
        self,
        info: Info,
        id: Annotated[  # noqa: A002 - Relay's name
            strawberry.ID, strawberry.argument(description="A global id from any `id` field.")
        ],
    ) -> relay.Node | None:
        return await _node(info, id)

    @strawberry.field(
        extensions=[allow(*EVERY_ROLE, scope=Scope.READ)],
        description="`node` for each id, in the order given (at most 100). An entry is null "
        "where `node` would be null, and null with a FORBIDDEN error at its index where "
        "`node` would refuse.",
    )
    async def nodes(
        self,
        info: Info,
        ids: Annotated[
            list[strawberry.ID], strawberry.argument(description="Global ids, at most 100.")
        ],
    ) -> list[relay.Node | None]:
        if len(ids) > MAX_NODES:
            raise bad_input(f"`ids` may hold at most {MAX_NODES} ids.")
        # Gathered, so that the DataLoaders fetch each type in one query.
        return list(await asyncio.gather(*(_node_or_refusal(info, each) for each in ids)))


async def _node_or_refusal(info: Info, global_id: str) -> relay.Node | None:
    try:
        return await _node(info, global_id)
    except GatehouseError as error:
        # Returned, not raised: GraphQL nulls this entry alone and reports the error at its
        # index, so the other entries still answer.
        return error  # type: ignore[return-value]
