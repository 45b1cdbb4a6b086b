"""No path from a weaker credential to a stronger one through a key.

rollKey answers with a working secret and updateApiKey can lift a key's limits, so both
are walked for every credential (sessions of each role; keys of each owner role with each
scope set, limited in rate and addresses) against keys owned by the caller, by a peer of
the same role and by a super-admin, of every scope set, limited like the caller or not at
all; createApiKey for every scope set and both limits a new key would have.
Every answer is compared with the contract's rules, restated below: a refusal is FORBIDDEN
with the rule's reason, no secret anywhere in the answer, the database unchanged and the
attempt audited; a success must never hand the caller a credential stronger than its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import combinations
from typing import Any

import pytest
import pytest_asyncio
from httpx import AsyncClient

from auth.tokens import generate_api_key, hash_secret
from models import ApiKey, AuditEvent, Role, Scope, User
from models.api_keys import encode_scopes
from tests.support.documents import ME_ID, RESET_PASSWORD
from tests.support.factories import PASSWORD, gid, make_user
from tests.support.graphql import error_codes, graphql, login

pytestmark = pytest.mark.asyncio(loop_scope="module")

SA, ADMIN, RO = Role.SUPER_ADMIN, Role.ADMIN, Role.READ_ONLY
READ, WRITE, ADMIN_SCOPE, VERIFY = Scope.READ, Scope.WRITE, Scope.ADMIN, Scope.VERIFY
ROLES = (SA, ADMIN, RO)
# Every set of the three original scopes, and VERIFY alone, beside WRITE and with all: a
# root key is no way up either (the full 15 sets would double the matrix for no new rule).
SCOPE_SETS = [
    frozenset(subset)
    for size in (1, 2, 3)
    for subset in combinations((READ, WRITE, ADMIN_SCOPE), size)
] + [
    frozenset({VERIFY}),
    frozenset({WRITE, VERIFY}),
    frozenset({READ, WRITE, ADMIN_SCOPE, VERIFY}),
]

# Whose key is the target: the caller's user, the calling key itself, another user of the
# caller's role, or a super-admin who is neither. The calling key comes last: rolling it
# ends the caller's secret.
SELF, PEER, STRONGER, CALLING_KEY = "self", "peer", "super-admin", "calling key"
OWNERS = (SELF, PEER, STRONGER, CALLING_KEY)

GATE = "gate"  # refused by the field's role and scope, before any key is read
NOT_KEY_OWNER, KEY_SCOPE_EXCEEDED, OWN_KEY_LIMITS, KEY_LIMITS_EXCEEDED = (
    "NOT_KEY_OWNER",
    "KEY_SCOPE_EXCEEDED",
    "OWN_KEY_LIMITS",
    "KEY_LIMITS_EXCEEDED",
)

TARGET_LIMIT = 1000
TARGET_CIDRS = "127.0.0.0/8"  # the test client's address, so a limited calling key still works
SECRET = re.compile(r"gk_[0-9A-Za-z]{20,}")

DOCUMENTS = {
    "rollKey": "mutation Roll($id: ID!) { rollKey(id: $id) { secret apiKey { id scopes } } }",
    # Lifts both limits: the change an escalation wants.
    "liftLimits": "mutation Lift($id: ID!) { updateApiKey(id: $id, input: "
    '{name: "lifted", rateLimitPerMinute: null, allowedCidrs: null}) { id name } }',
    "rename": "mutation Rename($id: ID!) {"
    ' updateApiKey(id: $id, input: {name: "renamed"}) { id name } }',
}
FIELDS = {"rollKey": "rollKey", "liftLimits": "updateApiKey", "rename": "updateApiKey"}
ACTIONS = {"rollKey": "api_key.roll", "liftLimits": "api_key.update", "rename": "api_key.update"}
CREATE = """
mutation Create($input: CreateApiKeyInput!) {
  createApiKey(input: $input) { secret apiKey { id scopes } }
}
"""


@dataclass(frozen=True)
class Caller:
    role: Role
    scopes: frozenset[Scope] | None  # None: a session, which holds every scope

    @property
    def label(self) -> str:
        held = "session" if self.scopes is None else "key " + "+".join(sorted(self.scopes))
        return f"{self.role}-{held}"

    def holds(self, scopes: frozenset[Scope]) -> bool:
        return self.scopes is None or scopes <= self.scopes


CALLERS = [Caller(role, None) for role in ROLES] + [
    Caller(role, scopes) for role in ROLES for scopes in SCOPE_SETS
]


def expected_refusal(
    operation: str, caller: Caller, owner: str, target_scopes: frozenset[Scope], limited: bool
) -> str | None:
    """The contract's rules, restated rather than read from the code: None when allowed,
    else GATE or the reason of the refusal, in the order the server checks them."""
    if caller.role == RO or not caller.holds(frozenset({WRITE})):
        return GATE
    owned = owner in (SELF, CALLING_KEY)
    if operation == "rollKey" and not owned:
        return NOT_KEY_OWNER
    if operation != "rollKey" and not (owned or caller.role == SA):
        return NOT_KEY_OWNER
    if not caller.holds(target_scopes):
        return KEY_SCOPE_EXCEEDED
    if operation == "liftLimits" and owner == CALLING_KEY:
        return OWN_KEY_LIMITS
    # Every calling key is limited like a "limited" target; lifting leaves a key unlimited.
    unlimited_after = not limited or operation == "liftLimits"
    if caller.scopes is not None and owner != CALLING_KEY and unlimited_after:
        return KEY_LIMITS_EXCEEDED
    return None


@dataclass
class World:
    """Users shared by the module's cases; each case makes its own keys."""

    me: dict[Role, User]
    peers: dict[Role, User]
    root: User
    tokens: dict[Role, str]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def world(shared_client: AsyncClient) -> World:
    me = {role: await make_user(roles=(role,)) for role in ROLES}
    peers = {role: await make_user(roles=(role,)) for role in ROLES}
    root = await make_user(roles=(SA,), email="root@example.com")
    tokens = {role: await login(shared_client, user) for role, user in me.items()}
    return World(me, peers, root, tokens)


@pytest.fixture
def client(shared_client: AsyncClient) -> AsyncClient:
    return shared_client


async def insert_key(
    owner: User, scopes: frozenset[Scope], name: str, *, limited: bool = True
) -> tuple[ApiKey, str]:
    """A real key row, with a rate limit and an allow-list unless `limited` is false,
    straight into the table: the walk makes some 2,000 of them, and createApiKey's own path
    is tested elsewhere."""
    new_key = generate_api_key()
    api_key = await ApiKey.create(
        name=name,
        key_hash=new_key.hash,
        key_prefix=new_key.display_prefix,
        key_last_four=new_key.last_four,
        scopes_encoded=encode_scopes(sorted(scopes)),
        created_by_id=owner.id,
        rate_limit_per_minute=TARGET_LIMIT if limited else None,
        allowed_cidrs_encoded=TARGET_CIDRS if limited else None,
    )
    return api_key, new_key.secret


SNAPSHOT_FIELDS = (
    "key_hash",
    "previous_key_hash",
    "rolled_at",
    "name",
    "description",
    "rate_limit_per_minute",
    "allowed_cidrs_encoded",
    "scopes_encoded",
    "revoked_at",
    "created_by_id",
)


async def snapshot(key_id: int) -> dict[str, Any]:
    rows = await ApiKey.filter(id=key_id).values(*SNAPSHOT_FIELDS)
    return rows[0]


def scopes_of(stored: dict[str, Any]) -> frozenset[Scope]:
    return frozenset(Scope(scope) for scope in stored["scopes_encoded"].split(",") if scope)


def secrets_in(body: dict[str, Any]) -> list[str]:
    return SECRET.findall(repr(body))


@dataclass
class CallingAs:
    caller: Caller
    user: User
    headers: dict[str, str]
    token: str | None
    key: ApiKey | None
    audit_actor: tuple[str, int]


async def calling_as(caller: Caller, world: World) -> CallingAs:
    user = world.me[caller.role]
    if caller.scopes is None:
        token = world.tokens[caller.role]
        return CallingAs(caller, user, {}, token, None, ("user", user.id))
    key, secret = await insert_key(user, caller.scopes, "caller")
    return CallingAs(caller, user, {"X-API-Key": secret}, None, key, ("api_key", key.id))


Target = tuple[str, User, frozenset[Scope], bool]


def targets(world: World, calling: CallingAs) -> Iterator[Target]:
    """(owner, owner's user, scopes, limited) of every key to act on."""
    role = calling.caller.role
    for owner in OWNERS:
        if owner == CALLING_KEY:
            if calling.key is not None:
                yield owner, calling.user, frozenset(calling.key.scopes), True
            continue
        user = {SELF: calling.user, PEER: world.peers[role], STRONGER: world.root}[owner]
        # Unlimited keys of the peer would repeat the peer's limited ones: refused earlier.
        for limited in (True, False) if owner != PEER else (True,):
            for scopes in SCOPE_SETS:
                yield owner, user, scopes, limited


def refusal_mismatches(
    body: dict[str, Any], field: str, refusal: str, changed: list[str]
) -> list[str]:
    problems = [f"database changed: {', '.join(changed)}"] if changed else []
    if error_codes(body) != ["FORBIDDEN"]:
        problems.append(f"answered {error_codes(body) or 'success'}, not FORBIDDEN")
    elif body["errors"][0]["extensions"].get("reason") != (None if refusal == GATE else refusal):
        problems.append(f"reason {body['errors'][0]['extensions'].get('reason')}")
    if (body.get("data") or {}).get(field) is not None:
        problems.append("data in the answer")
    if secrets_in(body):
        problems.append("a secret in the answer")
    return problems


async def refusal_audited(calling: CallingAs, action: str, target_id: int, refusal: str) -> bool:
    actor_type, actor_id = calling.audit_actor
    events = await AuditEvent.filter(
        action=action,
        actor_type=actor_type,
        actor_id=actor_id,
        target_id=target_id,
        outcome="FORBIDDEN",
    )
    reason = None if refusal == GATE else refusal
    return any((event.details or {}).get("reason") == reason for event in events)


def success_mismatches(
    operation: str,
    body: dict[str, Any],
    calling: CallingAs,
    target: ApiKey,
    before: dict[str, Any],
    after: dict[str, Any],
) -> list[str]:
    if "errors" in body:
        return [f"refused: {body['errors']}"]
    problems = []
    if operation == "rollKey":
        secret = body["data"]["rollKey"]["secret"]
        if hash_secret(secret) != after["key_hash"] or after["key_hash"] == before["key_hash"]:
            problems.append("the answered secret is not the key's new secret")
        # A new secret is a credential: it must act as the caller, with scopes it holds.
        if after["created_by_id"] != calling.user.id:
            problems.append("a secret of another user's key")
    elif operation == "liftLimits":
        if (after["name"], after["rate_limit_per_minute"], after["allowed_cidrs_encoded"]) != (
            "lifted",
            None,
            None,
        ):
            problems.append(f"not changed: {after}")
        if after["created_by_id"] != calling.user.id and calling.caller.role != SA:
            problems.append("changed another user's key")
    elif after["name"] != "renamed":
        problems.append(f"not renamed: {after}")
    if not calling.caller.holds(scopes_of(after)):
        problems.append("acted on a key with a scope the caller lacks")
    # Nor may a limited key come out of it with (or holding) a key less limited than itself.
    other_key = calling.key is not None and target.id != calling.key.id
    if other_key and None in (after["rate_limit_per_minute"], after["allowed_cidrs_encoded"]):
        problems.append("a limited key acted on a key without limits")
    return problems


@pytest.mark.parametrize("operation", list(DOCUMENTS))
@pytest.mark.parametrize("caller", CALLERS, ids=lambda caller: caller.label)
async def test_no_credential_rolls_or_edits_a_key_stronger_than_itself(
    client: AsyncClient, world: World, caller: Caller, operation: str
) -> None:
    calling = await calling_as(caller, world)
    mismatches = []
    for owner, owner_user, scopes, limited in targets(world, calling):
        if owner == CALLING_KEY:
            assert calling.key is not None
            target = calling.key
        else:
            target, _ = await insert_key(owner_user, scopes, "target", limited=limited)
        before = await snapshot(target.id)
        refusal = expected_refusal(operation, caller, owner, scopes, limited)

        body = await graphql(
            client,
            DOCUMENTS[operation],
            {"id": gid(target)},
            token=calling.token,
            headers=calling.headers,
        )

        after = await snapshot(target.id)
        if refusal is None:
            problems = success_mismatches(operation, body, calling, target, before, after)
        else:
            changed = [field for field in SNAPSHOT_FIELDS if before[field] != after[field]]
            problems = refusal_mismatches(body, FIELDS[operation], refusal, changed)
            if not await refusal_audited(calling, ACTIONS[operation], target.id, refusal):
                problems.append("refusal not audited with its reason")
        kind = f"{'+'.join(sorted(scopes))} {'limited' if limited else 'unlimited'}"
        label = f"{owner}'s {kind} key, expected {refusal or 'success'}"
        mismatches += [f"{label}: {problem}" for problem in problems]
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("caller", CALLERS, ids=lambda caller: caller.label)
async def test_no_credential_creates_a_key_beyond_its_scopes_or_limits(
    client: AsyncClient, world: World, caller: Caller
) -> None:
    calling = await calling_as(caller, world)
    mismatches = []
    for scopes, limited in [
        (scopes, limited) for limited in (True, False) for scopes in SCOPE_SETS
    ]:
        kind = f"{'+'.join(sorted(scopes))} {'limited' if limited else 'unlimited'}"
        name = f"created by {caller.label}: {kind}"
        refusal: str | None = None
        if caller.role == RO or not caller.holds(frozenset({WRITE})):
            refusal = GATE
        elif not caller.holds(scopes):
            refusal = KEY_SCOPE_EXCEEDED
        elif caller.scopes is not None and not limited:
            refusal = KEY_LIMITS_EXCEEDED
        limits = {"rateLimitPerMinute": TARGET_LIMIT, "allowedCidrs": [TARGET_CIDRS]}
        variables = {
            "input": {"name": name, "scopes": sorted(scopes), **(limits if limited else {})}
        }

        body = await graphql(
            client, CREATE, variables, token=calling.token, headers=calling.headers
        )

        problems = []
        if refusal is None:
            secret = body["data"]["createApiKey"]["secret"]
            stored = await ApiKey.get(key_hash=hash_secret(secret))
            if (stored.created_by_id, frozenset(stored.scopes)) != (calling.user.id, scopes):
                problems.append(f"created {stored.scopes} for user {stored.created_by_id}")
        else:
            created = ["a key was created"] if await ApiKey.exists(name=name) else []
            problems = refusal_mismatches(body, "createApiKey", refusal, created)
        label = f"{kind}, expected {refusal or 'success'}"
        mismatches += [f"{label}: {problem}" for problem in problems]
    assert not mismatches, "\n".join(mismatches)


# The reported attacks, end to end, as regressions.

TAKEN_OVER = "a password the attacker chose"


def reason_of(body: dict[str, Any]) -> str | None:
    assert error_codes(body) == ["FORBIDDEN"], body
    reason: str | None = body["errors"][0]["extensions"].get("reason")
    return reason


@pytest.mark.parametrize("credential", ["session", "leaked WRITE key"])
async def test_admin_cannot_become_root_by_rolling_a_super_admins_admin_key(
    client: AsyncClient, credential: str
) -> None:
    root = await make_user(roles=(SA,))
    operator = await make_user(roles=(SA,))
    operators_key, operators_secret = await insert_key(
        operator, frozenset({READ, WRITE, ADMIN_SCOPE}), "operator automation"
    )
    admin = await make_user(roles=(ADMIN,))
    if credential == "session":
        attacker: dict[str, Any] = {"token": await login(client, admin)}
    else:
        _, admin_secret = await insert_key(admin, frozenset({WRITE}), "admin's WRITE key")
        attacker = {"headers": {"X-API-Key": admin_secret}}
    before = await snapshot(operators_key.id)

    rolled = await graphql(client, DOCUMENTS["rollKey"], {"id": gid(operators_key)}, **attacker)

    # Step one of the attack fails: no secret, the operator's key untouched and still working.
    assert reason_of(rolled) == NOT_KEY_OWNER
    assert rolled["data"] is None
    assert not secrets_in(rolled)
    assert await snapshot(operators_key.id) == before
    still = await graphql(client, ME_ID, headers={"X-API-Key": operators_secret})
    assert still["data"]["me"]["id"] == gid(operator)
    # And nothing the admin holds reaches root's password.
    reset = await graphql(
        client, RESET_PASSWORD, {"userId": gid(root), "newPassword": TAKEN_OVER}, **attacker
    )
    assert error_codes(reset) == ["FORBIDDEN"]
    assert await login(client, root, PASSWORD)


async def test_write_key_cannot_roll_its_owners_admin_key(client: AsyncClient) -> None:
    owner = await make_user(roles=(SA,))
    admin_key, _ = await insert_key(owner, frozenset({READ, WRITE, ADMIN_SCOPE}), "admin")
    _, write_secret = await insert_key(owner, frozenset({WRITE}), "write only")

    body = await graphql(
        client, DOCUMENTS["rollKey"], {"id": gid(admin_key)}, headers={"X-API-Key": write_secret}
    )

    assert reason_of(body) == KEY_SCOPE_EXCEEDED
    assert not secrets_in(body)
    assert (await ApiKey.get(id=admin_key.id)).key_hash == admin_key.key_hash


async def test_admin_cannot_clear_a_super_admins_allow_list(client: AsyncClient) -> None:
    key, _ = await insert_key(await make_user(roles=(SA,)), frozenset({ADMIN_SCOPE}), "locked")
    token = await login(client, await make_user(roles=(ADMIN,)))

    body = await graphql(client, DOCUMENTS["liftLimits"], {"id": gid(key)}, token=token)

    assert reason_of(body) == NOT_KEY_OWNER
    stored = await ApiKey.get(id=key.id)
    assert (stored.allowed_cidrs_encoded, stored.rate_limit_per_minute) == (
        TARGET_CIDRS,
        TARGET_LIMIT,
    )


@pytest.mark.parametrize(
    "change",
    [{"rateLimitPerMinute": None}, {"rateLimitPerMinute": 100_000}, {"allowedCidrs": None}],
    ids=["remove the rate limit", "raise the rate limit", "clear the allow-list"],
)
async def test_key_cannot_lift_its_own_limits_but_its_owner_can(
    client: AsyncClient, change: dict[str, Any]
) -> None:
    owner = await make_user(roles=(ADMIN,))
    key, secret = await insert_key(owner, frozenset({READ, WRITE}), "limited")
    update = (
        "mutation Update($id: ID!, $input: UpdateApiKeyInput!) {"
        " updateApiKey(id: $id, input: $input) { rateLimitPerMinute allowedCidrs } }"
    )
    variables = {"id": gid(key), "input": change}

    by_itself = await graphql(client, update, variables, headers={"X-API-Key": secret})
    unchanged = await ApiKey.get(id=key.id)
    by_owner = await graphql(client, update, variables, token=await login(client, owner))

    assert reason_of(by_itself) == OWN_KEY_LIMITS
    assert (unchanged.rate_limit_per_minute, unchanged.allowed_cidrs_encoded) == (
        TARGET_LIMIT,
        TARGET_CIDRS,
    )
    assert "errors" not in by_owner, by_owner
    stored = await ApiKey.get(id=key.id)
    assert (stored.rate_limit_per_minute, stored.allowed_cidrs_encoded) != (
        TARGET_LIMIT,
        TARGET_CIDRS,
    )


@pytest.mark.parametrize(
    ("limits", "refusal"),
    [
        ({"rateLimitPerMinute": TARGET_LIMIT - 1, "allowedCidrs": ["127.0.0.1"]}, None),
        ({"rateLimitPerMinute": TARGET_LIMIT, "allowedCidrs": ["127.8.0.0/16"]}, None),
        ({"rateLimitPerMinute": TARGET_LIMIT + 1, "allowedCidrs": [TARGET_CIDRS]}, "rate"),
        ({"rateLimitPerMinute": TARGET_LIMIT}, "no allow-list"),
        ({"rateLimitPerMinute": TARGET_LIMIT, "allowedCidrs": ["126.0.0.0/7"]}, "wider"),
        ({"rateLimitPerMinute": TARGET_LIMIT, "allowedCidrs": ["10.0.0.0/8"]}, "elsewhere"),
        ({"rateLimitPerMinute": TARGET_LIMIT, "allowedCidrs": ["::ffff:127.0.0.1"]}, "IPv6"),
        (
            {"rateLimitPerMinute": TARGET_LIMIT, "allowedCidrs": ["127.0.0.1", "10.0.0.1"]},
            "one outside",
        ),
    ],
    ids=lambda value: value if isinstance(value, str) or value is None else "",
)
async def test_a_limited_key_creates_keys_only_within_its_own_limits(
    client: AsyncClient, limits: dict[str, Any], refusal: str | None
) -> None:
    owner = await make_user(roles=(ADMIN,))
    _, secret = await insert_key(owner, frozenset({READ, WRITE}), "limited")
    name = f"made by a limited key of {owner.id}"

    body = await graphql(
        client,
        CREATE,
        {"input": {"name": name, "scopes": ["READ"], **limits}},
        headers={"X-API-Key": secret},
    )

    if refusal is None:
        assert "errors" not in body, body
    else:
        assert reason_of(body) == KEY_LIMITS_EXCEEDED
        assert not await ApiKey.exists(name=name)
