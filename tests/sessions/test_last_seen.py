"""What a session records about its use: last seen (written at most about once a minute,
not per request), the client's address and user agent at sign-in, and the idle timeout."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import time_machine

from auth.sessions import LAST_SEEN_INTERVAL, SeenWrites, note_seen
from gatehouse.app import create_app
from models import Role, Session
from tests.sessions.session_documents import ME, my_sessions, session_of, sign_in
from tests.support.database import SETTINGS
from tests.support.factories import PASSWORD, make_user
from tests.support.graphql import GraphQLClient
from tests.support.statements import counting_queries

START = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
async def idle_gql(db: None) -> AsyncIterator[GraphQLClient]:
    """The app with SESSION_IDLE_MINUTES=10."""
    app = create_app(replace(SETTINGS, session_idle_minutes=10), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield GraphQLClient(client)


async def _last_seen(token: str) -> datetime | None:
    return (await session_of(token)).last_seen_at


# --- last seen ---------------------------------------------------------------------------


async def test_last_seen_is_written_at_most_once_a_minute(gql: GraphQLClient) -> None:
    user = await make_user()
    with time_machine.travel(START, tick=False) as clock:
        token = await sign_in(gql, user.email, PASSWORD)
        assert await _last_seen(token) == START  # sign-in counts as use

        assert (await gql.execute(ME, token=token)).ok
        assert await _last_seen(token) == START

        for seconds in (1, 20, 45, 59):
            clock.move_to(START + timedelta(seconds=seconds))
            assert (await gql.execute(ME, token=token)).ok
            assert await _last_seen(token) == START, seconds

        clock.move_to(START + timedelta(seconds=61))
        assert (await gql.execute(ME, token=token)).ok
        assert await _last_seen(token) == START + timedelta(seconds=61)


async def test_a_session_never_written_is_written_on_first_use(gql: GraphQLClient) -> None:
    # As a session opened another way (or stored before last-seen existed) may be.
    user = await make_user()
    with time_machine.travel(START, tick=False) as clock:
        token = await sign_in(gql, user.email, PASSWORD)
        await Session.filter(token_hash=(await session_of(token)).token_hash).update(
            last_seen_at=None
        )
        clock.move_to(START + timedelta(seconds=5))

        assert (await gql.execute(ME, token=token)).ok

    assert await _last_seen(token) == START + timedelta(seconds=5)


async def test_a_session_is_shown_with_its_last_seen_time(gql: GraphQLClient) -> None:
    user = await make_user()
    with time_machine.travel(START, tick=False) as clock:
        token = await sign_in(gql, user.email, PASSWORD)
        clock.move_to(START + timedelta(minutes=5))

        (listed,) = await my_sessions(gql, token)

    assert datetime.fromisoformat(listed["createdAt"]) == START
    assert datetime.fromisoformat(listed["lastSeenAt"]) == START + timedelta(minutes=5)


async def test_a_stale_time_is_written_once_by_concurrent_requests(gql: GraphQLClient) -> None:
    user = await make_user()
    with time_machine.travel(START, tick=False) as clock:
        token = await sign_in(gql, user.email, PASSWORD)
        await gql.execute(ME, token=token)
        clock.move_to(START + timedelta(minutes=2))
        stale = await session_of(token)  # as a second request (or process) read it

        assert (await gql.execute(ME, token=token)).ok  # the first writes
        later = START + timedelta(minutes=2, seconds=10)
        # The second, in another process, changes no row.
        await note_seen(stale, later, LAST_SEEN_INTERVAL, SeenWrites())

    assert await _last_seen(token) == START + timedelta(minutes=2)


async def test_concurrent_requests_of_a_stale_session_in_one_process_write_once(
    gql: GraphQLClient,
) -> None:
    user = await make_user()
    with time_machine.travel(START, tick=False) as clock:
        token = await sign_in(gql, user.email, PASSWORD)
        await gql.execute(ME, token=token)
        clock.move_to(START + timedelta(minutes=2))

        # Each reads the stale time before the first write is done; the others do not
        # queue writes that would change no row.
        with counting_queries() as statements:
            answers = await asyncio.gather(*(gql.execute(ME, token=token) for _ in range(20)))

    assert all(answer.ok for answer in answers)
    writes = [sql for sql in statements if sql.lstrip().upper().startswith("UPDATE")]
    assert len(writes) == 1, writes
    assert await _last_seen(token) == START + timedelta(minutes=2)


# --- address and user agent -----------------------------------------------------------


async def test_sign_in_records_the_address_and_user_agent(gql: GraphQLClient) -> None:
    user = await make_user()

    token = await sign_in(gql, user.email, PASSWORD, user_agent="Mozilla/5.0 (X11) Firefox/140")

    row = await session_of(token)
    assert row.client_address == "127.0.0.1"  # httpx's ASGITransport peer
    assert row.user_agent == "Mozilla/5.0 (X11) Firefox/140"


async def test_a_long_user_agent_is_trimmed_and_control_characters_dropped(
    gql: GraphQLClient,
) -> None:
    user = await make_user()

    long_token = await sign_in(gql, user.email, PASSWORD, user_agent="A" * 2000)
    odd_token = await sign_in(gql, user.email, PASSWORD, user_agent=" Agent\x1b[31m/1\x7f\t ")
    blank_token = await sign_in(gql, user.email, PASSWORD, user_agent="\x1b\x7f ")

    assert (await session_of(long_token)).user_agent == "A" * 512
    assert (await session_of(odd_token)).user_agent == "Agent[31m/1"
    assert (await session_of(blank_token)).user_agent is None


# --- idle timeout ---------------------------------------------------------------------


async def test_without_an_idle_timeout_an_unused_session_goes_on(gql: GraphQLClient) -> None:
    user = await make_user()
    with time_machine.travel(START, tick=False) as clock:
        token = await sign_in(gql, user.email, PASSWORD)
        clock.move_to(START + timedelta(hours=11))

        assert (await gql.execute(ME, token=token)).ok


async def test_a_session_unused_for_longer_than_the_idle_timeout_is_refused_and_ended(
    idle_gql: GraphQLClient,
) -> None:
    user = await make_user(roles=(Role.READ_ONLY,))
    with time_machine.travel(START, tick=False) as clock:
        token = await sign_in(idle_gql, user.email, PASSWORD)
        row = await session_of(token)
        clock.move_to(START + timedelta(minutes=9))
        assert (await idle_gql.execute(ME, token=token)).ok
        clock.move_to(START + timedelta(minutes=18))
        assert (await idle_gql.execute(ME, token=token)).ok

        clock.move_to(START + timedelta(minutes=28, seconds=1))
        refused = await idle_gql.execute(ME, token=token)
        again = await idle_gql.execute(ME, token=token)

    assert refused.codes == ["UNAUTHENTICATED"]
    assert refused.errors[0]["extensions"]["reason"] == "SESSION_IDLE"
    assert not await Session.exists(id=row.id)
    assert again.codes == ["UNAUTHENTICATED"]  # ended: now an unknown token
    assert "reason" not in again.errors[0]["extensions"]


async def test_idle_sessions_are_not_listed(idle_gql: GraphQLClient) -> None:
    user = await make_user()
    with time_machine.travel(START, tick=False) as clock:
        idle = await sign_in(idle_gql, user.email, PASSWORD)
        clock.move_to(START + timedelta(minutes=11))
        token = await sign_in(idle_gql, user.email, PASSWORD)

        listed = await my_sessions(idle_gql, token)

    assert [each["current"] for each in listed] == [True]
    assert await Session.exists(token_hash=(await session_of(token)).token_hash)
    assert idle != token


async def test_a_session_in_use_outlives_a_one_minute_idle_timeout(db: None) -> None:
    # last_seen_at is then written every 30 seconds, so a session used every 50 seconds is
    # never taken for an idle one.
    app = create_app(replace(SETTINGS, session_idle_minutes=1), manage_database=False)
    transport = httpx.ASGITransport(app=app)
    user = await make_user()
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        gql = GraphQLClient(client)
        with time_machine.travel(START, tick=False) as clock:
            token = await sign_in(gql, user.email, PASSWORD)
            for step in range(1, 8):
                clock.move_to(START + timedelta(seconds=50 * step))
                assert (await gql.execute(ME, token=token)).ok, step
            clock.move_to(START + timedelta(seconds=50 * 7 + 61))
            refused = await gql.execute(ME, token=token)

    assert refused.errors[0]["extensions"]["reason"] == "SESSION_IDLE"


async def test_a_request_within_the_minute_adds_no_statement(
    gql: GraphQLClient, caplog: pytest.LogCaptureFixture
) -> None:
    # The hot path stays one SELECT for the session: the row it reads carries last_seen_at.
    user = await make_user()
    with time_machine.travel(START, tick=False) as clock:
        token = await sign_in(gql, user.email, PASSWORD)
        await gql.execute(ME, token=token)
        clock.move_to(START + timedelta(seconds=30))
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            assert (await gql.execute(ME, token=token)).ok
        within = [r.getMessage() for r in caplog.records if r.name == "tortoise.db_client"]
        caplog.clear()
        clock.move_to(START + timedelta(seconds=90))
        with caplog.at_level(logging.DEBUG, logger="tortoise.db_client"):
            assert (await gql.execute(ME, token=token)).ok
        after = [r.getMessage() for r in caplog.records if r.name == "tortoise.db_client"]

    assert within
    assert not [each for each in within if each.lstrip().upper().startswith("UPDATE")]
    assert len([each for each in after if each.lstrip().upper().startswith("UPDATE")]) == 1
    assert len(after) == len(within) + 1
