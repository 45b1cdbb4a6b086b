"""Sessions one can see and end: `mySessions`, `User.sessions`, `node`, `endSession`,
`endOtherSessions`, from each kind of caller, and what the audit log keeps of them."""

from __future__ import annotations

import pytest

from models import AuditEvent, Role, Scope, Session, User
from tests.sessions.session_documents import (
    END_OTHER_SESSIONS,
    END_SESSION,
    ME,
    ME_SESSIONS,
    MY_SESSIONS,
    NODE,
    USER_SESSIONS,
    USERS_SESSIONS,
    my_sessions,
    session_of,
    sid,
    sign_in,
)
from tests.support.factories import PASSWORD, gid, make_api_key, make_user
from tests.support.graphql import GraphQLClient

SA, ADMIN, RO = Role.SUPER_ADMIN, Role.ADMIN, Role.READ_ONLY
EVERY_ROLE = (SA, ADMIN, RO)


async def _signed_in(gql: GraphQLClient, role: Role) -> tuple[User, str]:
    user = await make_user(roles=(role,))
    return user, await sign_in(gql, user.email, PASSWORD)


# --- listing ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", EVERY_ROLE)
async def test_my_sessions_lists_the_callers_live_sessions_newest_first(
    gql: GraphQLClient, role: Role
) -> None:
    user = await make_user(roles=(role,))
    first = await sign_in(gql, user.email, PASSWORD, user_agent="Browser/1")
    second = await sign_in(gql, user.email, PASSWORD, user_agent="Browser/2")
    await _signed_in(gql, role)  # someone else's sessions never show

    listed = await my_sessions(gql, first)

    assert [each["id"] for each in listed] == [
        sid(await session_of(second)),
        sid(await session_of(first)),
    ]
    assert [each["current"] for each in listed] == [False, True]
    assert [each["userAgent"] for each in listed] == ["Browser/2", "Browser/1"]
    assert all(each["mfa"] is False for each in listed)
    assert all(each["clientAddress"] == "127.0.0.1" for each in listed)


async def test_last_seen_falls_back_to_created_at_before_the_first_write(
    gql: GraphQLClient,
) -> None:
    user, token = await _signed_in(gql, RO)
    unused = await sign_in(gql, user.email, PASSWORD)
    # As a session opened another way (or stored before last-seen existed) may be.
    await Session.filter(id=(await session_of(unused)).id).update(last_seen_at=None)

    listed = await my_sessions(gql, token)

    assert listed[0]["id"] == sid(await session_of(unused))
    assert listed[0]["lastSeenAt"] == listed[0]["createdAt"]
    assert listed[0]["expiresAt"] > listed[0]["createdAt"]
    assert (await session_of(unused)).last_seen_at is None


async def test_expired_and_other_users_sessions_are_not_listed(gql: GraphQLClient) -> None:
    user, token = await _signed_in(gql, ADMIN)
    await _signed_in(gql, ADMIN)  # another user's session
    stale = await sign_in(gql, user.email, PASSWORD)
    stale_row = await session_of(stale)
    await Session.filter(id=stale_row.id).update(expires_at=stale_row.created_at)

    listed = await my_sessions(gql, token)

    assert [each["id"] for each in listed] == [sid(await session_of(token))]


async def test_a_user_reads_their_own_sessions_through_me(gql: GraphQLClient) -> None:
    _, token = await _signed_in(gql, RO)

    result = await gql.execute(ME_SESSIONS, token=token)

    assert result.ok, result.body
    assert result.data["me"]["sessions"] == [{"id": sid(await session_of(token)), "current": True}]


async def test_a_super_admin_reads_any_users_sessions(gql: GraphQLClient) -> None:
    _, admin_token = await _signed_in(gql, SA)
    user, token = await _signed_in(gql, RO)

    result = await gql.execute(USER_SESSIONS, {"id": gid(user)}, token=admin_token)

    assert result.ok, result.body
    assert result.data["user"]["sessions"] == [
        {"id": sid(await session_of(token)), "current": False}
    ]


async def test_an_admin_reads_users_but_not_their_sessions(gql: GraphQLClient) -> None:
    admin, admin_token = await _signed_in(gql, ADMIN)
    user, _ = await _signed_in(gql, RO)
    never_signed_in = await make_user(roles=(RO,))

    result = await gql.execute(USER_SESSIONS, {"id": gid(user)}, token=admin_token)
    without = await gql.execute(USER_SESSIONS, {"id": gid(never_signed_in)}, token=admin_token)
    listing = await gql.execute(USERS_SESSIONS, token=admin_token)

    assert result.codes == ["FORBIDDEN"]
    assert result.data == {"user": None} or result.data["user"]["sessions"] is None
    # Refused alike whether the user has sessions or not.
    assert without.codes == ["FORBIDDEN"]
    # In a listing, other users' `sessions` are refused (the non-null list nulls the page).
    assert listing.codes
    assert set(listing.codes) == {"FORBIDDEN"}
    own = await gql.execute(USER_SESSIONS, {"id": gid(admin)}, token=admin_token)
    assert own.ok


async def test_an_admin_reads_their_own_sessions_through_user(gql: GraphQLClient) -> None:
    admin, admin_token = await _signed_in(gql, ADMIN)

    result = await gql.execute(USER_SESSIONS, {"id": gid(admin)}, token=admin_token)

    assert result.ok, result.body
    assert result.data["user"]["sessions"][0]["current"] is True


@pytest.mark.parametrize("scopes", [(Scope.READ,), (Scope.READ, Scope.WRITE, Scope.ADMIN)])
async def test_an_api_key_sees_no_sessions(gql: GraphQLClient, scopes: tuple[Scope, ...]) -> None:
    owner, token = await _signed_in(gql, SA)
    _, secret = await make_api_key(owner, scopes=scopes)
    target = await make_user(roles=(RO,))

    mine = await gql.execute(MY_SESSIONS, token=secret)
    own = await gql.execute(ME_SESSIONS, token=secret)
    others = await gql.execute(USER_SESSIONS, {"id": gid(target)}, token=secret)
    node = await gql.execute(NODE, {"id": sid(await session_of(token))}, token=secret)

    assert mine.codes == ["FORBIDDEN"]
    assert own.codes == ["FORBIDDEN"]
    assert others.codes == ["FORBIDDEN"]
    assert node.codes == ["FORBIDDEN"]


async def test_node_finds_ones_own_session_and_not_another_users(gql: GraphQLClient) -> None:
    _, token = await _signed_in(gql, ADMIN)
    _, other_token = await _signed_in(gql, ADMIN)
    _, admin_token = await _signed_in(gql, SA)
    own_id = sid(await session_of(token))

    own = await gql.execute(NODE, {"id": own_id}, token=token)
    other = await gql.execute(NODE, {"id": own_id}, token=other_token)
    by_super_admin = await gql.execute(NODE, {"id": own_id}, token=admin_token)

    assert own.data["node"]["id"] == own_id
    assert own.data["node"]["current"] is True
    assert own.data["node"]["userAgent"].startswith("python-httpx/")
    assert other.ok
    assert other.data["node"] is None
    assert by_super_admin.data["node"]["id"] == own_id


# --- ending -----------------------------------------------------------------------------


@pytest.mark.parametrize("role", EVERY_ROLE)
async def test_anyone_ends_their_own_other_session_at_once(gql: GraphQLClient, role: Role) -> None:
    user, token = await _signed_in(gql, role)
    other = await sign_in(gql, user.email, PASSWORD)

    result = await gql.execute(END_SESSION, {"id": sid(await session_of(other))}, token=token)

    assert result.ok, result.body
    assert result.data == {"endSession": True}
    assert (await gql.execute(ME, token=other)).codes == ["UNAUTHENTICATED"]
    assert (await gql.execute(ME, token=token)).ok


async def test_ending_the_current_session_signs_out(gql: GraphQLClient) -> None:
    _, token = await _signed_in(gql, RO)

    result = await gql.execute(END_SESSION, {"id": sid(await session_of(token))}, token=token)

    assert result.data == {"endSession": True}
    assert (await gql.execute(ME, token=token)).codes == ["UNAUTHENTICATED"]


@pytest.mark.parametrize("role", [ADMIN, RO])
@pytest.mark.parametrize("target_role", EVERY_ROLE)
async def test_another_users_session_is_not_found_for_anyone_but_a_super_admin(
    gql: GraphQLClient, role: Role, target_role: Role
) -> None:
    caller, token = await _signed_in(gql, role)
    _, target_token = await _signed_in(gql, target_role)
    target_id = sid(await session_of(target_token))
    missing_id = sid(Session(id=10**9))

    result = await gql.execute(END_SESSION, {"id": target_id}, token=token)
    missing = await gql.execute(END_SESSION, {"id": missing_id}, token=token)

    assert result.codes == ["NOT_FOUND"]
    assert missing.codes == ["NOT_FOUND"]
    assert result.errors[0]["message"] == missing.errors[0]["message"]
    assert (await gql.execute(ME, token=target_token)).ok
    refused = await AuditEvent.filter(action="session.end", actor_id=caller.id).order_by("id")
    assert [event.outcome for event in refused] == ["NOT_FOUND", "NOT_FOUND"]


@pytest.mark.parametrize("target_role", EVERY_ROLE)
async def test_a_super_admin_ends_anyones_session(gql: GraphQLClient, target_role: Role) -> None:
    admin, token = await _signed_in(gql, SA)
    target, target_token = await _signed_in(gql, target_role)
    target_session = await session_of(target_token)

    result = await gql.execute(END_SESSION, {"id": sid(target_session)}, token=token)

    assert result.data == {"endSession": True}
    assert (await gql.execute(ME, token=target_token)).codes == ["UNAUTHENTICATED"]
    (event,) = await AuditEvent.filter(action="session.end", outcome="OK")
    assert (event.actor_type, event.actor_id) == ("user", admin.id)
    assert (event.target_type, event.target_id) == ("session", target_session.id)
    assert event.details == {"userId": target.id, "current": False}


@pytest.mark.parametrize("scopes", [(Scope.READ,), (Scope.READ, Scope.WRITE, Scope.ADMIN)])
async def test_an_api_key_ends_no_session_and_the_refusal_is_recorded(
    gql: GraphQLClient, scopes: tuple[Scope, ...]
) -> None:
    owner, token = await _signed_in(gql, SA)
    key, secret = await make_api_key(owner, scopes=scopes)
    session_id = sid(await session_of(token))

    ended = await gql.execute(END_SESSION, {"id": session_id}, token=secret)
    others = await gql.execute(END_OTHER_SESSIONS, token=secret)

    assert ended.codes == ["FORBIDDEN"]
    assert others.codes == ["FORBIDDEN"]
    assert (await gql.execute(ME, token=token)).ok
    refusals = await AuditEvent.filter(actor_type="api_key", actor_id=key.id).order_by("id")
    assert [(event.action, event.outcome) for event in refusals] == [
        ("session.end", "FORBIDDEN"),
        ("session.end_others", "FORBIDDEN"),
    ]


async def test_a_malformed_or_foreign_id_is_not_found(gql: GraphQLClient) -> None:
    user, token = await _signed_in(gql, SA)

    for bad in ["nonsense", gid(user)]:
        result = await gql.execute(END_SESSION, {"id": bad}, token=token)
        assert result.codes == ["NOT_FOUND"], bad


async def test_an_anonymous_caller_ends_nothing(gql: GraphQLClient) -> None:
    _, token = await _signed_in(gql, SA)

    result = await gql.execute(END_SESSION, {"id": sid(await session_of(token))})
    others = await gql.execute(END_OTHER_SESSIONS)

    assert result.codes == ["UNAUTHENTICATED"]
    assert others.codes == ["UNAUTHENTICATED"]
    assert await Session.all().count() == 1


@pytest.mark.parametrize("role", EVERY_ROLE)
async def test_end_other_sessions_keeps_only_this_one(gql: GraphQLClient, role: Role) -> None:
    user, token = await _signed_in(gql, role)
    others = [await sign_in(gql, user.email, PASSWORD) for _ in range(3)]
    _, bystander = await _signed_in(gql, role)

    result = await gql.execute(END_OTHER_SESSIONS, token=token)

    assert result.data == {"endOtherSessions": 3}
    for other in others:
        assert (await gql.execute(ME, token=other)).codes == ["UNAUTHENTICATED"]
    assert (await gql.execute(ME, token=token)).ok
    assert (await gql.execute(ME, token=bystander)).ok
    (event,) = await AuditEvent.filter(action="session.end_others")
    assert (event.target_type, event.target_id, event.details) == (
        "user",
        user.id,
        {"sessionsEnded": 3},
    )
    again = await gql.execute(END_OTHER_SESSIONS, token=token)
    assert again.data == {"endOtherSessions": 0}


async def test_no_session_token_reaches_an_answer_or_the_audit_log(gql: GraphQLClient) -> None:
    user, token = await _signed_in(gql, SA)
    other = await sign_in(gql, user.email, PASSWORD)
    await gql.execute(END_SESSION, {"id": sid(await session_of(other))}, token=token)

    listed = await gql.execute(MY_SESSIONS, token=token)

    assert token not in str(listed.body)
    for event in await AuditEvent.all():
        assert token not in str(event.details)
        assert other not in str(event.details)
