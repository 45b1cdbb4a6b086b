"""Each mutation is declared once (schema/changes.py): every Mutation field carries an audit
action that docs/security.md lists, and every refusal of a weaker caller is recorded."""

from __future__ import annotations

import re
from typing import Any

import pytest
from httpx import AsyncClient
from strawberry.types.base import get_object_definition

from auth.audit import AuditAction
from models import ApiKey, AuditEvent, Role, Scope, ServiceAccount, User
from schema import Mutation
from schema.changes import change_of
from schema.ids import INVITATION, global_id
from tests.support.factories import gid, make_api_key, make_service_account, make_user
from tests.support.graphql import error_codes, graphql, login
from tests.support.paths import ROOT

SECURITY_DOCS = ROOT / "docs" / "security.md"
NEW_PASSWORD = "a brand new passphrase"


def _mutation_fields() -> dict[str, Any]:
    definition = get_object_definition(Mutation, strict=True)
    return {field.python_name: field for field in definition.fields}


def _documented_actions() -> set[str]:
    text = SECURITY_DOCS.read_text(encoding="utf-8")
    table = text[text.index("### Actions") : text.index("### Fields")]
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", table, flags=re.MULTILINE))


def test_every_mutation_declares_an_audit_action() -> None:
    undeclared = [name for name, field in _mutation_fields().items() if change_of(field) is None]
    assert undeclared == []


def test_every_declared_action_is_in_the_security_docs() -> None:
    declared = {
        str(change.action)
        for field in _mutation_fields().values()
        if (change := change_of(field)) is not None
    }
    assert declared - _documented_actions() == set()


def test_every_audit_action_is_in_the_security_docs() -> None:
    assert {str(action) for action in AuditAction} - _documented_actions() == set()


# Each mutation the wrapper audits (all but the self-audited session ones), with arguments
# a READ_ONLY caller would otherwise be allowed to send.
DOCUMENTS: dict[str, str] = {
    "create_user": """mutation { createUser(input: {email: "new@example.com",
        displayName: "New", password: "a brand new passphrase", roles: [READ_ONLY]}) { id } }""",
    "update_user": """mutation($id: ID!) {
        updateUser(id: $id, input: {displayName: "Renamed"}) { id } }""",
    "reset_password": """mutation($id: ID!) {
        resetPassword(userId: $id, newPassword: "a brand new passphrase") { id } }""",
    "delete_user": "mutation($id: ID!) { deleteUser(id: $id) }",
    "create_api_key": """mutation {
        createApiKey(input: {name: "new", scopes: [READ]}) { secret } }""",
    "revoke_key": "mutation($id: ID!) { revokeKey(id: $id) { id } }",
    "delete_api_key": "mutation($id: ID!) { deleteApiKey(id: $id) }",
    "roll_key": "mutation($id: ID!) { rollKey(id: $id) { secret } }",
    "update_api_key": """mutation($id: ID!) {
        updateApiKey(id: $id, input: {name: "renamed"}) { id } }""",
    "invite_user": """mutation { inviteUser(input: {email: "new@example.com",
        displayName: "New", roles: [READ_ONLY]}) { token } }""",
    "resend_invitation": "mutation($id: ID!) { resendInvitation(id: $id) { token } }",
    "revoke_invitation": "mutation($id: ID!) { revokeInvitation(id: $id) }",
    "disable_key": "mutation($id: ID!) { disableKey(id: $id) { id } }",
    "enable_key": "mutation($id: ID!) { enableKey(id: $id) { id } }",
    "verify_api_key": """mutation {
        verifyApiKey(input: {key: "gk_not_a_key"}) { valid code } }""",
    "create_service_account": """mutation {
        createServiceAccount(input: {name: "bots", roles: [READ_ONLY]}) { id } }""",
    "update_service_account": """mutation($id: ID!) {
        updateServiceAccount(id: $id, input: {name: "renamed"}) { id } }""",
    "delete_service_account": "mutation($id: ID!) { deleteServiceAccount(id: $id) }",
    "reset_mfa": "mutation($id: ID!) { resetMfa(userId: $id) }",
}
# Mutations every signed-in person may call on their own account: only a key is refused.
FOR_EVERY_PERSON: dict[str, str] = {
    "verify_mfa": 'mutation { verifyMfa(totpCode: "123456") { token } }',
    "begin_totp_enrollment": "mutation { beginTotpEnrollment { secret } }",
    "confirm_totp_enrollment": 'mutation { confirmTotpEnrollment(code: "123456") }',
    "regenerate_recovery_codes": "mutation { regenerateRecoveryCodes }",
    "disable_totp": "mutation { disableTotp }",
    # Other users' sessions are NOT_FOUND: tests/sessions/test_session_list.py.
    "end_session": 'mutation { endSession(id: "U2Vzc2lvbjox") }',
    "end_other_sessions": "mutation { endOtherSessions }",
}
# The `id` variable names the target of each but the creations.
TARGETS_A_KEY = {
    "revoke_key",
    "delete_api_key",
    "roll_key",
    "update_api_key",
    "disable_key",
    "enable_key",
}
TARGETS_AN_ACCOUNT = {"update_service_account", "delete_service_account"}
TARGETS_AN_INVITATION = {"resend_invitation", "revoke_invitation"}
CREATIONS = {
    "create_user",
    "create_api_key",
    "verify_api_key",
    "invite_user",
    "create_service_account",
}
# Refused before any row is read, so the invitation need not exist.
INVITATION_PK = 4242


def _target_of(name: str, target: User, target_key: ApiKey, account: ServiceAccount) -> Any:
    if name in TARGETS_A_KEY:
        return target_key
    return account if name in TARGETS_AN_ACCOUNT else target


def _variables(
    name: str, target: User, target_key: ApiKey, account: ServiceAccount
) -> dict[str, Any]:
    if name in CREATIONS:
        return {}
    if name in TARGETS_AN_INVITATION:
        return {"id": global_id(INVITATION, INVITATION_PK)}
    return {"id": gid(_target_of(name, target, target_key, account))}


def _target_pk(name: str, target: User, target_key: ApiKey) -> int:
    if name in TARGETS_AN_INVITATION:
        return INVITATION_PK
    return int((target_key if name in TARGETS_A_KEY else target).id)


def test_every_audited_mutation_has_a_refusal_case_here() -> None:
    audited = {
        name
        for name, field in _mutation_fields().items()
        if (change := change_of(field)) is not None and not change.self_audited
    }
    assert audited == set(DOCUMENTS) | set(FOR_EVERY_PERSON)


async def _refused_events(actor_type: str, actor_id: int, action: str) -> list[AuditEvent]:
    return await AuditEvent.filter(
        actor_type=actor_type, actor_id=actor_id, action=action, outcome="FORBIDDEN"
    )


async def _world(super_admin: User) -> tuple[User, ApiKey, ServiceAccount]:
    target = await make_user(roles=(Role.READ_ONLY,), email="target@example.com")
    target_key, _ = await make_api_key(super_admin, scopes=(Scope.READ, Scope.WRITE))
    account = await make_service_account(super_admin, roles=(Role.ADMIN,))
    return target, target_key, account


@pytest.mark.parametrize("name", list(DOCUMENTS))
async def test_read_only_user_refused_on_any_mutation_leaves_a_forbidden_event(
    client: AsyncClient, super_admin: User, name: str
) -> None:
    target, target_key, account = await _world(super_admin)
    reader = await make_user(roles=(Role.READ_ONLY,))
    variables = _variables(name, target, target_key, account)

    body = await graphql(client, DOCUMENTS[name], variables, token=await login(client, reader))

    assert error_codes(body) == ["FORBIDDEN"]
    change = change_of(_mutation_fields()[name])
    assert change is not None
    (event,) = await _refused_events("user", reader.id, str(change.action))
    assert event.target_type == str(change.target.type if change.target else None)
    if change.target is not None and change.target.argument is not None:
        if name in TARGETS_AN_INVITATION:
            assert event.target_id == INVITATION_PK
        else:
            assert event.target_id == _target_of(name, target, target_key, account).id


@pytest.mark.parametrize("name", [*DOCUMENTS, *FOR_EVERY_PERSON])
async def test_read_key_refused_on_any_mutation_leaves_a_forbidden_event(
    client: AsyncClient, super_admin: User, name: str
) -> None:
    target, target_key, account = await _world(super_admin)
    read_key, secret = await make_api_key(super_admin, scopes=(Scope.READ,))
    variables = _variables(name, target, target_key, account) if name in DOCUMENTS else {}

    body = await graphql(client, {**DOCUMENTS, **FOR_EVERY_PERSON}[name], variables, token=secret)

    assert error_codes(body) == ["FORBIDDEN"]
    change = change_of(_mutation_fields()[name])
    assert change is not None
    (event,) = await _refused_events("api_key", read_key.id, str(change.action))
    assert event.details == {"keyOwnerId": super_admin.id}


async def test_refused_mutation_changes_nothing_but_the_log(
    client: AsyncClient, super_admin: User
) -> None:
    _target, target_key, _account = await _world(super_admin)
    reader = await make_user(roles=(Role.READ_ONLY,))

    body = await graphql(
        client, DOCUMENTS["revoke_key"], {"id": gid(target_key)}, token=await login(client, reader)
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert (await ApiKey.get(id=target_key.id)).revoked_at is None
    assert await _refused_events("user", reader.id, "api_key.revoke")


async def test_an_id_of_another_type_names_no_target_in_the_refusal(
    client: AsyncClient, super_admin: User
) -> None:
    reader = await make_user(roles=(Role.READ_ONLY,))

    body = await graphql(
        client, DOCUMENTS["revoke_key"], {"id": gid(super_admin)}, token=await login(client, reader)
    )

    assert error_codes(body) == ["FORBIDDEN"]
    (event,) = await _refused_events("user", reader.id, "api_key.revoke")
    assert (event.target_type, event.target_id) == ("api_key", None)
