"""Reading the audit log: who may, filters, pages newest first; and pruning it by age."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from httpx import AsyncClient

from auth.audit import AuditAction, AuditTarget, audit
from auth.principal import Anonymous
from models import AuditEvent, Role, Scope, User
from resolvers.audit import prune_audit_events
from tests.support.database import column
from tests.support.factories import gid, make_api_key, make_user, pk
from tests.support.graphql import error_codes, graphql, login

SA, ADMIN, RO = Role.SUPER_ADMIN, Role.ADMIN, Role.READ_ONLY
START = datetime(2031, 3, 1, 9, 0, tzinfo=UTC)

AUDIT_LOG = """
query AuditLog($first: Int, $after: String, $filter: AuditFilter) {
  auditLog(first: $first, after: $after, filter: $filter) {
    totalCount
    edges { cursor node { id action } }
    nodes { id at actorType actorId action targetId outcome }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def log_of(body: dict[str, Any]) -> dict[str, Any]:
    assert "errors" not in body, body
    connection: dict[str, Any] = body["data"]["auditLog"]
    return connection


async def record(action: AuditAction, *, target_id: int | None = None, outcome: str = "OK") -> int:
    event = await audit(
        Anonymous(client_address="192.0.2.7"),
        action,
        outcome=outcome,
        target_type=AuditTarget.USER,
        target_id=target_id,
    )
    event_id: int = event.id
    return event_id


# --- who may read it ------------------------------------------------------------------


@pytest.mark.parametrize(("role", "allowed"), [(SA, True), (ADMIN, False), (RO, False)])
async def test_only_super_admins_read_the_audit_log(
    client: AsyncClient, role: Role, allowed: bool
) -> None:
    caller = await make_user(roles=(role,))
    token = await login(client, caller)

    body = await graphql(client, AUDIT_LOG, token=token)

    if allowed:
        assert log_of(body)["totalCount"] >= 1
    else:
        assert error_codes(body) == ["FORBIDDEN"]
        assert body["data"] is None


@pytest.mark.parametrize(
    ("owner_role", "scopes", "allowed"),
    [
        pytest.param(SA, (Scope.READ,), True, id="SUPER_ADMIN-READ"),
        pytest.param(SA, (Scope.WRITE, Scope.ADMIN), False, id="SUPER_ADMIN-WRITE+ADMIN"),
        pytest.param(ADMIN, (Scope.READ, Scope.WRITE, Scope.ADMIN), False, id="ADMIN-all"),
        pytest.param(RO, (Scope.READ,), False, id="READ_ONLY-READ"),
    ],
)
async def test_keys_read_the_audit_log_with_read_scope_and_a_super_admin_owner(
    client: AsyncClient, owner_role: Role, scopes: tuple[Scope, ...], allowed: bool
) -> None:
    owner = await make_user(roles=(owner_role,))
    _, secret = await make_api_key(owner, scopes=scopes)

    body = await graphql(client, AUDIT_LOG, headers={"X-API-Key": secret})

    if allowed:
        assert log_of(body)["totalCount"] >= 1
    else:
        assert error_codes(body) == ["FORBIDDEN"]


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer gs_" + "A" * 43}],
    ids=["anonymous", "unknown-token"],
)
async def test_the_audit_log_needs_a_credential(
    client: AsyncClient, headers: dict[str, str]
) -> None:
    body = await graphql(client, AUDIT_LOG, headers=headers)

    assert error_codes(body) == ["UNAUTHENTICATED"]


# --- filters and pages ----------------------------------------------------------------


@pytest.fixture
async def reader(client: AsyncClient, super_admin: User) -> str:
    return await login(client, super_admin)


async def test_the_log_is_newest_first_in_pages(client: AsyncClient, reader: str) -> None:
    ids = [await record(AuditAction.USER_UPDATE, target_id=n) for n in range(1, 6)]

    pages: list[list[str]] = []
    after = None
    while True:
        body = await graphql(
            client,
            AUDIT_LOG,
            {"first": 2, "after": after, "filter": {"action": "user.update"}},
            token=reader,
        )
        connection = log_of(body)
        assert connection["totalCount"] == 5
        pages.append([node["id"] for node in connection["nodes"]])
        assert [edge["node"]["id"] for edge in connection["edges"]] == pages[-1]
        if not connection["pageInfo"]["hasNextPage"]:
            break
        after = connection["pageInfo"]["endCursor"]

    assert pages == [[str(i) for i in ids[4:2:-1]], [str(i) for i in ids[2:0:-1]], [str(ids[0])]]


@pytest.mark.parametrize(
    ("variables", "message_part"),
    [
        pytest.param({"first": 101}, "first", id="first-over-100"),
        pytest.param({"first": 0}, "first", id="first-zero"),
        pytest.param({"after": "bm90IGEgY3Vyc29y"}, "after", id="foreign-cursor"),
        pytest.param({"filter": {"actorId": "abc"}}, "actorId", id="malformed-actor-id"),
        pytest.param({"filter": {"targetId": "-1"}}, "targetId", id="malformed-target-id"),
        pytest.param({"filter": {"action": "x" * 65}}, "64", id="long-action"),
        pytest.param({"filter": {"outcome": "x" * 33}}, "32", id="long-outcome"),
    ],
)
async def test_malformed_arguments_are_bad_user_input(
    client: AsyncClient, reader: str, variables: dict[str, Any], message_part: str
) -> None:
    body = await graphql(client, AUDIT_LOG, variables, token=reader)

    assert error_codes(body) == ["BAD_USER_INPUT"]
    assert message_part in body["errors"][0]["message"]


async def test_filters_by_actor_action_target_and_outcome(
    client: AsyncClient, super_admin: User, reader: str
) -> None:
    other = await make_user(roles=(ADMIN,))
    other_token = await login(client, other)
    await graphql(client, "mutation { logout }", token=other_token)
    refused = await record(AuditAction.USER_DELETE, target_id=other.id, outcome="FORBIDDEN")
    await record(AuditAction.USER_DELETE, target_id=other.id + 1000)

    async def matching(**criteria: Any) -> list[str]:
        nodes = log_of(await graphql(client, AUDIT_LOG, {"filter": criteria}, token=reader))
        return [f"{node['action']}:{node['outcome']}" for node in nodes["nodes"]]

    assert await matching(actorId=gid(other)) == ["session.logout:OK", "session.login:OK"]
    assert await matching(actorId=gid(other), action="session.logout") == ["session.logout:OK"]
    assert await matching(targetId=gid(other), action="user.delete") == ["user.delete:FORBIDDEN"]
    assert await matching(outcome="FORBIDDEN") == ["user.delete:FORBIDDEN"]
    assert await matching(action="no.such.action") == []
    (node,) = log_of(
        await graphql(client, AUDIT_LOG, {"filter": {"outcome": "FORBIDDEN"}}, token=reader)
    )["nodes"]
    assert node["id"] == str(refused)


async def test_filters_by_time_since_inclusive_until_exclusive(
    client: AsyncClient, reader: str
) -> None:
    for days in range(3):
        with time_machine.travel(START + timedelta(days=days), tick=False):
            await record(AuditAction.USER_UPDATE, target_id=days + 1)

    async def targets(**criteria: Any) -> list[str]:
        criteria = {"action": "user.update", **criteria}
        nodes = log_of(await graphql(client, AUDIT_LOG, {"filter": criteria}, token=reader))
        return [str(pk(node["targetId"])) for node in nodes["nodes"]]

    day_two = (START + timedelta(days=1)).isoformat()
    day_three = (START + timedelta(days=2)).isoformat()
    assert await targets(since=day_two) == ["3", "2"]
    assert await targets(until=day_two) == ["1"]
    assert await targets(since=day_two, until=day_three) == ["2"]
    assert await targets(since=day_three, until=day_two) == []


async def test_event_times_are_utc(client: AsyncClient, reader: str) -> None:
    with time_machine.travel(START, tick=False):
        await record(AuditAction.USER_UPDATE, target_id=1)

    body = await graphql(client, AUDIT_LOG, {"filter": {"action": "user.update"}}, token=reader)

    (node,) = log_of(body)["nodes"]
    assert datetime.fromisoformat(node["at"]) == START


# --- pruning --------------------------------------------------------------------------


async def test_pruning_deletes_only_events_past_the_retention(
    db: None, caplog: pytest.LogCaptureFixture
) -> None:
    with time_machine.travel(START, tick=False):
        old = [await record(AuditAction.USER_UPDATE) for _ in range(3)]
    with time_machine.travel(START + timedelta(days=300), tick=False):
        kept = await record(AuditAction.USER_UPDATE)

    with (
        time_machine.travel(START + timedelta(days=366), tick=False),
        caplog.at_level(logging.INFO, "gatehouse.audit"),
    ):
        removed = await prune_audit_events(365, batch_size=2)

    assert removed == len(old)
    assert await column(AuditEvent.all().values_list("id", flat=True)) == [kept]
    assert "pruned 3 audit events older than 365 days" in caplog.text


async def test_pruning_twice_at_once_removes_each_event_once(db: None) -> None:
    with time_machine.travel(START, tick=False):
        for _ in range(25):
            await record(AuditAction.USER_UPDATE)

    with time_machine.travel(START + timedelta(days=400), tick=False):
        first, second = await asyncio.gather(
            prune_audit_events(365, batch_size=4), prune_audit_events(365, batch_size=4)
        )

    assert first + second == 25
    assert await AuditEvent.all().count() == 0


async def test_pruning_an_empty_log_removes_nothing(db: None) -> None:
    assert await prune_audit_events(365) == 0
