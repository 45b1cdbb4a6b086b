"""Step-up: the dangerous mutations need a second factor verified on this session within
STEP_UP_SECONDS, for a user who has one."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import time_machine

from core.clock import utcnow
from models import AuditEvent, Role, Scope
from tests.support.documents import CREATE_API_KEY, CREATE_USER, DELETE_USER, UPDATE_USER
from tests.support.factories import gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient
from tests.support.limiter import app_client
from tests.support.mfa import (
    DISABLE_TOTP,
    REGENERATE,
    RESET_MFA,
    VERIFY_TOTP,
    enrolled_user,
    reason,
)

LATER = timedelta(seconds=301)


def _new_user(number: int) -> dict[str, Any]:
    return {
        "input": {
            "email": f"new{number}@example.com",
            "displayName": "New",
            "password": "a long enough password",
            "roles": ["READ_ONLY"],
        }
    }


async def test_a_fresh_factor_allows_then_the_window_closes_then_verifying_opens_it(
    gql: GraphQLClient,
) -> None:
    enrolled = await enrolled_user(gql)  # confirming counts as verifying, just now
    assert (await gql.execute(CREATE_USER, _new_user(1), token=enrolled.token)).ok

    with time_machine.travel(utcnow() + LATER, tick=True):
        refused = await gql.execute(CREATE_USER, _new_user(2), token=enrolled.token)
        verified = await gql.execute(
            VERIFY_TOTP, {"code": enrolled.app.code()}, token=enrolled.token
        )
        allowed = await gql.execute(CREATE_USER, _new_user(3), token=enrolled.token)

    assert refused.codes == ["FORBIDDEN"]
    assert reason(refused.errors) == ["STEP_UP_REQUIRED"]
    assert verified.ok, verified.body
    assert allowed.ok, allowed.body
    event = await AuditEvent.filter(action="user.create", outcome="FORBIDDEN").first()
    assert event is not None
    assert event.details is not None
    assert event.details["reason"] == "STEP_UP_REQUIRED"


async def test_step_up_seconds_sets_the_window(db: None) -> None:
    async with app_client(step_up_seconds=60) as client:
        gql = GraphQLClient(client)
        enrolled = await enrolled_user(gql)
        with time_machine.travel(utcnow() + timedelta(seconds=61), tick=True):
            refused = await gql.execute(CREATE_USER, _new_user(4), token=enrolled.token)
    assert reason(refused.errors) == ["STEP_UP_REQUIRED"]


async def test_every_declared_mutation_asks_for_step_up(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    other = await make_user(roles=(Role.ADMIN,))
    documents: list[tuple[str, dict[str, Any]]] = [
        (CREATE_USER, _new_user(5)),
        (DELETE_USER, {"id": gid(other)}),
        (
            "mutation($id: ID!) { "
            'resetPassword(userId: $id, newPassword: "another long pw") { id } }',
            {"id": gid(other)},
        ),
        (RESET_MFA, {"userId": gid(other)}),
        (REGENERATE, {}),
        (DISABLE_TOTP, {}),
        (UPDATE_USER, {"id": gid(other), "input": {"roles": ["READ_ONLY"]}}),
        (UPDATE_USER, {"id": gid(other), "input": {"status": "INACTIVE"}}),
        (CREATE_API_KEY, {"input": {"name": "admin", "scopes": ["ADMIN"]}}),
    ]
    with time_machine.travel(utcnow() + LATER, tick=True):
        results = [
            await gql.execute(doc, variables, token=enrolled.token) for doc, variables in documents
        ]
    for (document, _), result in zip(documents, results, strict=True):
        assert reason(result.errors) == ["STEP_UP_REQUIRED"], document


async def test_harmless_changes_need_no_step_up(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    other = await make_user(roles=(Role.ADMIN,))
    with time_machine.travel(utcnow() + LATER, tick=True):
        renamed = await gql.execute(
            UPDATE_USER,
            {"id": gid(other), "input": {"displayName": "Renamed"}},
            token=enrolled.token,
        )
        same_roles = await gql.execute(
            UPDATE_USER, {"id": gid(other), "input": {"roles": ["ADMIN"]}}, token=enrolled.token
        )
        read_key = await gql.execute(
            CREATE_API_KEY, {"input": {"name": "r", "scopes": ["READ"]}}, token=enrolled.token
        )
    assert renamed.ok, renamed.body
    assert same_roles.ok, same_roles.body
    assert read_key.ok, read_key.body


async def test_admin_keys_roll_and_update_need_step_up(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    created = await gql.execute(
        CREATE_API_KEY, {"input": {"name": "admin", "scopes": ["ADMIN"]}}, token=enrolled.token
    )
    key_id = created.data["createApiKey"]["apiKey"]["id"]
    with time_machine.travel(utcnow() + LATER, tick=True):
        rolled = await gql.execute(
            "mutation($id: ID!) { rollKey(id: $id) { secret } }",
            {"id": key_id},
            token=enrolled.token,
        )
        updated = await gql.execute(
            'mutation($id: ID!) { updateApiKey(id: $id, input: {name: "n"}) { id } }',
            {"id": key_id},
            token=enrolled.token,
        )
    assert reason(rolled.errors) == ["STEP_UP_REQUIRED"]
    assert reason(updated.errors) == ["STEP_UP_REQUIRED"]
    assert rolled.data is None or rolled.data.get("rollKey") is None


async def test_a_user_without_a_factor_is_not_asked(gql: GraphQLClient) -> None:
    _, token = await gql.user_with_token(Role.SUPER_ADMIN)
    with time_machine.travel(utcnow() + LATER, tick=True):
        assert (await gql.execute(CREATE_USER, _new_user(6), token=token)).ok


async def test_api_keys_are_not_asked(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    _, secret = await make_api_key(enrolled.user, scopes=(Scope.ADMIN,))
    with time_machine.travel(utcnow() + LATER, tick=True):
        assert (await gql.execute(CREATE_USER, _new_user(7), token=secret)).ok


async def test_a_refused_role_hears_forbidden_without_step_up(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql, Role.ADMIN)
    with time_machine.travel(utcnow() + LATER, tick=True):
        refused = await gql.execute(CREATE_USER, _new_user(8), token=enrolled.token)
    assert refused.codes == ["FORBIDDEN"]
    assert reason(refused.errors) == [None]
