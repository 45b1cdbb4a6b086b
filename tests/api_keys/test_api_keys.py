"""API keys through the GraphQL API: who may manage them, the once-only secret, its format,
revocation, expiry, what the owner's fate does to a key, and how keys are listed."""

from __future__ import annotations

import base64
import hashlib
import json
import math
import re
import zlib
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from httpx import AsyncClient
from tortoise.connection import get_connection

from auth.tokens import generate_api_key
from models import ApiKey, ApiKeyUsageDay, Role, Scope, User, UserStatus
from tests.support.documents import (
    DELETE_API_KEY,
    DELETE_USER,
    KEY_METRICS,
    ME_ID_EMAIL,
    UPDATE_USER,
)
from tests.support.factories import gid, make_api_key, make_user, pk
from tests.support.graphql import error_codes, graphql, login, token_for

START = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)
BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
KEY_FORMAT = re.compile(r"gk_[0-9A-Za-z]{49}")

API_KEYS = """
query ApiKeys($first: Int, $after: String, $filter: ApiKeyFilter) {
  apiKeys(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id name status createdAt } }
    nodes { id name status }
    pageInfo { hasNextPage endCursor }
  }
}
"""
API_KEY = """
query ApiKey($id: ID!) {
  apiKey(id: $id) {
    id name description maskedKey scopes lastUsedAt expiresAt status createdAt revokedAt
    totalCalls createdBy { id email } usage(days: 7) { date calls }
  }
}
"""
# `createdBy` has a permission of its own (tests/users/test_privacy.py); the table leaves it out.
API_KEY_WITHOUT_CREATOR = """
query ApiKey($id: ID!) { apiKey(id: $id) { id name maskedKey status usage(days: 7) { calls } } }
"""
CREATE_API_KEY = """
mutation CreateApiKey($input: CreateApiKeyInput!) {
  createApiKey(input: $input) {
    secret
    apiKey { id name description maskedKey scopes status expiresAt createdBy { email } }
  }
}
"""
REVOKE_KEY = "mutation RevokeKey($id: ID!) { revokeKey(id: $id) { id status revokedAt } }"


def key_header(secret: str) -> dict[str, str]:
    return {"X-API-Key": secret}


def new_key_input(**overrides: Any) -> dict[str, Any]:
    return {"input": {"name": "deploy bot", "scopes": ["READ"], **overrides}}


def at(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


async def stored_key(api_key: ApiKey) -> ApiKey:
    return await ApiKey.get(id=api_key.id)


# --- who may manage keys: the contract's permission table, by session ----------------------

SA, ADMIN, RO = Role.SUPER_ADMIN, Role.ADMIN, Role.READ_ONLY
ROLES_ALLOWED = {
    "apiKeys": {SA, ADMIN, RO},
    "apiKey": {SA, ADMIN, RO},
    "keyMetrics": {SA, ADMIN, RO},
    "createApiKey": {SA, ADMIN},
    "revokeKey": {SA, ADMIN},
    "deleteApiKey": {SA},
}
MUTATIONS = {"createApiKey", "revokeKey", "deleteApiKey"}
DOCUMENTS: dict[str, tuple[str, Callable[[ApiKey], dict[str, Any]]]] = {
    "apiKeys": (API_KEYS, lambda key: {}),
    "apiKey": (API_KEY_WITHOUT_CREATOR, lambda key: {"id": gid(key)}),
    "keyMetrics": (KEY_METRICS, lambda key: {}),
    "createApiKey": (CREATE_API_KEY, lambda key: new_key_input(name="made in the table test")),
    "revokeKey": (REVOKE_KEY, lambda key: {"id": gid(key)}),
    "deleteApiKey": (DELETE_API_KEY, lambda key: {"id": gid(key)}),
}


async def operation_took_effect(operation: str, target: ApiKey) -> bool:
    if operation == "createApiKey":
        return await ApiKey.exists(name="made in the table test")
    if operation == "revokeKey":
        return (await stored_key(target)).revoked_at is not None
    if operation == "deleteApiKey":
        return not await ApiKey.exists(id=target.id)
    return False


@pytest.mark.parametrize("operation", list(ROLES_ALLOWED))
@pytest.mark.parametrize("role", [SA, ADMIN, RO])
async def test_session_runs_a_key_operation_only_if_its_role_allows_it(
    client: AsyncClient, super_admin: User, role: Role, operation: str
) -> None:
    target, _ = await make_api_key(super_admin)
    _, token = await token_for(client, role)
    document, variables = DOCUMENTS[operation]

    body = await graphql(client, document, variables(target), token=token)

    if role in ROLES_ALLOWED[operation]:
        assert "errors" not in body, body
        assert body["data"][operation] is not None
        assert await operation_took_effect(operation, target) == (operation in MUTATIONS)
    else:
        assert error_codes(body) == ["FORBIDDEN"]
        assert (body.get("data") or {}).get(operation) is None
        assert not await operation_took_effect(operation, target)


BAD_CREDENTIALS = {
    "none": {},
    "malformed bearer": {"Authorization": "Bearer not-a-token"},
    "basic scheme": {"Authorization": "Basic dXNlcjpwYXNzd29yZA=="},
    "unknown session": {"Authorization": "Bearer gs_" + "A" * 43},
    "unknown key": {"X-API-Key": generate_api_key().secret},
}


@pytest.mark.parametrize("credential", list(BAD_CREDENTIALS))
@pytest.mark.parametrize("operation", list(ROLES_ALLOWED))
async def test_key_operations_without_a_valid_credential_are_unauthenticated(
    client: AsyncClient, super_admin: User, operation: str, credential: str
) -> None:
    target, _ = await make_api_key(super_admin)
    document, variables = DOCUMENTS[operation]

    body = await graphql(client, document, variables(target), headers=BAD_CREDENTIALS[credential])

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert (body.get("data") or {}).get(operation) is None
    assert not await operation_took_effect(operation, target)


async def test_api_keys_lists_every_key_whoever_created_it(
    client: AsyncClient, super_admin: User
) -> None:
    admin = await make_user(roles=(ADMIN,))
    await make_api_key(super_admin, name="root's key")
    await make_api_key(admin, name="admin's key")
    _, token = await token_for(client, RO)

    body = await graphql(client, API_KEYS, token=token)

    assert {node["name"] for node in body["data"]["apiKeys"]["nodes"]} == {
        "root's key",
        "admin's key",
    }


# --- the secret: shown once, stored as a hash, well formed -----------------------------------


async def test_secret_is_shown_once_and_no_later_answer_contains_it(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    created = await graphql(client, CREATE_API_KEY, new_key_input(), token=token)
    secret = created["data"]["createApiKey"]["secret"]
    key_id = created["data"]["createApiKey"]["apiKey"]["id"]

    later = [
        await graphql(client, API_KEY, {"id": key_id}, token=token),
        await graphql(client, API_KEYS, token=token),
        await graphql(client, API_KEY, {"id": key_id}, headers=key_header(secret)),
        await graphql(client, REVOKE_KEY, {"id": key_id}, token=token),
        await graphql(client, API_KEY, {"id": key_id}, token=token),
    ]

    answers = json.dumps(later)
    hidden_part = secret[7:-4]
    assert all("errors" not in body for body in later), answers
    assert secret not in answers
    assert hidden_part not in answers


async def test_database_holds_only_the_sha256_of_the_secret(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    created = await graphql(client, CREATE_API_KEY, new_key_input(), token=token)
    secret = created["data"]["createApiKey"]["secret"]
    await graphql(client, ME_ID_EMAIL, headers=key_header(secret))

    connection = get_connection("default")
    stored: list[str] = []
    for table in ("users", "sessions", "api_keys", "api_key_usage_days"):
        rows = await connection.execute_query_dict(f"SELECT * FROM {table}")  # noqa: S608
        stored += [str(value) for row in rows for value in row.values()]

    (key_row,) = await connection.execute_query_dict("SELECT * FROM api_keys")
    assert key_row["key_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert not any(secret[7:-4] in value for value in stored)


async def test_secret_has_the_documented_format_and_enough_randomness(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    secrets = [
        (await graphql(client, CREATE_API_KEY, new_key_input(), token=token))["data"][
            "createApiKey"
        ]["secret"]
        for _ in range(5)
    ]

    assert all(KEY_FORMAT.fullmatch(secret) for secret in secrets), secrets
    assert len(set(secrets)) == len(secrets)
    random_part_length = len(secrets[0]) - len("gk_") - 6
    assert random_part_length * math.log2(62) >= 128


async def test_secret_ends_with_a_base62_crc32_of_everything_before_it(
    client: AsyncClient, super_admin: User
) -> None:
    _, secret = await make_api_key(super_admin)

    body, checksum = secret[:-6], secret[-6:]
    value = zlib.crc32(body.encode())
    expected = "".join(BASE62[(value // 62**power) % 62] for power in range(5, -1, -1))
    assert checksum == expected


async def test_masked_key_shows_the_prefix_and_the_last_four_characters_only(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    created = await graphql(client, CREATE_API_KEY, new_key_input(), token=token)
    secret = created["data"]["createApiKey"]["secret"]

    listed = await graphql(
        client, API_KEY, {"id": created["data"]["createApiKey"]["apiKey"]["id"]}, token=token
    )

    masked = listed["data"]["apiKey"]["maskedKey"]
    assert masked == created["data"]["createApiKey"]["apiKey"]["maskedKey"]
    assert masked == f"{secret[:7]}…{secret[-4:]}"
    assert masked.startswith("gk_")


@pytest.mark.parametrize("position", [-1, -6, 3, 25], ids=["last", "checksum", "first", "middle"])
async def test_key_with_one_character_changed_is_unauthenticated_and_not_counted(
    client: AsyncClient, super_admin: User, position: int
) -> None:
    api_key, secret = await make_api_key(super_admin)
    assert "errors" not in await graphql(client, ME_ID_EMAIL, headers=key_header(secret))
    changed = "A" if secret[position] != "A" else "B"
    mistyped = secret[:position] + changed + secret[position:][1:]

    body = await graphql(client, ME_ID_EMAIL, headers=key_header(mistyped))

    assert len(mistyped) == len(secret)
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert (await stored_key(api_key)).total_calls == 1


# --- creating a key -------------------------------------------------------------------------


async def test_created_key_belongs_to_its_creator_and_is_active(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    expires_at = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)

    body = await graphql(
        client,
        CREATE_API_KEY,
        new_key_input(
            name="  Nightly export  ",
            description="Exports the users table",
            scopes=["WRITE", "READ"],
            expiresAt=expires_at.isoformat(),
        ),
        token=token,
    )

    api_key = body["data"]["createApiKey"]["apiKey"]
    assert api_key["name"] == "Nightly export"
    assert api_key["description"] == "Exports the users table"
    assert set(api_key["scopes"]) == {"READ", "WRITE"}
    assert api_key["status"] == "ACTIVE"
    assert at(api_key["expiresAt"]) == expires_at
    assert api_key["createdBy"] == {"email": "root@example.com"}
    row = await ApiKey.get(id=pk(api_key["id"]))
    assert (row.name, row.created_by_id, row.expires_at) == (
        "Nightly export",
        super_admin.id,
        expires_at,
    )
    assert set(row.scopes) == {Scope.READ, Scope.WRITE}


async def test_expiry_given_with_an_offset_is_answered_in_utc(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    created = await graphql(
        client, CREATE_API_KEY, new_key_input(expiresAt="2031-01-01T12:00:00+02:00"), token=token
    )
    key_id = created["data"]["createApiKey"]["apiKey"]["id"]
    listed = await graphql(client, API_KEY, {"id": key_id}, token=token)

    assert created["data"]["createApiKey"]["apiKey"]["expiresAt"] == "2031-01-01T10:00:00+00:00"
    assert listed["data"]["apiKey"]["expiresAt"] == "2031-01-01T10:00:00+00:00"


async def test_key_name_may_be_exactly_one_hundred_characters(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    body = await graphql(client, CREATE_API_KEY, new_key_input(name="n" * 100), token=token)

    assert body["data"]["createApiKey"]["apiKey"]["name"] == "n" * 100
    assert await ApiKey.filter(name="n" * 100).count() == 1


INVALID_INPUTS: dict[str, dict[str, Any]] = {
    "empty name": {"name": ""},
    "blank name": {"name": "   "},
    "101-character name": {"name": "n" * 101},
    "no scopes": {"scopes": []},
    "unknown scope": {"scopes": ["EVERYTHING"]},
    "expiry in the past": {"expiresAt": (START - timedelta(minutes=1)).isoformat()},
    "expiry now": {"expiresAt": START.isoformat()},
    "expiry not a date": {"expiresAt": "next tuesday"},
}


@pytest.mark.parametrize("invalid", list(INVALID_INPUTS))
async def test_create_api_key_refuses_invalid_input(
    client: AsyncClient, super_admin: User, invalid: str
) -> None:
    with time_machine.travel(START, tick=False):
        token = await login(client, super_admin)

        body = await graphql(
            client, CREATE_API_KEY, new_key_input(**INVALID_INPUTS[invalid]), token=token
        )

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert body.get("data") is None
    assert await ApiKey.all().count() == 0


# --- revoking and deleting ------------------------------------------------------------------


async def test_revoking_a_key_is_immediate_and_records_when(
    client: AsyncClient, super_admin: User
) -> None:
    with time_machine.travel(START, tick=False):
        token = await login(client, super_admin)
        api_key, secret = await make_api_key(super_admin)
        assert "errors" not in await graphql(client, ME_ID_EMAIL, headers=key_header(secret))

        body = await graphql(client, REVOKE_KEY, {"id": gid(api_key)}, token=token)
        refused = await graphql(client, ME_ID_EMAIL, headers=key_header(secret))
        listed = await graphql(client, API_KEY, {"id": gid(api_key)}, token=token)

    revoked = body["data"]["revokeKey"]
    assert revoked["status"] == "REVOKED"
    assert at(revoked["revokedAt"]) == START
    assert listed["data"]["apiKey"]["status"] == "REVOKED"
    assert error_codes(refused) == ["UNAUTHENTICATED"]
    assert (await stored_key(api_key)).revoked_at == START


async def test_revoking_twice_keeps_the_first_revocation_time(
    client: AsyncClient, super_admin: User
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        token = await login(client, super_admin)
        api_key, _ = await make_api_key(super_admin)
        await graphql(client, REVOKE_KEY, {"id": gid(api_key)}, token=token)
        traveller.shift(timedelta(hours=1))

        again = await graphql(client, REVOKE_KEY, {"id": gid(api_key)}, token=token)

    assert again["data"]["revokeKey"]["status"] == "REVOKED"
    assert at(again["data"]["revokeKey"]["revokedAt"]) == START
    assert (await stored_key(api_key)).revoked_at == START


@pytest.mark.parametrize("document", [REVOKE_KEY, DELETE_API_KEY], ids=["revoke", "delete"])
@pytest.mark.parametrize("key_id", ["999999", "not-an-id"])
async def test_revoking_or_deleting_an_unknown_key_is_not_found(
    client: AsyncClient, super_admin: User, document: str, key_id: str
) -> None:
    token = await login(client, super_admin)

    body = await graphql(client, document, {"id": key_id}, token=token)

    assert error_codes(body) == ["NOT_FOUND"]


async def test_deleting_a_key_removes_it_and_its_usage(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    api_key, secret = await make_api_key(super_admin)
    await graphql(client, ME_ID_EMAIL, headers=key_header(secret))

    body = await graphql(client, DELETE_API_KEY, {"id": gid(api_key)}, token=token)

    assert body["data"]["deleteApiKey"] == gid(api_key)
    assert not await ApiKey.exists(id=api_key.id)
    assert await ApiKeyUsageDay.all().count() == 0
    assert (await graphql(client, API_KEY, {"id": gid(api_key)}, token=token))["data"] == {
        "apiKey": None
    }
    assert error_codes(await graphql(client, ME_ID_EMAIL, headers=key_header(secret))) == [
        "UNAUTHENTICATED"
    ]


@pytest.mark.parametrize("key_id", ["999999", "not-an-id", "-1"])
async def test_api_key_of_an_unknown_id_is_null(
    client: AsyncClient, super_admin: User, key_id: str
) -> None:
    token = await login(client, super_admin)

    body = await graphql(client, API_KEY, {"id": key_id}, token=token)

    assert body == {"data": {"apiKey": None}}


# --- expiry and the owner's fate ------------------------------------------------------------


async def test_key_works_until_it_expires_then_is_expired_and_unauthenticated(
    client: AsyncClient, super_admin: User
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        token = await login(client, super_admin)
        api_key, secret = await make_api_key(super_admin, expires_at=START + timedelta(hours=1))
        before = await graphql(client, ME_ID_EMAIL, headers=key_header(secret))
        traveller.shift(timedelta(hours=2))

        after = await graphql(client, ME_ID_EMAIL, headers=key_header(secret))
        listed = await graphql(client, API_KEYS, token=token)

    assert before["data"]["me"]["email"] == "root@example.com"
    assert error_codes(after) == ["UNAUTHENTICATED"]
    assert listed["data"]["apiKeys"]["nodes"][0]["status"] == "EXPIRED"
    assert (await stored_key(api_key)).total_calls == 1


async def test_keys_of_a_deactivated_owner_stop_authenticating(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    owner = await make_user(roles=(ADMIN,))
    api_key, secret = await make_api_key(owner)
    assert "errors" not in await graphql(client, ME_ID_EMAIL, headers=key_header(secret))

    deactivated = await graphql(
        client, UPDATE_USER, {"id": gid(owner), "input": {"status": "INACTIVE"}}, token=token
    )
    body = await graphql(client, ME_ID_EMAIL, headers=key_header(secret))

    assert "errors" not in deactivated, deactivated
    assert (await User.get(id=owner.id)).status == UserStatus.INACTIVE
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert (await stored_key(api_key)).total_calls == 1


async def test_keys_of_a_deleted_owner_are_revoked_and_lose_their_creator(
    client: AsyncClient, super_admin: User
) -> None:
    owner = await make_user(roles=(ADMIN,))
    with time_machine.travel(START, tick=False) as traveller:
        token = await login(client, super_admin)
        revoked_earlier, _ = await make_api_key(owner, name="revoked earlier")
        await graphql(client, REVOKE_KEY, {"id": gid(revoked_earlier)}, token=token)
        api_key, secret = await make_api_key(owner, name="live")
        traveller.shift(timedelta(hours=1))

        deleted = await graphql(client, DELETE_USER, {"id": gid(owner)}, token=token)
        listed = await graphql(client, API_KEY, {"id": gid(api_key)}, token=token)
        body = await graphql(client, ME_ID_EMAIL, headers=key_header(secret))

    assert deleted["data"] == {"deleteUser": gid(owner)}
    node = listed["data"]["apiKey"]
    assert node["status"] == "REVOKED"
    assert at(node["revokedAt"]) == START + timedelta(hours=1)
    assert node["createdBy"] is None
    assert error_codes(body) == ["UNAUTHENTICATED"]
    row = await stored_key(api_key)
    assert (row.created_by_id, row.revoked_at) == (None, START + timedelta(hours=1))
    assert (await stored_key(revoked_earlier)).revoked_at == START


# --- listing: status and search filters, order, pages ---------------------------------------


async def make_keys_of_every_status(owner: User) -> None:
    """At START + 2h: two active, one expired, two revoked (one of them also expired)."""
    await make_api_key(owner, name="active forever")
    await make_api_key(owner, name="active until tomorrow", expires_at=START + timedelta(days=1))
    await make_api_key(owner, name="expired", expires_at=START + timedelta(hours=1))
    revoked, _ = await make_api_key(owner, name="revoked")
    revoked_and_expired, _ = await make_api_key(
        owner, name="revoked and expired", expires_at=START + timedelta(hours=1)
    )
    await ApiKey.filter(id__in=[revoked.id, revoked_and_expired.id]).update(revoked_at=START)


STATUS_FILTER_EXPECTATIONS = {
    "ACTIVE": {"active forever", "active until tomorrow"},
    "EXPIRED": {"expired"},
    "REVOKED": {"revoked", "revoked and expired"},
}


@pytest.mark.parametrize("status", list(STATUS_FILTER_EXPECTATIONS))
async def test_api_keys_filter_by_derived_status(
    client: AsyncClient, super_admin: User, status: str
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        await make_keys_of_every_status(super_admin)
        traveller.shift(timedelta(hours=2))
        token = await login(client, super_admin)

        body = await graphql(client, API_KEYS, {"filter": {"status": status}}, token=token)

    connection = body["data"]["apiKeys"]
    assert {node["name"] for node in connection["nodes"]} == STATUS_FILTER_EXPECTATIONS[status]
    assert {node["status"] for node in connection["nodes"]} == {status}
    assert connection["totalCount"] == len(STATUS_FILTER_EXPECTATIONS[status])


async def test_api_keys_search_matches_part_of_the_name_in_any_case(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    for name in ("Deploy production", "deploy staging", "Backups", "nightly DEPLOY"):
        await make_api_key(super_admin, name=name)
    staging = await ApiKey.get(name="deploy staging")
    await graphql(client, REVOKE_KEY, {"id": gid(staging)}, token=token)

    everything = await graphql(client, API_KEYS, {"filter": {"search": "deploy"}}, token=token)
    active = await graphql(
        client, API_KEYS, {"filter": {"search": "DEPLOY", "status": "ACTIVE"}}, token=token
    )
    nothing = await graphql(client, API_KEYS, {"filter": {"search": "zzz"}}, token=token)

    assert [node["name"] for node in everything["data"]["apiKeys"]["nodes"]] == [
        "nightly DEPLOY",
        "deploy staging",
        "Deploy production",
    ]
    assert everything["data"]["apiKeys"]["totalCount"] == 3
    assert [node["name"] for node in active["data"]["apiKeys"]["nodes"]] == [
        "nightly DEPLOY",
        "Deploy production",
    ]
    assert active["data"]["apiKeys"]["totalCount"] == 2
    assert nothing["data"]["apiKeys"]["nodes"] == []
    assert nothing["data"]["apiKeys"]["totalCount"] == 0


@pytest.mark.parametrize(("term", "match"), [("%", "100% done"), ("_", "under_score")])
async def test_api_keys_search_takes_wildcards_literally(
    client: AsyncClient, super_admin: User, term: str, match: str
) -> None:
    token = await login(client, super_admin)
    for name in ("100% done", "under_score", "plain"):
        await make_api_key(super_admin, name=name)

    body = await graphql(client, API_KEYS, {"filter": {"search": term}}, token=token)

    assert [node["name"] for node in body["data"]["apiKeys"]["nodes"]] == [match]


async def test_api_keys_come_newest_first_in_pages_joined_by_cursors(
    client: AsyncClient, super_admin: User
) -> None:
    with time_machine.travel(START, tick=False) as traveller:
        for number in range(1, 6):
            await make_api_key(super_admin, name=f"key {number}")
            traveller.shift(timedelta(minutes=1))
        token = await login(client, super_admin)

        pages = []
        after = None
        while True:
            body = await graphql(client, API_KEYS, {"first": 2, "after": after}, token=token)
            pages.append(body["data"]["apiKeys"])
            if not pages[-1]["pageInfo"]["hasNextPage"]:
                break
            after = pages[-1]["pageInfo"]["endCursor"]

    assert [[node["name"] for node in page["nodes"]] for page in pages] == [
        ["key 5", "key 4"],
        ["key 3", "key 2"],
        ["key 1"],
    ]
    assert [page["totalCount"] for page in pages] == [5, 5, 5]
    created = [
        datetime.fromisoformat(edge["node"]["createdAt"])
        for page in pages
        for edge in page["edges"]
    ]
    assert created == sorted(created, reverse=True)
    assert all(page["edges"][-1]["cursor"] == page["pageInfo"]["endCursor"] for page in pages)


def cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode()


@pytest.mark.parametrize(
    "arguments",
    [
        pytest.param({"first": 0}, id="first 0"),
        pytest.param({"first": 101}, id="first 101"),
        pytest.param({"first": -1}, id="first -1"),
        pytest.param({"after": "not a cursor"}, id="not base64"),
        pytest.param({"after": cursor("User:1")}, id="cursor of users"),
        pytest.param({"after": cursor("ApiKey:one")}, id="cursor without a number"),
        pytest.param({"after": cursor("ApiKey:99999999999999999999999")}, id="cursor out of range"),
    ],
)
async def test_api_keys_refuses_page_arguments_out_of_range(
    client: AsyncClient, super_admin: User, arguments: dict[str, Any]
) -> None:
    token = await login(client, super_admin)
    await make_api_key(super_admin)

    body = await graphql(client, API_KEYS, arguments, token=token)

    assert error_codes(body) == ["BAD_USER_INPUT"]


async def test_api_keys_accepts_a_page_of_one_hundred(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    await make_api_key(super_admin)

    body = await graphql(client, API_KEYS, {"first": 100}, token=token)

    assert body["data"]["apiKeys"]["totalCount"] == 1
