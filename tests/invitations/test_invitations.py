"""Invitations from invite to sign-in: accepted, resent, revoked, expired, used, listed;
through the real app and database."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import time_machine

from auth.tokens import hash_secret
from core.enums import InvitationStatus
from models import AuditEvent, Invitation, Session, User
from tests.support.factories import gid, make_user, pk
from tests.support.graphql import GraphQLClient
from tests.support.invitations import (
    ACCEPT,
    INVITATION_NODE,
    INVITATIONS,
    INVITE,
    ME,
    NEW_PASSWORD,
    RESEND,
    REVOKE,
    accept,
    invite,
)
from tests.support.limiter import app_client

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
INVALID = {"code": "UNAUTHENTICATED", "reason": "INVITATION_INVALID"}


def refusal(result_errors: list[dict[str, object]]) -> object:
    (error,) = result_errors
    return error["extensions"]


async def test_an_invited_person_accepts_and_is_signed_in_with_the_invited_roles(
    gql: GraphQLClient, super_admin: User
) -> None:
    admin_token = await gql.login(super_admin)
    invitation_id, token = await invite(gql, admin_token, "Ann@Example.com", ("ADMIN", "READ_ONLY"))

    accepted = await accept(gql, token)

    assert accepted.ok, accepted.body
    payload = accepted.data["acceptInvitation"]
    assert payload["user"]["email"] == "ann@example.com"
    assert sorted(payload["user"]["roles"]) == ["ADMIN", "READ_ONLY"]
    me = await gql.execute(ME, token=payload["token"])
    assert me.data["me"]["email"] == "ann@example.com"
    user = await User.get(email="ann@example.com")
    assert user.last_login_at is not None
    invitation = await Invitation.get(id=pk(invitation_id))
    assert invitation.accepted_user_id == user.id
    assert invitation.status_at(datetime.now(UTC)) == InvitationStatus.ACCEPTED
    # The password chosen on accepting signs in.
    assert await gql.login(user, NEW_PASSWORD)


async def test_the_invitation_shows_who_invited_and_when_it_expires(
    gql: GraphQLClient, super_admin: User
) -> None:
    with time_machine.travel(NOW, tick=False):
        result = await gql.execute(
            INVITE,
            {"input": {"email": "bo@example.com", "displayName": "Bo", "roles": ["READ_ONLY"]}},
            token=await gql.login(super_admin),
        )

    invitation = result.data["inviteUser"]["invitation"]
    assert invitation["status"] == "PENDING"
    assert invitation["invitedBy"] == {"id": gid(super_admin)}
    assert invitation["acceptedAt"] is None
    assert datetime.fromisoformat(invitation["expiresAt"]) == NOW + timedelta(hours=72)
    assert result.data["inviteUser"]["token"].startswith("gi_")


async def test_invitation_ttl_hours_sets_the_expiry(super_admin: User) -> None:
    with time_machine.travel(NOW, tick=False):
        async with app_client(invitation_ttl_hours=5) as client:
            gql = GraphQLClient(client)
            invitation_id, _ = await invite(gql, await gql.login(super_admin))

    assert (await Invitation.get(id=pk(invitation_id))).expires_at == NOW + timedelta(hours=5)


async def test_accepting_may_choose_another_display_name(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, token = await invite(gql, await gql.login(super_admin), display_name="Given Name")

    accepted = await accept(gql, token, display_name="  Chosen Name ")

    assert accepted.data["acceptInvitation"]["user"]["displayName"] == "Chosen Name"


async def test_a_used_token_is_refused_like_an_unknown_one(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, token = await invite(gql, await gql.login(super_admin))
    assert (await accept(gql, token)).ok

    used = await accept(gql, token, password="another passphrase here")
    unknown = await accept(gql, "gi_" + "A" * 43)
    malformed = await accept(gql, "not a token")

    assert refusal(used.errors) == INVALID
    assert used.errors == unknown.errors == malformed.errors
    assert used.data is None
    assert await User.filter(email="new.person@example.com").count() == 1


async def test_resend_gives_a_new_token_and_the_old_one_stops_working(
    gql: GraphQLClient, super_admin: User
) -> None:
    admin_token = await gql.login(super_admin)
    with time_machine.travel(NOW, tick=False) as clock:
        invitation_id, old_token = await invite(gql, admin_token)
        clock.shift(timedelta(hours=10))
        resent = await gql.execute(RESEND, {"id": invitation_id}, token=admin_token)

        new_token = resent.data["resendInvitation"]["token"]
        assert new_token != old_token
        assert datetime.fromisoformat(
            resent.data["resendInvitation"]["invitation"]["expiresAt"]
        ) == NOW + timedelta(hours=82)
        assert refusal((await accept(gql, old_token)).errors) == INVALID
        assert (await accept(gql, new_token)).ok


async def test_a_revoked_invitation_cannot_be_accepted_nor_resent(
    gql: GraphQLClient, super_admin: User
) -> None:
    admin_token = await gql.login(super_admin)
    invitation_id, token = await invite(gql, admin_token)

    revoked = await gql.execute(REVOKE, {"id": invitation_id}, token=admin_token)
    again = await gql.execute(REVOKE, {"id": invitation_id}, token=admin_token)
    resent = await gql.execute(RESEND, {"id": invitation_id}, token=admin_token)

    assert revoked.data == {"revokeInvitation": True}
    assert again.data == {"revokeInvitation": True}
    assert refusal(resent.errors) == {"code": "CONFLICT", "reason": "INVITATION_REVOKED"}
    assert refusal((await accept(gql, token)).errors) == INVALID
    assert not await User.exists(email="new.person@example.com")
    node = await gql.execute(INVITATION_NODE, {"id": invitation_id}, token=admin_token)
    assert node.data["node"]["status"] == "REVOKED"


async def test_an_accepted_invitation_cannot_be_revoked_nor_resent(
    gql: GraphQLClient, super_admin: User
) -> None:
    admin_token = await gql.login(super_admin)
    invitation_id, token = await invite(gql, admin_token)
    assert (await accept(gql, token)).ok

    revoked = await gql.execute(REVOKE, {"id": invitation_id}, token=admin_token)
    resent = await gql.execute(RESEND, {"id": invitation_id}, token=admin_token)

    assert refusal(revoked.errors) == {"code": "CONFLICT", "reason": "INVITATION_ACCEPTED"}
    assert refusal(resent.errors) == {"code": "CONFLICT", "reason": "INVITATION_ACCEPTED"}


async def test_an_expired_invitation_is_refused_and_a_resend_revives_it(
    gql: GraphQLClient, super_admin: User
) -> None:
    admin_token = await gql.login(super_admin)
    with time_machine.travel(NOW, tick=False) as clock:
        invitation_id, token = await invite(gql, admin_token)
        clock.shift(timedelta(hours=72))

        expired = await accept(gql, token)
        node = await gql.execute(INVITATION_NODE, {"id": invitation_id}, token=admin_token)
        resent = await gql.execute(RESEND, {"id": invitation_id}, token=admin_token)
        accepted = await accept(gql, resent.data["resendInvitation"]["token"])

    assert refusal(expired.errors) == INVALID
    assert node.data["node"]["status"] == "EXPIRED"
    assert resent.data["resendInvitation"]["invitation"]["status"] == "PENDING"
    assert accepted.ok, accepted.body


async def test_an_email_of_a_user_or_of_a_pending_invitation_is_conflict(
    gql: GraphQLClient, super_admin: User
) -> None:
    admin_token = await gql.login(super_admin)
    await make_user(email="taken@example.com")
    invitation_id, _ = await invite(gql, admin_token, "pending@example.com")

    def attempt(email: str) -> dict[str, object]:
        return {"input": {"email": email, "displayName": "X", "roles": ["ADMIN"]}}

    user_taken = await gql.execute(INVITE, attempt("TAKEN@example.com"), token=admin_token)
    # Full-width letters are the same address once NFKC-normalised.
    pending = await gql.execute(INVITE, attempt("ｐｅｎｄｉｎｇ@example.com"), token=admin_token)

    assert refusal(user_taken.errors) == {"code": "CONFLICT"}
    assert refusal(pending.errors) == {"code": "CONFLICT", "reason": "INVITATION_PENDING"}
    await gql.execute(REVOKE, {"id": invitation_id}, token=admin_token)
    assert (await gql.execute(INVITE, attempt("pending@example.com"), token=admin_token)).ok


async def test_an_expired_invitation_no_longer_holds_its_email(
    gql: GraphQLClient, super_admin: User
) -> None:
    admin_token = await gql.login(super_admin)
    first_id, _ = await invite(gql, admin_token)
    await Invitation.filter(id=pk(first_id)).update(expires_at=datetime.now(UTC))

    second_id, token = await invite(gql, admin_token)

    assert second_id != first_id
    assert (await accept(gql, token)).ok
    # The older invitation of the address cannot be revived over the new user.
    resent = await gql.execute(RESEND, {"id": first_id}, token=admin_token)
    assert refusal(resent.errors) == {"code": "CONFLICT"}


async def test_an_email_taken_since_the_invitation_is_conflict_on_accepting(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, token = await invite(gql, await gql.login(super_admin), "later@example.com")
    await make_user(email="later@example.com")

    accepted = await accept(gql, token)

    assert refusal(accepted.errors) == {"code": "CONFLICT"}
    assert await User.filter(email="later@example.com").count() == 1


async def test_two_acceptances_at_once_create_one_user(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, token = await invite(gql, await gql.login(super_admin))

    results = await asyncio.gather(*(accept(gql, token) for _ in range(3)))

    assert sorted(result.ok for result in results) == [False, False, True]
    assert all(refusal(r.errors) == INVALID for r in results if not r.ok)
    assert await User.filter(email="new.person@example.com").count() == 1


async def test_a_weak_password_is_refused_before_the_token_is_looked_at(
    gql: GraphQLClient, super_admin: User
) -> None:
    invitation_id, token = await invite(gql, await gql.login(super_admin))

    short = await accept(gql, token, password="too short")
    unknown_short = await accept(gql, "gi_unknown", password="too short")

    assert short.codes == unknown_short.codes == ["BAD_USER_INPUT"]
    assert short.errors == unknown_short.errors
    invitation = await Invitation.get(id=pk(invitation_id))
    assert invitation.accepted_at is None


async def test_a_common_password_is_refused_alike_for_any_token(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, token = await invite(gql, await gql.login(super_admin))

    common = await accept(gql, token, password="password1234")
    unknown = await accept(gql, "gi_" + "C" * 43, password="password1234")

    assert refusal(common.errors) == {"code": "BAD_USER_INPUT", "reason": "WEAK_PASSWORD"}
    assert common.errors == unknown.errors
    assert (await accept(gql, token)).ok


async def test_a_password_holding_the_invited_emails_name_is_weak(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, token = await invite(gql, await gql.login(super_admin), "margarethe@example.com")

    weak = await accept(gql, token, password="Margarethe's own phrase")

    assert refusal(weak.errors) == {"code": "BAD_USER_INPUT", "reason": "WEAK_PASSWORD"}
    assert not await User.exists(email="margarethe@example.com")


async def test_the_new_session_records_the_address_and_user_agent(
    gql: GraphQLClient, super_admin: User
) -> None:
    _, token = await invite(gql, await gql.login(super_admin))

    accepted = await gql.execute(
        ACCEPT,
        {"token": token, "password": NEW_PASSWORD},
        headers={"User-Agent": "Mail-Link-Browser/1.0"},
    )

    assert accepted.ok, accepted.body
    user = await User.get(email="new.person@example.com")
    session = await Session.get(user_id=user.id)
    assert session.user_agent == "Mail-Link-Browser/1.0"
    assert session.client_address == "127.0.0.1"


async def test_invitations_are_listed_newest_first_and_filtered_by_status(
    gql: GraphQLClient, super_admin: User
) -> None:
    admin_token = await gql.login(super_admin)
    ids = {}
    for name in ("accepted", "revoked", "expired", "pending"):
        ids[name], token = await invite(gql, admin_token, f"{name}@example.com")
        if name == "accepted":
            assert (await accept(gql, token)).ok
    await gql.execute(REVOKE, {"id": ids["revoked"]}, token=admin_token)
    # Aged in the database: its expiry has passed.
    await Invitation.filter(id=pk(ids["expired"])).update(
        expires_at=datetime.now(UTC) - timedelta(seconds=1)
    )

    everything = await gql.execute(INVITATIONS, {"first": 10}, token=admin_token)
    by_status = {
        status: await gql.execute(INVITATIONS, {"status": status}, token=admin_token)
        for status in ("PENDING", "ACCEPTED", "EXPIRED", "REVOKED")
    }

    listed = everything.data["invitations"]
    assert [edge["node"]["id"] for edge in listed["edges"]] == [
        ids["pending"],
        ids["expired"],
        ids["revoked"],
        ids["accepted"],
    ]
    assert listed["totalCount"] == 4
    for status, result in by_status.items():
        (edge,) = result.data["invitations"]["edges"]
        assert edge["node"]["id"] == ids[status.lower()]
        assert edge["node"]["status"] == status
        assert result.data["invitations"]["totalCount"] == 1


async def test_invitations_page_forward_and_backward(gql: GraphQLClient, super_admin: User) -> None:
    admin_token = await gql.login(super_admin)
    ids = [(await invite(gql, admin_token, f"p{n}@example.com"))[0] for n in range(5)]
    newest_first = list(reversed(ids))

    first = await gql.execute(INVITATIONS, {"first": 2}, token=admin_token)
    cursor = first.data["invitations"]["pageInfo"]["endCursor"]
    second = await gql.execute(INVITATIONS, {"first": 2, "after": cursor}, token=admin_token)
    last = await gql.execute(INVITATIONS, {"last": 2}, token=admin_token)
    start = last.data["invitations"]["pageInfo"]["startCursor"]
    before = await gql.execute(INVITATIONS, {"last": 2, "before": start}, token=admin_token)
    too_many = await gql.execute(INVITATIONS, {"first": 101}, token=admin_token)

    def page(result: object) -> list[str]:
        return [edge["node"]["id"] for edge in result.data["invitations"]["edges"]]  # type: ignore[attr-defined]

    assert page(first) == newest_first[:2]
    assert first.data["invitations"]["pageInfo"]["hasNextPage"] is True
    assert page(second) == newest_first[2:4]
    assert page(last) == newest_first[3:]
    assert page(before) == newest_first[1:3]
    assert too_many.codes == ["BAD_USER_INPUT"]


async def test_each_action_is_audited_on_the_invitation(
    gql: GraphQLClient, super_admin: User
) -> None:
    admin_token = await gql.login(super_admin)
    invitation_id, _ = await invite(gql, admin_token, roles=("READ_ONLY",))
    resent = await gql.execute(RESEND, {"id": invitation_id}, token=admin_token)
    assert (await accept(gql, resent.data["resendInvitation"]["token"])).ok
    revoked_id, _ = await invite(gql, admin_token, "other@example.com")
    await gql.execute(REVOKE, {"id": revoked_id}, token=admin_token)

    events = await AuditEvent.filter(target_type="invitation").order_by("id")

    user = await User.get(email="new.person@example.com")
    assert [(e.action, e.outcome, e.target_id) for e in events] == [
        ("invitation.create", "OK", pk(invitation_id)),
        ("invitation.resend", "OK", pk(invitation_id)),
        ("invitation.accept", "OK", pk(invitation_id)),
        ("invitation.create", "OK", pk(revoked_id)),
        ("invitation.revoke", "OK", pk(revoked_id)),
    ]
    accepted = events[2]
    assert (accepted.actor_type, accepted.actor_id) == ("user", user.id)
    assert accepted.details == {
        "email": "new.person@example.com",
        "userId": user.id,
        "roles": ["READ_ONLY"],
    }
    assert events[0].details is not None
    assert events[0].details["roles"] == ["READ_ONLY"]


async def test_a_refused_acceptance_is_audited_with_why_for_super_admins_only(
    gql: GraphQLClient, super_admin: User
) -> None:
    admin_token = await gql.login(super_admin)
    invitation_id, token = await invite(gql, admin_token)
    await gql.execute(REVOKE, {"id": invitation_id}, token=admin_token)

    await accept(gql, token)
    await accept(gql, "gi_" + "B" * 43)

    revoked, unknown = await AuditEvent.filter(
        action="invitation.accept", outcome="UNAUTHENTICATED"
    ).order_by("id")
    assert revoked.actor_type == "anonymous"
    assert (revoked.target_type, revoked.target_id) == ("invitation", pk(invitation_id))
    assert revoked.details == {"email": "new.person@example.com", "reason": "revoked"}
    assert (unknown.target_id, unknown.details) == (
        None,
        {"email": None, "reason": "unknown_token"},
    )


async def test_the_token_is_stored_only_as_its_hash(gql: GraphQLClient, super_admin: User) -> None:
    invitation_id, token = await invite(gql, await gql.login(super_admin))

    invitation = await Invitation.get(id=pk(invitation_id))

    assert invitation.token_hash == hash_secret(token)
    assert token not in str(await Invitation.filter(id=invitation.id).values())
