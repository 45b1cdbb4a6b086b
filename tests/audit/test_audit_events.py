"""What the audit log records: every mutation of the permission table, allowed or refused,
every sign-in attempt, the actor and its address, and never a secret."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from httpx import AsyncClient
from tortoise.connection import get_connection

from gatehouse.bootstrap import ensure_first_super_admin
from models import ApiKey, AuditEvent, Role, Scope, Session, User
from schema.ids import API_KEY, USER, global_id
from tests.support.database import SETTINGS
from tests.support.documents import (
    CREATE_API_KEY,
    CREATE_USER,
    DELETE_API_KEY,
    DELETE_USER,
    LOGIN_TOKEN,
    LOGOUT,
    RESET_PASSWORD,
    REVOKE_KEY,
    UPDATE_USER,
)
from tests.support.factories import PASSWORD, gid, make_api_key, make_user, pk
from tests.support.graphql import error_codes, graphql, login

SA, ADMIN, RO = Role.SUPER_ADMIN, Role.ADMIN, Role.READ_ONLY
NEW_PASSWORD = "a brand new passphrase"
CLIENT_ADDRESS = "127.0.0.1"  # httpx's ASGITransport reports this peer

AUDIT_LOG = """
query AuditLog($filter: AuditFilter, $first: Int) {
  auditLog(first: $first, filter: $filter) {
    totalCount
    nodes {
      id at actorType actorId clientAddress action targetType targetId outcome details
    }
  }
}
"""


@dataclass
class World:
    reader_token: str  # a super-admin's, to read the log
    target_user: User
    target_key: ApiKey


@dataclass(frozen=True)
class Mutation:
    document: str
    variables: Callable[[World], dict[str, Any]]
    action: str
    target_type: str
    target: Callable[[World], int | None]  # the target's id; None where it is made anew
    allowed: frozenset[Role]


def _user_id(world: World) -> dict[str, Any]:
    return {"id": gid(world.target_user)}


def _key_id(world: World) -> dict[str, Any]:
    return {"id": gid(world.target_key)}


MUTATIONS = {
    "createUser": Mutation(
        CREATE_USER,
        lambda world: {
            "input": {
                "email": "Made.In.Table@Example.com",
                "displayName": "Made in the table",
                "password": NEW_PASSWORD,
                "roles": ["READ_ONLY"],
            }
        },
        "user.create",
        "user",
        lambda world: None,
        frozenset({SA}),
    ),
    "updateUser": Mutation(
        UPDATE_USER,
        lambda world: {**_user_id(world), "input": {"displayName": "Renamed", "roles": ["ADMIN"]}},
        "user.update",
        "user",
        lambda world: world.target_user.id,
        frozenset({SA, ADMIN}),
    ),
    "resetPassword": Mutation(
        RESET_PASSWORD,
        lambda world: {"userId": gid(world.target_user), "newPassword": NEW_PASSWORD},
        "user.reset_password",
        "user",
        lambda world: world.target_user.id,
        frozenset({SA}),
    ),
    "deleteUser": Mutation(
        DELETE_USER, _user_id, "user.delete", "user", lambda w: w.target_user.id, frozenset({SA})
    ),
    "createApiKey": Mutation(
        CREATE_API_KEY,
        lambda world: {"input": {"name": "made in the table", "scopes": ["READ"]}},
        "api_key.create",
        "api_key",
        lambda world: None,
        frozenset({SA, ADMIN}),
    ),
    "revokeKey": Mutation(
        REVOKE_KEY,
        _key_id,
        "api_key.revoke",
        "api_key",
        lambda world: world.target_key.id,
        frozenset({SA, ADMIN}),
    ),
    "deleteApiKey": Mutation(
        DELETE_API_KEY,
        _key_id,
        "api_key.delete",
        "api_key",
        lambda world: world.target_key.id,
        frozenset({SA}),
    ),
    "logout": Mutation(
        LOGOUT,
        lambda world: {},
        "session.logout",
        "user",
        lambda world: None,
        frozenset({SA, ADMIN, RO}),
    ),
}


async def audit_events(client: AsyncClient, token: str, **criteria: Any) -> list[dict[str, Any]]:
    body = await graphql(client, AUDIT_LOG, {"filter": criteria, "first": 100}, token=token)
    assert "errors" not in body, body
    nodes: list[dict[str, Any]] = body["data"]["auditLog"]["nodes"]
    return nodes


async def whole_audit_table() -> str:
    """Every column of every row, as one text to search secrets in."""
    rows = await get_connection("default").execute_query_dict("SELECT * FROM audit_events")
    return json.dumps(rows, default=str)


async def make_world(client: AsyncClient, super_admin: User) -> World:
    target_user = await make_user(roles=(RO,), email="target@example.com")
    target_key, _ = await make_api_key(target_user, name="target key")
    return World(await login(client, super_admin), target_user, target_key)


@pytest.mark.parametrize("role", [SA, ADMIN, RO])
@pytest.mark.parametrize("operation", list(MUTATIONS))
async def test_every_mutation_is_audited_with_its_outcome(
    client: AsyncClient, super_admin: User, operation: str, role: Role
) -> None:
    world = await make_world(client, super_admin)
    caller = await make_user(roles=(role,))
    caller_token = await login(client, caller)
    spec = MUTATIONS[operation]

    body = await graphql(client, spec.document, spec.variables(world), token=caller_token)

    allowed = role in spec.allowed
    assert error_codes(body) == ([] if allowed else ["FORBIDDEN"])
    (event,) = await audit_events(
        client, world.reader_token, action=spec.action, actorId=gid(caller)
    )
    assert event["actorType"] == "user"
    assert event["clientAddress"] == CLIENT_ADDRESS
    assert event["outcome"] == ("OK" if allowed else "FORBIDDEN")
    assert event["targetType"] == spec.target_type
    expected_target = spec.target(world)
    if operation == "logout":
        expected_target = caller.id
    elif expected_target is None and allowed:
        made = body["data"][operation]
        expected_target = pk(made["id"] if "id" in made else made["apiKey"]["id"])
    assert event["targetId"] == (
        None if expected_target is None else pk_of_event_target(event, expected_target)
    )
    table = await whole_audit_table()
    for secret in secrets_of(body, caller_token, world.reader_token):
        assert secret not in table


def pk_of_event_target(event: dict[str, Any], expected: int) -> str:
    """The global id the event should show for the target's primary key."""
    kind = USER if event["targetType"] == "user" else API_KEY
    return global_id(kind, expected)


def secrets_of(body: dict[str, Any], *tokens: str) -> list[str]:
    """Passwords, tokens, their hashes and any key secret in the answer."""
    found = [PASSWORD, NEW_PASSWORD, *tokens]
    found += [hashlib.sha256(token.encode()).hexdigest() for token in tokens]
    created = (body.get("data") or {}).get("createApiKey")
    if created:
        found += [created["secret"], hashlib.sha256(created["secret"].encode()).hexdigest()]
    return found


async def test_no_password_hash_or_key_hash_reaches_the_audit_table(
    client: AsyncClient, super_admin: User
) -> None:
    world = await make_world(client, super_admin)
    for operation in ("updateUser", "resetPassword", "revokeKey", "createApiKey", "deleteUser"):
        spec = MUTATIONS[operation]
        body = await graphql(client, spec.document, spec.variables(world), token=world.reader_token)
        assert "errors" not in body, body

    table = await whole_audit_table()
    hashes = [user.password_hash for user in await User.all()]
    hashes += [key.key_hash for key in await ApiKey.all()]
    assert hashes
    for stored_hash in hashes:
        assert stored_hash not in table
    assert "argon2" not in table


async def test_an_api_key_actor_is_recorded_with_its_owner(
    client: AsyncClient, super_admin: User
) -> None:
    world = await make_world(client, super_admin)
    key, secret = await make_api_key(super_admin, scopes=(Scope.WRITE,))

    body = await graphql(client, REVOKE_KEY, _key_id(world), headers={"X-API-Key": secret})

    assert "errors" not in body, body
    (event,) = await audit_events(client, world.reader_token, action="api_key.revoke")
    assert (event["actorType"], event["actorId"]) == ("api_key", gid(key))
    assert event["details"]["keyOwnerId"] == super_admin.id
    assert event["clientAddress"] == CLIENT_ADDRESS
    assert secret not in await whole_audit_table()


async def test_a_key_refused_for_its_scope_is_recorded(
    client: AsyncClient, super_admin: User
) -> None:
    world = await make_world(client, super_admin)
    key, secret = await make_api_key(super_admin, scopes=(Scope.READ,))

    body = await graphql(client, DELETE_API_KEY, _key_id(world), headers={"X-API-Key": secret})

    assert error_codes(body) == ["FORBIDDEN"]
    (event,) = await audit_events(client, world.reader_token, action="api_key.delete")
    assert (event["actorType"], event["actorId"], event["outcome"]) == (
        "api_key",
        gid(key),
        "FORBIDDEN",
    )
    assert event["targetId"] == gid(world.target_key)


async def test_anonymous_mutations_are_refused_without_filling_the_log(
    client: AsyncClient, super_admin: User
) -> None:
    world = await make_world(client, super_admin)
    before = await AuditEvent.all().count()

    body = await graphql(client, DELETE_USER, _user_id(world))

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await AuditEvent.all().count() == before


@pytest.mark.parametrize(
    ("document", "variables", "action", "outcome"),
    [
        pytest.param(
            DELETE_USER, {"id": global_id(USER, 999999)}, "user.delete", "NOT_FOUND", id="not-found"
        ),
        pytest.param(
            CREATE_USER,
            {
                "input": {
                    "email": "TARGET@example.com",
                    "displayName": "Twin",
                    "password": PASSWORD,
                    "roles": ["ADMIN"],
                }
            },
            "user.create",
            "CONFLICT",
            id="conflict",
        ),
        pytest.param(
            CREATE_API_KEY,
            {"input": {"name": "x" * 101, "scopes": ["READ"]}},
            "api_key.create",
            "BAD_USER_INPUT",
            id="bad-input",
        ),
    ],
)
async def test_refusals_by_the_rules_of_the_data_are_recorded(
    client: AsyncClient,
    super_admin: User,
    document: str,
    variables: dict[str, Any],
    action: str,
    outcome: str,
) -> None:
    world = await make_world(client, super_admin)

    body = await graphql(client, document, variables, token=world.reader_token)

    assert error_codes(body) == [outcome]
    (event,) = await audit_events(
        client, world.reader_token, action=action, actorId=gid(super_admin)
    )
    assert event["outcome"] == outcome


async def test_a_refused_change_leaves_only_the_refusal(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    body = await graphql(
        client,
        UPDATE_USER,
        {"id": gid(super_admin), "input": {"roles": ["ADMIN"], "displayName": "Demoted"}},
        token=token,
    )

    assert error_codes(body) == ["FORBIDDEN"]
    (event,) = await audit_events(client, token, action="user.update")
    assert event["outcome"] == "FORBIDDEN"
    assert event["details"]["roles"] == {"from": ["SUPER_ADMIN"], "to": ["ADMIN"]}
    assert (await User.get(id=super_admin.id)).display_name != "Demoted"


async def test_an_update_records_what_changed_from_what(
    client: AsyncClient, super_admin: User
) -> None:
    world = await make_world(client, super_admin)

    await graphql(
        client,
        UPDATE_USER,
        {**_user_id(world), "input": {"displayName": "Renamed", "status": "INACTIVE"}},
        token=world.reader_token,
    )

    (event,) = await audit_events(client, world.reader_token, action="user.update")
    assert event["details"] == {
        "displayName": {"from": world.target_user.display_name, "to": "Renamed"},
        "status": {"from": "ACTIVE", "to": "INACTIVE"},
    }


async def test_a_change_whose_event_cannot_be_written_does_not_happen(
    client: AsyncClient, super_admin: User
) -> None:
    world = await make_world(client, super_admin)
    # A real fault, not a mock: the audit table is gone, so the event's insert fails.
    await get_connection("default").execute_script("DROP TABLE audit_events")

    body = await graphql(client, REVOKE_KEY, _key_id(world), token=world.reader_token)

    assert error_codes(body) == ["INTERNAL"]
    assert (await ApiKey.get(id=world.target_key.id)).revoked_at is None


# --- signing in -----------------------------------------------------------------------


async def test_a_successful_login_is_recorded_as_the_user(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    (event,) = await audit_events(client, token, action="session.login")
    assert (event["actorType"], event["actorId"]) == ("user", gid(super_admin))
    assert (event["targetType"], event["targetId"]) == ("user", gid(super_admin))
    assert (event["outcome"], event["clientAddress"]) == ("OK", CLIENT_ADDRESS)
    assert event["details"] == {"email": super_admin.email}
    assert token not in await whole_audit_table()


@pytest.mark.parametrize(
    ("email", "password", "reason", "targets_user"),
    [
        pytest.param(
            "Target@Example.com", "a wrong password!!", "wrong_password", True, id="wrong"
        ),
        pytest.param("nobody@example.com", PASSWORD, "unknown_email", False, id="unknown"),
    ],
)
async def test_a_failed_login_is_recorded_as_anonymous(
    client: AsyncClient,
    super_admin: User,
    email: str,
    password: str,
    reason: str,
    targets_user: bool,
) -> None:
    world = await make_world(client, super_admin)

    body = await graphql(client, LOGIN_TOKEN, {"email": email, "password": password})

    assert error_codes(body) == ["UNAUTHENTICATED"]
    (event,) = await audit_events(client, world.reader_token, outcome="UNAUTHENTICATED")
    assert (event["actorType"], event["actorId"]) == ("anonymous", None)
    assert event["action"] == "session.login"
    assert event["clientAddress"] == CLIENT_ADDRESS
    assert event["targetId"] == (gid(world.target_user) if targets_user else None)
    assert event["details"] == {"email": email.lower(), "reason": reason}
    assert password not in await whole_audit_table()


async def test_a_password_typed_into_the_email_field_is_not_kept(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    await graphql(
        client, LOGIN_TOKEN, {"email": "MySecretPassphrase", "password": "whatever it is"}
    )

    (event,) = await audit_events(client, token, outcome="UNAUTHENTICATED")
    assert event["details"] == {"email": None, "reason": "malformed_email"}
    table = await whole_audit_table()
    assert "MySecretPassphrase".lower() not in table.lower()


async def test_logout_is_recorded_and_ends_only_that_session(
    client: AsyncClient, super_admin: User
) -> None:
    reader = await login(client, super_admin)
    leaving = await login(client, super_admin)

    body = await graphql(client, LOGOUT, token=leaving)

    assert body["data"] == {"logout": True}
    assert await Session.all().count() == 1
    (event,) = await audit_events(client, reader, action="session.logout")
    assert (event["actorId"], event["targetId"]) == (gid(super_admin), gid(super_admin))


async def test_the_first_super_admin_is_audited_as_the_system(client: AsyncClient) -> None:
    await ensure_first_super_admin(SETTINGS)

    (user,) = await User.all()
    (event,) = await AuditEvent.all()
    assert (event.actor_type, event.actor_id, event.client_address) == ("system", None, None)
    assert (event.action, event.target_id, event.outcome) == ("user.create", user.id, "OK")
    assert event.details == {
        "email": user.email,
        "displayName": user.display_name,
        "roles": ["SUPER_ADMIN"],
    }
