"""Text inputs refuse control characters (Cc, NUL included) and bidi formatting characters
with BAD_USER_INPUT naming the field, for every text argument of the schema, never INTERNAL
(PostgreSQL refuses NUL in text); nothing is written. Passwords may hold any printable
character: never shown, only hashed."""

from __future__ import annotations

from typing import Any

import pytest
from graphql import GraphQLObjectType, get_named_type
from httpx import AsyncClient

from models import ApiKey, AuditEvent, User
from schema import build_schema
from schema.text_inputs import TextChecked, is_secret
from tests.support.documents import CREATE_API_KEY_SECRET, CREATE_USER
from tests.support.factories import PASSWORD, gid, make_api_key, make_user
from tests.support.graphql import error_codes, graphql, login

HOSTILE = {
    "NUL": "\x00",
    "escape sequence": "\x1b[2J",
    "DEL": "\x7f",
    "C1 next line": "\x85",
    "newline": "\n",
    "right-to-left override": "\u202e",
    "first strong isolate": "\u2068",
    "right-to-left mark": "\u200f",
    "Arabic letter mark": "\u061c",
}

UPDATE_USER = (
    "mutation ($id: ID!, $input: UpdateUserInput!) { updateUser(id: $id, input: $input) { id } }"
)
UPDATE_KEY = """
mutation ($id: ID!, $input: UpdateApiKeyInput!) { updateApiKey(id: $id, input: $input) { id } }
"""
USERS = "query ($search: String) { users(filter: {search: $search}) { totalCount } }"
KEYS = "query ($search: String) { apiKeys(filter: {search: $search}) { totalCount } }"
AUDIT = "query ($action: String) { auditLog(filter: {action: $action}) { totalCount } }"
CHANGE_PASSWORD = (
    'mutation ($new: String!) { changePassword(currentPassword: "%s", newPassword: $new) }'
)
LOGIN = "mutation ($email: String!, $p: String!) { login(email: $email, password: $p) { token } }"


def new_user(**overrides: str) -> dict[str, Any]:
    fields = {"email": "new@example.com", "displayName": "New", "password": PASSWORD}
    return {**fields, **overrides, "roles": ["ADMIN"]}


def new_key(**overrides: Any) -> dict[str, Any]:
    return {"name": "deploy", "scopes": ["READ"], **overrides}


def inputs(bad: str) -> dict[str, tuple[str, dict[str, Any], str]]:
    """operation, variables (`$target` stands for the target's id) and the field named."""
    return {
        "createUser.displayName": (
            CREATE_USER,
            {"input": new_user(displayName=f"Eve{bad}")},
            "input.displayName",
        ),
        "createUser.email": (
            CREATE_USER,
            {"input": new_user(email=f"eve{bad}@example.com")},
            "input.email",
        ),
        "updateUser.displayName": (
            UPDATE_USER,
            {"input": {"displayName": f"a{bad}b"}},
            "input.displayName",
        ),
        "createApiKey.name": (
            CREATE_API_KEY_SECRET,
            {"input": new_key(name=f"gk{bad}abc")},
            "input.name",
        ),
        "createApiKey.description": (
            CREATE_API_KEY_SECRET,
            {"input": new_key(description=f"d{bad}")},
            "input.description",
        ),
        "createApiKey.allowedCidrs": (
            CREATE_API_KEY_SECRET,
            {"input": new_key(allowedCidrs=["10.0.0.0/8", f"10.1.0.0/16{bad}"])},
            "input.allowedCidrs",
        ),
        "updateApiKey.name": (UPDATE_KEY, {"input": {"name": f"n{bad}"}}, "input.name"),
        "users.search": (USERS, {"search": f"a{bad}"}, "filter.search"),
        "apiKeys.search": (KEYS, {"search": f"a{bad}"}, "filter.search"),
        "auditLog.action": (AUDIT, {"action": f"a{bad}"}, "filter.action"),
    }


FIELDS = list(inputs(""))


@pytest.mark.parametrize("character", HOSTILE.values(), ids=HOSTILE.keys())
@pytest.mark.parametrize("field", FIELDS)
async def test_a_text_input_with_a_control_or_bidi_character_is_refused_by_name(
    client: AsyncClient, super_admin: User, field: str, character: str
) -> None:
    token = await login(client, super_admin)
    target_user = await make_user(display_name="Target")
    target_key, _ = await make_api_key(super_admin, name="target")
    query, variables, named = inputs(character)[field]
    target = gid(target_user) if "User" in query else gid(target_key)
    users, keys = await User.all().count(), await ApiKey.all().count()

    body = await graphql(client, query, {**variables, "id": target}, token=token)

    assert error_codes(body) == ["BAD_USER_INPUT"], body
    assert f"`{named}`" in body["errors"][0]["message"]
    assert (await User.all().count(), await ApiKey.all().count()) == (users, keys)
    assert (await User.get(id=target_user.id)).display_name == "Target"
    assert (await ApiKey.get(id=target_key.id)).name == "target"


async def test_a_literal_in_the_document_is_refused_like_a_variable(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    body = await graphql(
        client,
        'mutation { createApiKey(input: {name: "a\\u0000b", scopes: [READ]}) { secret } }',
        token=token,
    )

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "`input.name`" in body["errors"][0]["message"]
    assert await ApiKey.all().count() == 0


async def test_plain_text_in_any_script_is_accepted(client: AsyncClient, super_admin: User) -> None:
    token = await login(client, super_admin)
    name = "Zoë's 東京 deploy key 🚀 (ordinary spaces, tabs never)"

    body = await graphql(
        client, CREATE_API_KEY_SECRET, {"input": new_key(name=name, description="x y")}, token=token
    )

    assert "errors" not in body, body
    assert (await ApiKey.get()).name == name


@pytest.mark.parametrize("character", ["\x00", "\x1b", "\t"])
async def test_a_new_password_with_a_control_character_is_bad_input_not_internal(
    client: AsyncClient, super_admin: User, character: str
) -> None:
    token = await login(client, super_admin)
    password = f"{PASSWORD}{character}"

    created = await graphql(
        client, CREATE_USER, {"input": new_user(password=password)}, token=token
    )
    changed = await graphql(client, CHANGE_PASSWORD % PASSWORD, {"new": password}, token=token)

    assert error_codes(created) == ["BAD_USER_INPUT"]
    assert error_codes(changed) == ["BAD_USER_INPUT"]
    assert password not in str(created) + str(changed)
    assert await User.all().count() == 1


async def test_a_password_may_hold_any_printable_character(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)
    password = "pässwörd \u202e 東京 🚀 long"

    body = await graphql(client, CREATE_USER, {"input": new_user(password=password)}, token=token)

    assert "errors" not in body, body
    signed_in = await graphql(client, LOGIN, {"email": "new@example.com", "p": password})
    assert "errors" not in signed_in, signed_in


@pytest.mark.parametrize("character", ["\x00", "\u202e"])
async def test_sign_in_with_hostile_text_fails_like_any_wrong_credential(
    client: AsyncClient, character: str
) -> None:
    user = await make_user()
    wrong = await graphql(client, LOGIN, {"email": user.email, "p": "not the password"})

    in_password = await graphql(client, LOGIN, {"email": user.email, "p": PASSWORD + character})
    in_email = await graphql(client, LOGIN, {"email": user.email + character, "p": PASSWORD})

    assert error_codes(wrong) == ["UNAUTHENTICATED"]
    assert in_password == wrong
    assert in_email == wrong
    # Audited without the malformed email: PostgreSQL refuses NUL in the details.
    assert await AuditEvent.filter(outcome="UNAUTHENTICATED").count() == 3


def test_every_text_argument_of_the_schema_is_checked() -> None:
    """A field added later is covered without a line of its own."""
    schema = build_schema()._schema
    unchecked = []
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            if (type_.name, name) == ("Mutation", "login"):
                continue
            text = [
                argument
                for argument_name, argument in field.args.items()
                if not is_secret(argument_name) and takes_text(argument.type)
            ]
            if text and not isinstance(field.resolve, TextChecked):
                unchecked.append(f"{type_.name}.{name}")
    assert unchecked == []
    mutation = schema.type_map["Mutation"]
    assert isinstance(mutation, GraphQLObjectType)
    assert isinstance(mutation.fields["createApiKey"].resolve, TextChecked)


def takes_text(type_: Any, seen: frozenset[str] = frozenset()) -> bool:
    named = get_named_type(type_)
    fields = getattr(named, "fields", None)
    if fields is not None and named.name not in seen:
        return any(takes_text(field.type, seen | {named.name}) for field in fields.values())
    return named.name in ("String", "ID")
