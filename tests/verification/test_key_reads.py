"""The credential path's read of keys (models.key_rows): one statement finds every secret's
key with its owner, each secret naming its own key, and a verification reads the root key
and the verified key in that one statement."""

from __future__ import annotations

from datetime import timedelta

import httpx

from auth.tokens import generate_api_key, hash_secret
from core.clock import utcnow
from models import ApiKey, ApiKeyStatus, KeyOwnerType, Role, UserStatus
from models.key_rows import find_keys
from tests.support.factories import make_api_key, make_service_account, make_user
from tests.support.statements import counting_queries
from tests.support.verification import verdict, verify
from tests.verification.conftest import Root


async def test_a_verification_reads_both_keys_in_one_statement(
    client: httpx.AsyncClient, root: Root
) -> None:
    owner = await make_user(roles=(Role.READ_ONLY,))
    _, secret = await make_api_key(owner)

    with counting_queries() as statements:
        answer = await verdict(client, root.secret, key=secret)

    assert answer["code"] == "VALID"
    reads = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert len(reads) == 1, reads


async def test_each_secret_names_its_own_key_with_its_owner(db: None) -> None:
    person = await make_user(roles=(Role.ADMIN,), email="person@example.com")
    admin = await make_user(roles=(Role.SUPER_ADMIN,), email="admin@example.com")
    account = await make_service_account(admin, name="billing", roles=(Role.READ_ONLY,))
    own, own_secret = await make_api_key(person, name="own")
    machine, machine_secret = await make_api_key(admin, name="machine", service_account=account)
    unknown = hash_secret(generate_api_key().secret)

    read = await find_keys(
        [hash_secret(own_secret), hash_secret(machine_secret), unknown], utcnow()
    )

    assert set(read.found) == {hash_secret(own_secret), hash_secret(machine_secret)}
    assert read.asked == {hash_secret(own_secret), hash_secret(machine_secret), unknown}
    found_own = read.found[hash_secret(own_secret)]
    found_machine = read.found[hash_secret(machine_secret)]
    assert (found_own.key.id, found_own.key.name) == (own.id, "own")
    assert found_own.key.status_at(read.now) == ApiKeyStatus.ACTIVE
    assert found_own.owner is not None
    assert (found_own.owner.type, found_own.owner.id) == (KeyOwnerType.USER, person.id)
    assert found_own.owner.status == UserStatus.ACTIVE
    assert found_own.owner.role == Role.ADMIN
    # A service account's key acts for the account, not for the admin who made it.
    assert found_machine.key.id == machine.id
    assert found_machine.owner is not None
    assert (found_machine.owner.type, found_machine.owner.name) == (
        KeyOwnerType.SERVICE_ACCOUNT,
        "billing",
    )
    owner_model = found_machine.owner_model()
    assert owner_model is not None
    assert owner_model.id == account.id


async def test_a_previous_secret_names_its_key_only_within_its_grace(db: None) -> None:
    person = await make_user(roles=(Role.ADMIN,))
    rolled, secret = await make_api_key(person, name="rolled")
    old_secret = generate_api_key().secret
    now = utcnow()
    await ApiKey.filter(id=rolled.id).update(
        previous_key_hash=hash_secret(old_secret),
        previous_secret_expires_at=now + timedelta(hours=1),
    )

    within = await find_keys([hash_secret(old_secret)], now)
    after = await find_keys(
        [hash_secret(secret), hash_secret(old_secret)], now + timedelta(hours=2)
    )

    assert within.found[hash_secret(old_secret)].key.id == rolled.id
    # The row comes back for its current secret; its expired previous one names nothing.
    assert set(after.found) == {hash_secret(secret)}


async def test_the_root_key_is_answered_before_the_body_read_with_it(
    client: httpx.AsyncClient, root: Root
) -> None:
    """The body is read before the one statement, and answered only once the root key is
    admitted: a bad root key is 401 or 403 whatever the body, a refused body a root call."""
    reader, reader_secret = await make_api_key(await make_user(roles=(Role.ADMIN,)))
    bad_body = {"key": 1, "unknown": True}

    unknown = await verify(client, "gk_" + "B" * 49, **bad_body)
    without_verify = await verify(client, reader_secret, **bad_body)
    refused_body = await verify(client, root.secret, **bad_body)

    assert (unknown.status_code, without_verify.status_code) == (401, 403)
    assert refused_body.status_code == 400
    await root.key.refresh_from_db()
    await reader.refresh_from_db()
    assert (root.key.total_calls, reader.total_calls) == (1, 1)
