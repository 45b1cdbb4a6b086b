"""Sessions restricted until they are trusted, enforced by the server on every document:
queries and mutations, GET and POST, aliases, fragments and several root fields. API keys
are never restricted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from models import Role, Scope
from tests.support.documents import CHANGE_PASSWORD, CREATE_USER, LOGOUT, ME_EMAIL, RESET_PASSWORD
from tests.support.factories import PASSWORD, gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient
from tests.support.limiter import app_client
from tests.support.mfa import (
    BEGIN_TOTP,
    MY_METHODS,
    VERIFY_TOTP,
    Authenticator,
    enrol,
    enrolled_user,
    reason,
    sign_in,
)

USERS = "{ users { totalCount } }"
# Each tries to reach what an MFA_REQUIRED session may not: by alias, fragment, inline
# fragment, a second root field, a second operation.
FORBIDDEN_DOCUMENTS = [
    "{ me { id } }",
    "{ users { totalCount } }",
    "query { logout: users { totalCount } }",
    "query { verifyMfa: me { id } }",
    "query { ...F } fragment F on Query { users { totalCount } }",
    "query { ... on Query { apiKeys { totalCount } } }",
    "query { __typename me { id } }",
    'mutation { logout createApiKey(input: {name: "x", scopes: [READ]}) { secret } }',
    'mutation { logout: createApiKey(input: {name: "x", scopes: [READ]}) { secret } }',
    "mutation { ...M } fragment M on Mutation { logout }  query Q { me { id } }",
    "query { ...Missing }",
]


async def _restricted_session(gql: GraphQLClient) -> tuple[str, Authenticator]:
    enrolled = await enrolled_user(gql)
    payload = await sign_in(gql, enrolled.user)
    assert payload["restriction"] == "MFA_REQUIRED"
    return str(payload["token"]), enrolled.app


async def _post(client: httpx.AsyncClient, token: str, query: str, **extra: Any) -> Any:
    response = await client.post(
        "/graphql",
        json={"query": query, **extra},
        headers={"Authorization": f"Bearer {token}"},
    )
    return response.json()


@pytest.mark.parametrize("document", FORBIDDEN_DOCUMENTS)
async def test_an_mfa_required_session_may_send_nothing_else(
    client: httpx.AsyncClient, document: str
) -> None:
    token, _ = await _restricted_session(GraphQLClient(client))
    body = await _post(client, token, document)
    assert "data" not in body or body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == ["UNAUTHENTICATED"]
    assert [e["extensions"]["reason"] for e in body["errors"]] == ["MFA_REQUIRED"]


async def test_an_mfa_required_session_is_refused_over_get_too(client: httpx.AsyncClient) -> None:
    token, _ = await _restricted_session(GraphQLClient(client))
    response = await client.get(
        "/graphql", params={"query": USERS}, headers={"Authorization": f"Bearer {token}"}
    )
    body = response.json()
    assert body["errors"][0]["extensions"]["reason"] == "MFA_REQUIRED"
    assert "data" not in body or body["data"] is None


async def test_an_mfa_required_session_may_verify_log_out_and_ask_its_typename(
    client: httpx.AsyncClient,
) -> None:
    gql = GraphQLClient(client)
    token, app = await _restricted_session(gql)
    assert (await gql.execute("{ __typename }", token=token)).data == {"__typename": "Query"}
    # The operation that runs is the one checked: another in the document is not run.
    chosen = await _post(
        client, token, "query A { me { id } } query B { __typename }", operationName="B"
    )
    assert chosen == {"data": {"__typename": "Query"}}
    refused = await _post(
        client, token, "query A { me { id } } query B { __typename }", operationName="A"
    )
    assert refused["errors"][0]["extensions"]["reason"] == "MFA_REQUIRED"
    assert (await gql.execute(VERIFY_TOTP, {"code": app.next_code()}, token=token)).ok
    assert (await gql.execute(USERS, token=token)).ok
    assert (await gql.execute(LOGOUT, token=token)).data == {"logout": True}


async def test_logout_works_on_a_restricted_session(gql: GraphQLClient) -> None:
    token, _ = await _restricted_session(gql)
    assert (await gql.execute(LOGOUT, token=token)).data == {"logout": True}
    assert (await gql.execute(ME_EMAIL, token=token)).codes == ["UNAUTHENTICATED"]


async def test_introspection_is_as_open_as_for_a_caller_without_a_credential(
    gql: GraphQLClient,
) -> None:
    token, _ = await _restricted_session(gql)
    result = await gql.execute("{ __schema { queryType { name } } }", token=token)
    assert result.data == {"__schema": {"queryType": {"name": "Query"}}}


async def test_api_keys_of_a_user_with_a_factor_are_not_restricted(gql: GraphQLClient) -> None:
    enrolled = await enrolled_user(gql)
    _, secret = await make_api_key(enrolled.user)
    assert (await gql.execute(USERS, token=secret)).ok


# MFA_ENROLLMENT_REQUIRED


async def test_a_required_role_without_a_factor_may_only_enrol(db: None) -> None:
    user = await make_user(roles=(Role.SUPER_ADMIN,))
    async with app_client(mfa_required_roles=(Role.SUPER_ADMIN, Role.ADMIN)) as client:
        gql = GraphQLClient(client)
        payload = await sign_in(gql, user)
        token = str(payload["token"])
        me = await gql.execute(MY_METHODS, token=token)
        refused = [
            await gql.execute(document, token=token)
            for document in (USERS, "query { me: users { totalCount } }", CHANGE_PASSWORD)
        ]
        over_get = (
            await client.get(
                "/graphql", params={"query": USERS}, headers={"Authorization": f"Bearer {token}"}
            )
        ).json()
        await enrol(gql, token)
        after = await gql.execute(USERS, token=token)

    assert payload["restriction"] == "MFA_ENROLLMENT_REQUIRED"
    assert me.data == {"me": {"mfaMethods": [], "mustChangePassword": False}}
    for result in refused:
        assert result.codes == ["FORBIDDEN"]
        assert reason(result.errors) == ["MFA_ENROLLMENT_REQUIRED"]
    assert over_get["errors"][0]["extensions"]["reason"] == "MFA_ENROLLMENT_REQUIRED"
    assert after.ok, after.body


async def test_roles_outside_the_setting_are_not_asked_to_enrol(db: None) -> None:
    user = await make_user(roles=(Role.READ_ONLY,))
    async with app_client(mfa_required_roles=(Role.SUPER_ADMIN,)) as client:
        payload = await sign_in(GraphQLClient(client), user)
    assert payload["restriction"] is None


async def test_a_session_opened_before_the_role_was_granted_is_restricted_too(
    db: None,
) -> None:
    user = await make_user(roles=(Role.READ_ONLY,))
    async with app_client(mfa_required_roles=(Role.ADMIN,)) as client:
        gql = GraphQLClient(client)
        token = await gql.login(user)
        assert (await gql.execute("{ apiKeys { totalCount } }", token=token)).ok
        user.roles_encoded = ",ADMIN,"
        await user.save(update_fields=["roles_encoded"])
        refused = await gql.execute("{ apiKeys { totalCount } }", token=token)
    assert reason(refused.errors) == ["MFA_ENROLLMENT_REQUIRED"]


async def test_keys_of_a_user_who_must_enrol_still_work(db: None) -> None:
    user = await make_user(roles=(Role.SUPER_ADMIN,))
    _, secret = await make_api_key(user, scopes=(Scope.READ,))
    async with app_client(mfa_required_roles=(Role.SUPER_ADMIN,)) as client:
        result = await GraphQLClient(client).execute(USERS, token=secret)
    assert result.ok


# PASSWORD_CHANGE_REQUIRED

NEW_PASSWORD = "a brand new long password"


async def test_a_temporary_password_from_create_user_must_be_changed_first(
    gql: GraphQLClient, super_admin: Any
) -> None:
    admin_token = await gql.login(super_admin)
    created = await gql.execute(
        CREATE_USER,
        {
            "input": {
                "email": "temp@example.com",
                "displayName": "Temp",
                "password": PASSWORD,
                "roles": ["ADMIN"],
                "mustChangePassword": True,
            }
        },
        token=admin_token,
    )
    assert created.ok, created.body
    login = await gql.execute(
        "mutation($p: String!) { "
        'login(email: "temp@example.com", password: $p) { token restriction } }',
        {"p": PASSWORD},
    )
    token = login.data["login"]["token"]
    assert login.data["login"]["restriction"] == "PASSWORD_CHANGE_REQUIRED"
    me = await gql.execute(MY_METHODS, token=token)
    assert me.data["me"]["mustChangePassword"] is True
    refused = await gql.execute("{ apiKeys { totalCount } }", token=token)
    assert refused.codes == ["FORBIDDEN"]
    assert reason(refused.errors) == ["PASSWORD_CHANGE_REQUIRED"]
    assert reason((await gql.execute(BEGIN_TOTP, token=token)).errors) == [
        "PASSWORD_CHANGE_REQUIRED"
    ]

    changed = await gql.execute(
        CHANGE_PASSWORD, {"current": PASSWORD, "new": NEW_PASSWORD}, token=token
    )
    assert changed.ok, changed.body
    assert (await gql.execute("{ apiKeys { totalCount } }", token=token)).ok
    assert (await gql.execute(MY_METHODS, token=token)).data["me"]["mustChangePassword"] is False


async def test_reset_password_temporary_restricts_the_next_sign_in(
    gql: GraphQLClient, super_admin: Any
) -> None:
    admin_token = await gql.login(super_admin)
    user = await make_user(roles=(Role.ADMIN,))
    reset = await gql.execute(
        "mutation($id: ID!, $p: String!) { resetPassword(userId: $id, newPassword: $p, "
        "temporary: true) { mustChangePassword } }",
        {"id": gid(user), "p": NEW_PASSWORD},
        token=admin_token,
    )
    assert reset.data == {"resetPassword": {"mustChangePassword": True}}
    payload = await sign_in(gql, user, NEW_PASSWORD)
    assert payload["restriction"] == "PASSWORD_CHANGE_REQUIRED"

    plain = await gql.execute(
        RESET_PASSWORD, {"userId": gid(user), "newPassword": PASSWORD}, token=admin_token
    )
    assert plain.ok
    assert (await sign_in(gql, user))["restriction"] is None


async def test_the_second_factor_comes_before_the_password_change(
    gql: GraphQLClient, super_admin: Any
) -> None:
    enrolled = await enrolled_user(gql, Role.ADMIN)
    enrolled.user.must_change_password = True
    await enrolled.user.save(update_fields=["must_change_password"])
    payload = await sign_in(gql, enrolled.user)
    assert payload["restriction"] == "MFA_REQUIRED"
    token = str(payload["token"])
    verified = await gql.execute(VERIFY_TOTP, {"code": enrolled.app.next_code()}, token=token)
    assert verified.data["verifyMfa"]["restriction"] == "PASSWORD_CHANGE_REQUIRED"
    assert reason((await gql.execute(USERS, token=token)).errors) == ["PASSWORD_CHANGE_REQUIRED"]


async def test_removing_the_last_factor_of_a_required_role_restricts_to_enrolment(
    db: None,
) -> None:
    async with app_client(mfa_required_roles=(Role.SUPER_ADMIN,)) as client:
        gql = GraphQLClient(client)
        user = await make_user(roles=(Role.SUPER_ADMIN,))
        token = str((await sign_in(gql, user))["token"])
        await enrol(gql, token)
        assert (await gql.execute(USERS, token=token)).ok
        assert (await gql.execute("mutation { disableTotp }", token=token)).ok
        refused = await gql.execute(USERS, token=token)
    assert reason(refused.errors) == ["MFA_ENROLLMENT_REQUIRED"]
