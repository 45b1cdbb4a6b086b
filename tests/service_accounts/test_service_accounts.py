"""A super-admin creates, reads, changes and deletes service accounts; each change is
audited, names are unique in any letter case, and the list pages like `users`."""

from __future__ import annotations

from models import AuditEvent, Role, ServiceAccount, User
from tests.service_accounts.documents import (
    ACCOUNT,
    ACCOUNT_NODE,
    ACCOUNTS,
    CREATE_ACCOUNT,
    DELETE_ACCOUNT,
    UPDATE_ACCOUNT,
)
from tests.support.factories import gid, make_service_account, pk
from tests.support.graphql import GraphQLClient


async def test_super_admin_creates_a_service_account(gql: GraphQLClient, super_admin: User) -> None:
    token = await gql.login(super_admin)

    result = await gql.execute(
        CREATE_ACCOUNT,
        {"input": {"name": "deploy bot", "description": "CI", "roles": ["ADMIN"]}},
        token=token,
    )

    assert result.ok, result.body
    account = result.data["createServiceAccount"]
    assert account["name"] == "deploy bot"
    assert account["description"] == "CI"
    assert account["roles"] == ["ADMIN"]
    assert account["status"] == "ACTIVE"
    assert account["createdBy"] == {"email": super_admin.email}
    row = await ServiceAccount.get(id=pk(account["id"]))
    assert (row.name, row.roles, row.created_by_id) == ("deploy bot", [Role.ADMIN], super_admin.id)
    event = await AuditEvent.get(action="service_account.create")
    assert (event.outcome, event.target_type, event.target_id) == ("OK", "service_account", row.id)
    assert event.details == {"name": "deploy bot", "roles": ["ADMIN"]}


async def test_a_name_taken_in_any_letter_case_is_a_conflict(
    gql: GraphQLClient, super_admin: User
) -> None:
    await make_service_account(super_admin, name="Deploy Bot")
    token = await gql.login(super_admin)

    result = await gql.execute(
        CREATE_ACCOUNT, {"input": {"name": "deploy bot", "roles": ["READ_ONLY"]}}, token=token
    )

    assert result.codes == ["CONFLICT"]
    assert await ServiceAccount.all().count() == 1


async def test_renaming_onto_a_taken_name_is_a_conflict(
    gql: GraphQLClient, super_admin: User
) -> None:
    await make_service_account(super_admin, name="first")
    second = await make_service_account(super_admin, name="second")
    token = await gql.login(super_admin)

    result = await gql.execute(
        UPDATE_ACCOUNT, {"id": gid(second), "input": {"name": "FIRST"}}, token=token
    )

    assert result.codes == ["CONFLICT"]
    assert (await ServiceAccount.get(id=second.id)).name == "second"


async def test_bad_names_and_empty_roles_are_bad_input(
    gql: GraphQLClient, super_admin: User
) -> None:
    token = await gql.login(super_admin)
    bad_inputs = [
        {"name": "", "roles": ["ADMIN"]},
        {"name": "x" * 101, "roles": ["ADMIN"]},
        {"name": "bidi\u202ename", "roles": ["ADMIN"]},
        {"name": "no roles", "roles": []},
        {"name": "long description", "roles": ["ADMIN"], "description": "x" * 1001},
    ]

    codes = [
        (await gql.execute(CREATE_ACCOUNT, {"input": given}, token=token)).codes
        for given in bad_inputs
    ]

    assert codes == [["BAD_USER_INPUT"]] * len(bad_inputs)
    assert await ServiceAccount.all().count() == 0


async def test_super_admin_changes_name_description_roles_and_status(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin, roles=(Role.READ_ONLY,), description="old")
    token = await gql.login(super_admin)

    result = await gql.execute(
        UPDATE_ACCOUNT,
        {
            "id": gid(account),
            "input": {
                "name": "renamed",
                "description": None,
                "roles": ["ADMIN"],
                "status": "INACTIVE",
            },
        },
        token=token,
    )

    assert result.ok, result.body
    changed = result.data["updateServiceAccount"]
    assert (changed["name"], changed["description"], changed["roles"], changed["status"]) == (
        "renamed",
        None,
        ["ADMIN"],
        "INACTIVE",
    )
    event = await AuditEvent.get(action="service_account.update", outcome="OK")
    assert event.details == {
        "changed": {
            "name": {"from": account.name, "to": "renamed"},
            "description": {"from": "old", "to": None},
            "roles": {"from": ["READ_ONLY"], "to": ["ADMIN"]},
            "status": {"from": "ACTIVE", "to": "INACTIVE"},
        }
    }


async def test_an_update_that_changes_nothing_leaves_no_event(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin, name="same")
    token = await gql.login(super_admin)

    result = await gql.execute(
        UPDATE_ACCOUNT, {"id": gid(account), "input": {"name": "same"}}, token=token
    )

    assert result.ok, result.body
    assert not await AuditEvent.filter(action="service_account.update").exists()


async def test_null_name_roles_or_status_is_bad_input(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin)
    token = await gql.login(super_admin)

    codes = [
        (
            await gql.execute(
                UPDATE_ACCOUNT, {"id": gid(account), "input": {field: None}}, token=token
            )
        ).codes
        for field in ("name", "roles", "status")
    ]

    assert codes == [["BAD_USER_INPUT"]] * 3


async def test_super_admin_deletes_a_service_account(gql: GraphQLClient, super_admin: User) -> None:
    account = await make_service_account(super_admin)
    token = await gql.login(super_admin)

    result = await gql.execute(DELETE_ACCOUNT, {"id": gid(account)}, token=token)

    assert result.data == {"deleteServiceAccount": True}
    assert not await ServiceAccount.filter(id=account.id).exists()
    event = await AuditEvent.get(action="service_account.delete")
    assert (event.outcome, event.target_id) == ("OK", account.id)
    assert event.details == {"name": account.name, "revokedKeys": 0}


async def test_unknown_and_malformed_ids_are_not_found(
    gql: GraphQLClient, super_admin: User
) -> None:
    token = await gql.login(super_admin)
    ids = [gid(super_admin), "not an id", "U2VydmljZUFjY291bnQ6OTk5OQ=="]  # the last: #9999

    codes = [
        (await gql.execute(DELETE_ACCOUNT, {"id": each}, token=token)).codes for each in ids
    ] + [
        (await gql.execute(UPDATE_ACCOUNT, {"id": each, "input": {}}, token=token)).codes
        for each in ids
    ]

    assert codes == [["NOT_FOUND"]] * 6


async def test_accounts_are_read_by_id_and_as_nodes(gql: GraphQLClient, super_admin: User) -> None:
    account = await make_service_account(super_admin, roles=(Role.ADMIN, Role.READ_ONLY))
    token = await gql.login(super_admin)

    one = await gql.execute(ACCOUNT, {"id": gid(account)}, token=token)
    node = await gql.execute(ACCOUNT_NODE, {"id": gid(account)}, token=token)
    missing = await gql.execute(ACCOUNT, {"id": gid(super_admin)}, token=token)

    assert one.data["serviceAccount"] == {
        "id": gid(account),
        "name": account.name,
        "roles": ["ADMIN", "READ_ONLY"],
        "status": "ACTIVE",
    }
    assert node.data["node"] == {"id": gid(account), "name": account.name}
    assert missing.data == {"serviceAccount": None}


async def test_accounts_page_forward_and_backward(gql: GraphQLClient, super_admin: User) -> None:
    accounts = [await make_service_account(super_admin, name=f"bot {n}") for n in range(5)]
    names = [account.name for account in accounts]
    token = await gql.login(super_admin)

    first = (await gql.execute(ACCOUNTS, {"first": 2}, token=token)).data["serviceAccounts"]
    after = first["pageInfo"]["endCursor"]
    second = (await gql.execute(ACCOUNTS, {"first": 2, "after": after}, token=token)).data
    last = (await gql.execute(ACCOUNTS, {"last": 2}, token=token)).data["serviceAccounts"]
    before = last["pageInfo"]["startCursor"]
    earlier = (await gql.execute(ACCOUNTS, {"last": 3, "before": before}, token=token)).data

    assert first["totalCount"] == 5
    assert [node["name"] for node in first["nodes"]] == names[:2]
    assert first["pageInfo"]["hasNextPage"] is True
    assert [node["name"] for node in second["serviceAccounts"]["nodes"]] == names[2:4]
    assert [node["name"] for node in last["nodes"]] == names[3:]
    assert last["pageInfo"]["hasPreviousPage"] is True
    assert [node["name"] for node in earlier["serviceAccounts"]["nodes"]] == names[:3]
    assert earlier["serviceAccounts"]["pageInfo"]["hasPreviousPage"] is False


async def test_a_page_larger_than_100_or_a_foreign_cursor_is_bad_input(
    gql: GraphQLClient, super_admin: User
) -> None:
    token = await gql.login(super_admin)
    users_cursor = "VXNlcjox"  # a `users` cursor ("User:1")

    too_many = await gql.execute(ACCOUNTS, {"first": 101}, token=token)
    foreign = await gql.execute(ACCOUNTS, {"after": users_cursor}, token=token)

    assert too_many.codes == ["BAD_USER_INPUT"]
    assert foreign.codes == ["BAD_USER_INPUT"]


async def test_an_admin_reads_accounts_as_they_read_users(
    gql: GraphQLClient, super_admin: User
) -> None:
    account = await make_service_account(super_admin)
    _, token = await gql.user_with_token(Role.ADMIN)

    listed = await gql.execute(ACCOUNTS, {}, token=token)

    assert listed.ok, listed.body
    assert listed.data["serviceAccounts"]["nodes"] == [{"id": gid(account), "name": account.name}]
