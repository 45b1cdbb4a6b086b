"""A key made for a service account acts as the account (its roles, narrowed by the key's
scopes), outlives the user who made it, stops while the account is inactive and is revoked
with the account."""

from __future__ import annotations

from models import ApiKey, AuditEvent, KeyOwnerType, Role, Scope, ServiceAccount, User, UserStatus
from tests.service_accounts.documents import (
    ACCOUNT_KEYS,
    CREATE_KEY,
    CURRENT_KEY_OWNER,
    DELETE_ACCOUNT,
    KEY_OWNER,
    KEYS_COUNT,
    UPDATE_ACCOUNT,
    USERS_COUNT,
)
from tests.support.documents import DELETE_USER, LOGIN, ME_ID
from tests.support.factories import gid, make_api_key, make_service_account, make_user
from tests.support.graphql import GraphQLClient

READ_WRITE = (Scope.READ, Scope.WRITE)


def _new_key(
    name: str, scopes: list[str], account: ServiceAccount | None = None
) -> dict[str, object]:
    given: dict[str, object] = {"name": name, "scopes": scopes}
    if account is not None:
        given["serviceAccountId"] = gid(account)
    return {"input": given}


async def test_a_super_admin_makes_a_key_for_an_account(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin, roles=(Role.ADMIN,), name="deployer")
    token = await gql.login(super_admin)

    result = await gql.execute(CREATE_KEY, _new_key("deploy", ["READ"], account), token=token)

    assert result.ok, result.body
    created = result.data["createApiKey"]
    assert created["secret"].startswith("gk_")
    assert created["apiKey"]["owner"] == {
        "__typename": "ServiceAccount",
        "id": gid(account),
        "name": "deployer",
    }
    assert created["apiKey"]["createdBy"] == {"email": super_admin.email}
    row = await ApiKey.get(name="deploy")
    assert (row.owner_type, row.service_account_id, row.created_by_id) == (
        KeyOwnerType.SERVICE_ACCOUNT,
        account.id,
        super_admin.id,
    )
    event = await AuditEvent.get(action="api_key.create", outcome="OK")
    assert event.details is not None
    assert event.details["serviceAccountId"] == account.id


async def test_a_key_acts_with_the_accounts_roles_narrowed_by_its_scopes(
    gql: GraphQLClient, super_admin: User
) -> None:
    reader = await make_service_account(super_admin, roles=(Role.READ_ONLY,))
    _, secret = await make_api_key(super_admin, scopes=READ_WRITE, service_account=reader)

    keys = await gql.execute(KEYS_COUNT, token=secret)
    users = await gql.execute(USERS_COUNT, token=secret)
    create = await gql.execute(CREATE_KEY, _new_key("more", ["READ"]), token=secret)

    assert keys.ok, keys.body
    assert users.codes == ["FORBIDDEN"]  # READ_ONLY reads no users, whatever the scope
    assert create.codes == ["FORBIDDEN"]  # nor makes keys, though the key holds WRITE
    assert await ApiKey.all().count() == 1


async def test_an_admin_accounts_key_makes_keys_for_its_own_account(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin, roles=(Role.ADMIN,), name="minter")
    _, secret = await make_api_key(super_admin, scopes=READ_WRITE, service_account=account)

    users = await gql.execute(USERS_COUNT, token=secret)
    made = await gql.execute(CREATE_KEY, _new_key("child", ["READ"]), token=secret)
    too_strong = await gql.execute(CREATE_KEY, _new_key("admin child", ["ADMIN"]), token=secret)

    assert users.ok, users.body
    assert made.ok, made.body
    assert made.data["createApiKey"]["apiKey"]["owner"]["name"] == "minter"
    assert made.data["createApiKey"]["apiKey"]["createdBy"] is None  # no person made it
    assert too_strong.errors[0]["extensions"]["reason"] == "KEY_SCOPE_EXCEEDED"
    child = await ApiKey.get(name="child")
    assert (child.service_account_id, child.created_by_id) == (account.id, None)


async def test_an_accounts_key_makes_no_key_for_another_account(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin, roles=(Role.ADMIN,))
    other = await make_service_account(super_admin, roles=(Role.SUPER_ADMIN,))
    _, secret = await make_api_key(super_admin, scopes=READ_WRITE, service_account=account)

    result = await gql.execute(CREATE_KEY, _new_key("theirs", ["READ"], other), token=secret)

    assert result.codes == ["FORBIDDEN"]
    assert result.errors[0]["extensions"]["reason"] == "SUPER_ADMIN_REQUIRED"
    assert not await ApiKey.filter(service_account_id=other.id).exists()


async def test_the_key_outlives_the_user_who_made_it(gql: GraphQLClient, super_admin: User) -> None:
    creator = await make_user(roles=(Role.SUPER_ADMIN,))
    account = await make_service_account(creator, roles=(Role.ADMIN,), name="survivor")
    account_key, account_secret = await make_api_key(
        creator, scopes=(Scope.READ,), service_account=account
    )
    own_key, own_secret = await make_api_key(creator, scopes=(Scope.READ,))

    deleted = await gql.execute(
        DELETE_USER, {"id": gid(creator)}, token=await gql.login(super_admin)
    )
    works = await gql.execute(KEY_OWNER, {"id": gid(account_key)}, token=account_secret)
    refused = await gql.execute(KEYS_COUNT, token=own_secret)

    assert deleted.ok, deleted.body
    assert works.data["apiKey"] == {
        "status": "ACTIVE",
        "createdBy": None,
        "owner": {"__typename": "ServiceAccount", "name": "survivor"},
    }
    assert refused.codes == ["UNAUTHENTICATED"]  # the user's own key went with them
    assert (await ApiKey.get(id=own_key.id)).revoked_at is not None
    assert (await ApiKey.get(id=account_key.id)).revoked_at is None
    event = await AuditEvent.get(action="user.delete", outcome="OK")
    assert event.details is not None
    assert event.details["revokedKeys"] == 1
    assert (await ServiceAccount.get(id=account.id)).created_by_id is None


async def test_an_inactive_accounts_keys_stop_until_it_is_active_again(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin, roles=(Role.ADMIN,))
    _, secret = await make_api_key(super_admin, service_account=account)
    token = await gql.login(super_admin)

    await gql.execute(
        UPDATE_ACCOUNT, {"id": gid(account), "input": {"status": "INACTIVE"}}, token=token
    )
    while_inactive = await gql.execute(KEYS_COUNT, token=secret)
    await gql.execute(
        UPDATE_ACCOUNT, {"id": gid(account), "input": {"status": "ACTIVE"}}, token=token
    )
    once_active = await gql.execute(KEYS_COUNT, token=secret)

    assert while_inactive.codes == ["UNAUTHENTICATED"]
    assert once_active.ok, once_active.body


async def test_new_roles_apply_from_the_keys_next_request(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin, roles=(Role.READ_ONLY,))
    _, secret = await make_api_key(super_admin, service_account=account)
    token = await gql.login(super_admin)

    before = await gql.execute(USERS_COUNT, token=secret)
    await gql.execute(
        UPDATE_ACCOUNT, {"id": gid(account), "input": {"roles": ["ADMIN"]}}, token=token
    )
    after = await gql.execute(USERS_COUNT, token=secret)

    assert before.codes == ["FORBIDDEN"]
    assert after.ok, after.body


async def test_deleting_the_account_revokes_its_keys(gql: GraphQLClient, super_admin: User) -> None:
    account = await make_service_account(super_admin, roles=(Role.ADMIN,))
    account_key, secret = await make_api_key(super_admin, service_account=account)
    _, bystander_secret = await make_api_key(super_admin)
    token = await gql.login(super_admin)

    deleted = await gql.execute(DELETE_ACCOUNT, {"id": gid(account)}, token=token)
    refused = await gql.execute(KEYS_COUNT, token=secret)
    listed = await gql.execute(KEY_OWNER, {"id": gid(account_key)}, token=token)
    bystander = await gql.execute(KEYS_COUNT, token=bystander_secret)

    assert deleted.data == {"deleteServiceAccount": True}
    assert refused.codes == ["UNAUTHENTICATED"]
    # Kept, revoked, and never passing for its creator's key.
    assert listed.data["apiKey"] == {
        "status": "REVOKED",
        "createdBy": {"email": super_admin.email},
        "owner": None,
    }
    assert bystander.ok
    row = await ApiKey.get(id=account_key.id)
    assert (row.owner_type, row.service_account_id) == (KeyOwnerType.SERVICE_ACCOUNT, None)
    event = await AuditEvent.get(action="service_account.delete")
    assert event.details == {"name": account.name, "revokedKeys": 1}


async def test_an_accounts_key_has_no_me_but_knows_its_owner(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin, roles=(Role.ADMIN,), name="watcher")
    api_key, secret = await make_api_key(super_admin, service_account=account)

    me = await gql.execute(ME_ID, token=secret)
    current = await gql.execute(CURRENT_KEY_OWNER, token=secret)

    assert me.codes == ["FORBIDDEN"]
    assert me.errors[0]["extensions"]["reason"] == "SERVICE_ACCOUNT_KEY"
    assert current.data["currentApiKey"] == {
        "id": gid(api_key),
        "owner": {
            "__typename": "ServiceAccount",
            "id": gid(account),
            "name": "watcher",
            "roles": ["ADMIN"],
        },
    }


async def test_an_accounts_key_is_audited_as_the_account(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin, roles=(Role.READ_ONLY,))
    api_key, secret = await make_api_key(super_admin, scopes=READ_WRITE, service_account=account)

    await gql.execute(CREATE_KEY, _new_key("refused", ["READ"]), token=secret)

    event = await AuditEvent.get(action="api_key.create", outcome="FORBIDDEN")
    assert (event.actor_type, event.actor_id) == ("api_key", api_key.id)
    assert event.details == {"keyServiceAccountId": account.id}


async def test_a_service_account_cannot_sign_in(gql: GraphQLClient, super_admin: User) -> None:
    account = await make_service_account(super_admin, name="robot@example.com")

    result = await gql.execute(LOGIN, {"email": account.name, "password": "x" * 20})

    assert result.codes == ["UNAUTHENTICATED"]


async def test_an_account_lists_its_own_keys(gql: GraphQLClient, super_admin: User) -> None:
    account = await make_service_account(super_admin)
    other = await make_service_account(super_admin)
    for number in range(3):
        await make_api_key(super_admin, name=f"mine {number}", service_account=account)
    await make_api_key(super_admin, name="theirs", service_account=other)
    await make_api_key(super_admin, name="a user's")
    token = await gql.login(super_admin)

    first = await gql.execute(ACCOUNT_KEYS, {"id": gid(account), "first": 2}, token=token)
    page = first.data["serviceAccount"]["apiKeys"]
    rest = await gql.execute(
        ACCOUNT_KEYS,
        {"id": gid(account), "first": 2, "after": page["pageInfo"]["endCursor"]},
        token=token,
    )

    assert page["totalCount"] == 3
    assert [node["name"] for node in page["nodes"]] == ["mine 2", "mine 1"]
    assert page["pageInfo"]["hasNextPage"] is True
    rest_page = rest.data["serviceAccount"]["apiKeys"]
    assert [node["name"] for node in rest_page["nodes"]] == ["mine 0"]
    assert rest_page["pageInfo"]["hasNextPage"] is False


async def test_the_key_goes_on_while_its_maker_is_deactivated(
    gql: GraphQLClient, super_admin: User
) -> None:
    maker = await make_user(roles=(Role.SUPER_ADMIN,))
    account = await make_service_account(maker, roles=(Role.ADMIN,))
    _, account_secret = await make_api_key(maker, service_account=account)
    _, own_secret = await make_api_key(maker)
    maker.status = UserStatus.INACTIVE
    await maker.save(update_fields=["status"])

    account_key = await gql.execute(KEYS_COUNT, token=account_secret)
    own_key = await gql.execute(KEYS_COUNT, token=own_secret)

    assert account_key.ok, account_key.body
    assert own_key.codes == ["UNAUTHENTICATED"]
