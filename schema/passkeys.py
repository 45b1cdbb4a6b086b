"""Passkeys (WebAuthn): `Passkey`, the registration and sign-in ceremonies, removal."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from auth.audit import AuditAction, AuditTarget
from core.enums import Role
from resolvers import passkeys
from resolvers.rows import Passkey
from schema.changes import Target, mutation
from schema.context import Context
from schema.ids import PASSKEY, PasskeyId, global_id, node_id_field, pk_of
from schema.permissions import people_only, public_for_people
from schema.read_rules import ReadRule, read_rule
from schema.sessions import LoginPayload
from schema.users import UserType

Info = strawberry.Info[Context, None]

# Wherever a Passkey is reached (`User.passkeys`, `node`), only its owner reads it.
PASSKEY_READ_RULE = ReadRule(
    frozenset(Role), passkeys.ONLY_YOUR_OWN, owner_of=lambda passkey: passkey.user_id
)

Credential = Annotated[
    JSON,
    strawberry.argument(
        description="What the browser's navigator.credentials answered, as WebAuthn's JSON "
        "(PublicKeyCredential.toJSON()): id, rawId, type and response, binary values in "
        "base64url."
    ),
]


@read_rule(PASSKEY_READ_RULE)
@strawberry.type(
    name="Passkey",
    description="A WebAuthn credential its owner signs in with, passwordless or as a second "
    "factor. Only its owner sees it.",
)
class PasskeyType(relay.Node):
    id: relay.NodeID[int]
    _id: strawberry.ID = node_id_field()  # Relay's `id`, as an attribute: schema.ids
    name: str = strawberry.field(description="The owner's name for it, 1 to 100 characters.")
    created_at: datetime = strawberry.field(description="When it was registered.")
    last_used_at: datetime | None = strawberry.field(
        description="When it last signed in or verified a session; null until then."
    )
    user_id: strawberry.Private[int]

    @classmethod
    def from_model(cls, passkey: Passkey) -> PasskeyType:
        return cls(
            id=passkey.id,
            _id=global_id(PASSKEY, passkey.id),
            name=passkey.name,
            created_at=passkey.created_at,
            last_used_at=passkey.last_used_at,
            user_id=passkey.user_id,
        )


async def passkeys_of(info: Info, user_id: int) -> list[PasskeyType]:
    """`User.passkeys`: the caller's own only (FORBIDDEN for anyone else's)."""
    rows = await passkeys.list_passkeys(info.context.principal, user_id)
    return [PasskeyType.from_model(each) for each in rows]


async def passkey_node(info: Info, pk: int) -> PasskeyType | None:
    passkey = await passkeys.get_own_passkey(info.context.principal, pk)
    return PasskeyType.from_model(passkey) if passkey else None


@strawberry.type
class PasskeyMutation:
    @mutation(
        action=AuditAction.PASSKEY_BEGIN_REGISTRATION,
        target=Target(AuditTarget.USER),
        allow=people_only(),
        self_audited=True,
        description="Starts registering a passkey for the signed-in user: "
        "PublicKeyCredentialCreationOptions as WebAuthn's JSON, for "
        "navigator.credentials.create() (PublicKeyCredential.parseCreationOptionsFromJSON). "
        "The user's passkeys are excluded; a discoverable credential and user verification "
        "are preferred. Its challenge serves once, for 5 minutes.",
    )
    async def begin_passkey_registration(self, info: Info) -> JSON:
        options: Any = await passkeys.begin_registration(
            info.context.principal, info.context.settings.webauthn
        )
        return options  # type: ignore[no-any-return]

    @mutation(
        action=AuditAction.PASSKEY_REGISTER,
        target=Target(AuditTarget.PASSKEY),
        allow=people_only(),
        self_audited=True,
        description="Finishes a registration begun by beginPasskeyRegistration. A wrong or "
        "used challenge, another origin or relying party, or a bad attestation is "
        'BAD_USER_INPUT with `reason: "PASSKEY_REFUSED"`; a passkey registered already is '
        "CONFLICT.",
    )
    async def finish_passkey_registration(
        self,
        info: Info,
        name: Annotated[
            str, strawberry.argument(description="A name for it, 1 to 100 characters.")
        ],
        credential: Credential,
    ) -> PasskeyType:
        passkey = await passkeys.finish_registration(
            info.context.principal, info.context.settings.webauthn, name, credential
        )
        return PasskeyType.from_model(passkey)

    @mutation(
        action=AuditAction.PASSKEY_REMOVE,
        target=Target(AuditTarget.PASSKEY, argument="id"),
        allow=people_only(),
        self_audited=True,
        step_up=True,
        description="Removes one of the signed-in user's passkeys; anyone else's is NOT_FOUND.",
    )
    async def remove_passkey(self, info: Info, id: PasskeyId) -> bool:  # noqa: A002
        return await passkeys.remove_passkey(info.context.principal, pk_of(id, PASSKEY))

    @mutation(
        action=AuditAction.SESSION_PASSKEY_LOGIN,
        target=Target(AuditTarget.USER),
        allow=public_for_people(),
        self_audited=True,
        description="Public. PublicKeyCredentialRequestOptions as WebAuthn's JSON, for "
        "navigator.credentials.get(). Anonymous: for passkeyLogin, with user verification "
        "required; with an email, `allowCredentials` lists that user's passkeys (an email "
        "that names nobody with a passkey gets an answer of the same shape). With a "
        "session: for verifyMfa's `passkey`, the session user's passkeys allowed.",
    )
    async def begin_passkey_login(
        self,
        info: Info,
        email: Annotated[
            str | None,
            strawberry.argument(description="Null: any passkey of this site (discoverable)."),
        ] = None,
    ) -> JSON:
        options: Any = await passkeys.begin_login(
            info.context.actor, info.context.settings.webauthn, email
        )
        return options  # type: ignore[no-any-return]

    @mutation(
        action=AuditAction.SESSION_PASSKEY_LOGIN,
        target=Target(AuditTarget.USER),
        allow=public_for_people(),
        self_audited=True,
        description="Public. Signs in with a passkey, passwordless: the authenticator's user "
        "verification counts as two factors, so the session is full (its second factor "
        "verified now). Anything wrong (an unknown passkey, a used or ended challenge, "
        "another origin, a bad signature, no user verification, a sign count that went "
        'back, an inactive user) is UNAUTHENTICATED with `reason: "PASSKEY_REFUSED"`; '
        "failures count with login's, and RATE_LIMITED follows as for login.",
    )
    async def passkey_login(self, info: Info, credential: Credential) -> LoginPayload:
        ttl = timedelta(hours=info.context.settings.session_ttl_hours)
        result = await passkeys.passkey_login(
            info.context.actor,
            info.context.settings.webauthn,
            credential,
            ttl=ttl,
            user_agent=info.context.request.headers.get("user-agent"),
        )
        return LoginPayload(
            token=result.token,
            expires_at=result.expires_at,
            user=UserType.from_model(result.user),
            restriction=result.restriction,
            mfa_methods=result.mfa_methods,
        )
