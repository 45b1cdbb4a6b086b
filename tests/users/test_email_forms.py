"""Emails are NFKC-normalised before they are stored, compared or looked up, and invisible
characters are refused: a full-width or zero-width copy of an address is the same account
(CONFLICT on creation, the same user at sign-in), never a second one that looks alike."""

from __future__ import annotations

from typing import Any

import pytest
from httpx import AsyncClient

from models import User
from resolvers.users import normalise_email
from tests.support.factories import PASSWORD, gid, make_user
from tests.support.graphql import error_codes, graphql, login
from tests.support.limiter import app_client, code_of, try_login

CREATE_USER = "mutation ($input: CreateUserInput!) { createUser(input: $input) { id email } }"
LOGIN = """
mutation ($email: String!, $password: String!) {
  login(email: $email, password: $password) { user { id email } }
}
"""
FULL_WIDTH = "ｏｗｎｅｒ＠ｅｘａｍｐｌｅ．ｃｏｍ"
INVISIBLE = {
    "zero-width space": "own\u200ber@example.com",
    "zero-width joiner": "owner\u200d@example.com",
    "soft hyphen": "ow\u00adner@example.com",
    "byte order mark": "\ufeffowner@example.com",
    "word joiner": "owner@exam\u2060ple.com",
    "combining grapheme joiner": "owner@example\u034f.com",
    "Hangul filler": "owner\u3164@example.com",
    "tag character": "owner@example.com\U000e0041",
}


def new_user(email: str) -> dict[str, Any]:
    return {"email": email, "displayName": "Copy", "password": PASSWORD, "roles": ["ADMIN"]}


@pytest.mark.parametrize(
    "copy",
    [FULL_WIDTH, "OWNER@EXAMPLE.COM", "ｏｗｎｅｒ@example.com", " owner@ｅｘａｍｐｌｅ.com "],
)
async def test_a_compatibility_form_of_an_email_is_the_same_account(
    client: AsyncClient, super_admin: User, copy: str
) -> None:
    await make_user(email="owner@example.com")
    token = await login(client, super_admin)

    body = await graphql(client, CREATE_USER, {"input": new_user(copy)}, token=token)

    assert error_codes(body) == ["CONFLICT"]
    assert await User.filter(email__icontains="owner").count() == 1


async def test_a_full_width_email_is_stored_in_its_plain_form(
    client: AsyncClient, super_admin: User
) -> None:
    token = await login(client, super_admin)

    body = await graphql(client, CREATE_USER, {"input": new_user(FULL_WIDTH)}, token=token)

    assert body["data"]["createUser"]["email"] == "owner@example.com"
    assert await User.filter(email="owner@example.com").count() == 1


@pytest.mark.parametrize("email", INVISIBLE.values(), ids=INVISIBLE.keys())
async def test_an_email_with_an_invisible_character_is_refused(
    client: AsyncClient, super_admin: User, email: str
) -> None:
    token = await login(client, super_admin)

    body = await graphql(client, CREATE_USER, {"input": new_user(email)}, token=token)

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert "`email`" in body["errors"][0]["message"]
    assert await User.all().count() == 1


async def test_sign_in_with_a_full_width_email_finds_the_same_account(client: AsyncClient) -> None:
    user = await make_user(email="owner@example.com")

    body = await graphql(client, LOGIN, {"email": FULL_WIDTH, "password": PASSWORD})

    assert body["data"]["login"]["user"]["email"] == "owner@example.com"
    assert await User.filter(id=user.id, last_login_at__isnull=False).count() == 1


async def test_sign_in_with_an_invisible_character_fails_like_an_unknown_email(
    client: AsyncClient,
) -> None:
    await make_user(email="owner@example.com")
    unknown = await graphql(client, LOGIN, {"email": "nobody@example.com", "password": PASSWORD})

    invisible = await graphql(
        client, LOGIN, {"email": INVISIBLE["zero-width space"], "password": PASSWORD}
    )

    assert error_codes(unknown) == ["UNAUTHENTICATED"]
    assert invisible == unknown


async def test_the_spellings_of_an_email_share_its_failed_sign_ins(db: None) -> None:
    user = await make_user(email="owner@example.com")
    spellings = ["owner@example.com", FULL_WIDTH, "OWNER@example.com"]
    async with app_client(login_max_failures_per_account=3) as client:
        failures = [
            code_of(await try_login(client, email, "wrong password!")) for email in spellings
        ]
        locked = await try_login(client, user.email, PASSWORD)

    assert failures == ["UNAUTHENTICATED"] * 3
    assert code_of(locked) == "RATE_LIMITED"


async def test_an_account_stored_before_normalising_still_signs_in_with_its_own_form(
    client: AsyncClient,
) -> None:
    user = await make_user(email="legacy@example.com")
    await User.filter(id=user.id).update(email=FULL_WIDTH)

    body = await graphql(client, LOGIN, {"email": FULL_WIDTH, "password": PASSWORD})

    assert body["data"]["login"]["user"]["id"] == gid(user)


def test_normalising_is_idempotent() -> None:
    once = normalise_email(FULL_WIDTH)

    assert normalise_email(once) == once == "owner@example.com"
