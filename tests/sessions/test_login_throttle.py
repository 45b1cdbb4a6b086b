"""Brute-force defence on `login`: per account, per client address, locks that grow, and
no hint of whether an email exists. Through the real app, on the database's counters and
on Redis's."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import time_machine

from auth.throttle import address_subject
from models import AuditEvent, RateLimitCounter, Role, User
from resolvers import users
from tests.support.documents import CHANGE_PASSWORD, RESET_PASSWORD
from tests.support.factories import PASSWORD, gid, make_user
from tests.support.graphql import graphql, login
from tests.support.limiter import (
    app_client,
    code_of,
    try_login,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WRONG = "not the right password"


async def test_an_account_is_locked_after_its_failures_even_for_the_right_password(
    backend: dict[str, Any],
) -> None:
    user = await make_user()
    async with app_client(login_max_failures_per_account=3, **backend) as client:
        failures = [code_of(await try_login(client, user.email, WRONG)) for _ in range(3)]
        locked = await try_login(client, user.email, PASSWORD)

    assert failures == ["UNAUTHENTICATED"] * 3
    assert code_of(locked) == "RATE_LIMITED"
    retry_after = locked["errors"][0]["extensions"]["retryAfter"]
    assert isinstance(retry_after, int)
    assert 1 <= retry_after <= 900
    assert locked["data"] is None


async def test_a_locked_unknown_email_gets_the_same_answer_as_a_locked_real_one(db: None) -> None:
    user = await make_user(email="real@example.com")
    answers = []
    with time_machine.travel(NOW, tick=False):
        async with app_client(login_max_failures_per_account=2) as client:
            for email in (user.email, "nobody@example.com"):
                for _ in range(2):
                    await try_login(client, email, WRONG)
                answers.append(await try_login(client, email, WRONG))

    assert code_of(answers[0]) == "RATE_LIMITED"
    assert answers[0] == answers[1]


async def test_the_email_is_counted_in_any_letter_case(db: None) -> None:
    user = await make_user(email="case@example.com")
    async with app_client(login_max_failures_per_account=2) as client:
        await try_login(client, "CASE@example.com", WRONG)
        await try_login(client, " case@EXAMPLE.com ", WRONG)
        answer = await try_login(client, user.email, PASSWORD)

    assert code_of(answer) == "RATE_LIMITED"


async def test_a_success_clears_the_accounts_failures(backend: dict[str, Any]) -> None:
    user = await make_user()
    async with app_client(login_max_failures_per_account=3, **backend) as client:
        codes = []
        for _ in range(2):
            codes += [code_of(await try_login(client, user.email, WRONG)) for _ in range(2)]
            codes.append(code_of(await try_login(client, user.email, PASSWORD)))
        codes.append(code_of(await try_login(client, user.email, WRONG)))

    assert codes == ["UNAUTHENTICATED", "UNAUTHENTICATED", "OK"] * 2 + ["UNAUTHENTICATED"]


async def test_the_lock_ends_after_the_lock_time_and_grows_when_it_comes_again(
    db: None,
) -> None:
    user = await make_user()
    settings = {
        "login_max_failures_per_account": 2,
        "login_failure_window_seconds": 60,
        "login_lock_seconds": 300,
    }
    with time_machine.travel(NOW, tick=False) as traveller:
        async with app_client(**settings) as client:
            for _ in range(2):
                await try_login(client, user.email, WRONG)
            first_lock = await try_login(client, user.email, PASSWORD)
            traveller.shift(timedelta(seconds=299))
            still_locked = await try_login(client, user.email, PASSWORD)
            traveller.shift(timedelta(seconds=2))
            for _ in range(2):
                await try_login(client, user.email, WRONG)
            second_lock = await try_login(client, user.email, PASSWORD)
            traveller.shift(timedelta(seconds=601))
            after_both = await try_login(client, user.email, PASSWORD)

    assert first_lock["errors"][0]["extensions"]["retryAfter"] == 300
    assert still_locked["errors"][0]["extensions"]["retryAfter"] == 1
    assert second_lock["errors"][0]["extensions"]["retryAfter"] == 600
    assert code_of(after_both) == "OK"


async def test_an_address_is_limited_across_accounts(backend: dict[str, Any]) -> None:
    await make_user(email="victim@example.com")
    emails = [f"guess{number}@example.com" for number in range(4)]
    async with app_client("198.51.100.7", login_max_failures_per_address=3, **backend) as attacker:
        codes = [code_of(await try_login(attacker, email, WRONG)) for email in emails]
    async with app_client("198.51.100.8", login_max_failures_per_address=3, **backend) as neighbour:
        other_address = await try_login(neighbour, "victim@example.com", PASSWORD)

    assert codes == ["UNAUTHENTICATED"] * 3 + ["RATE_LIMITED"]
    assert code_of(other_address) == "OK"


async def test_successes_from_one_address_do_not_use_up_its_allowance(db: None) -> None:
    user = await make_user()
    async with app_client("203.0.113.9", login_max_failures_per_address=2) as office:
        codes = [code_of(await try_login(office, user.email, PASSWORD)) for _ in range(5)]

    assert codes == ["OK"] * 5


async def test_parallel_right_passwords_for_one_account_never_lock_it(
    backend: dict[str, Any],
) -> None:
    user = await make_user()
    async with app_client(login_max_failures_per_account=5, **backend) as client:
        answers = await asyncio.gather(
            *(try_login(client, user.email, PASSWORD) for _ in range(20))
        )
        wrong_afterwards = await try_login(client, user.email, WRONG)
        right_afterwards = await try_login(client, user.email, PASSWORD)

    assert [code_of(answer) for answer in answers] == ["OK"] * 20
    assert code_of(wrong_afterwards) == "UNAUTHENTICATED"
    assert code_of(right_afterwards) == "OK"


async def test_fifty_right_passwords_at_once_from_one_address_never_lock_it(
    backend: dict[str, Any],
) -> None:
    people = [await make_user() for _ in range(50)]
    async with app_client("203.0.113.50", login_max_failures_per_address=30, **backend) as office:
        answers = await asyncio.gather(
            *(try_login(office, person.email, PASSWORD) for person in people)
        )
        wrong_afterwards = await try_login(office, people[0].email, WRONG)

    assert [code_of(answer) for answer in answers] == ["OK"] * 50
    assert code_of(wrong_afterwards) == "UNAUTHENTICATED"


async def test_right_passwords_one_after_another_never_lock(backend: dict[str, Any]) -> None:
    user = await make_user()
    async with app_client(
        login_max_failures_per_account=2, login_max_failures_per_address=2, **backend
    ) as client:
        codes = [code_of(await try_login(client, user.email, PASSWORD)) for _ in range(8)]

    assert codes == ["OK"] * 8


async def test_wrong_passwords_lock_at_the_threshold_exactly(backend: dict[str, Any]) -> None:
    user = await make_user()
    async with app_client(login_max_failures_per_account=4, **backend) as client:
        codes = [code_of(await try_login(client, user.email, WRONG)) for _ in range(4)]
        after_the_fourth = await try_login(client, user.email, PASSWORD)

    assert codes == ["UNAUTHENTICATED"] * 4
    assert code_of(after_the_fourth) == "RATE_LIMITED"


async def test_parallel_guesses_near_the_limit_get_only_the_guesses_left(
    backend: dict[str, Any],
) -> None:
    # The race counting after the check opens: ten guesses at once pass the lock check
    # together, with three failures of four already counted. Only one is verified.
    user = await make_user()
    async with app_client(login_max_failures_per_account=4, **backend) as client:
        for _ in range(3):
            await try_login(client, user.email, WRONG)
        answers = await asyncio.gather(*(try_login(client, user.email, WRONG) for _ in range(10)))
        audited = await AuditEvent.filter(action="session.login", outcome="UNAUTHENTICATED").count()

    codes = sorted(code_of(answer) for answer in answers)
    assert codes == ["RATE_LIMITED"] * 9 + ["UNAUTHENTICATED"]
    assert audited == 4


async def test_wrong_guesses_mixed_with_right_passwords_from_one_address(
    backend: dict[str, Any],
) -> None:
    # Only the wrong ones count against the address: its lock comes at the third failure,
    # however many successes came between (and then refuses even a right password).
    user = await make_user()
    emails = [f"guess{number}@example.com" for number in range(4)]
    async with app_client("198.51.100.60", login_max_failures_per_address=3, **backend) as client:
        codes = []
        for email in emails:
            codes.append(code_of(await try_login(client, user.email, PASSWORD)))
            codes.append(code_of(await try_login(client, email, WRONG)))

    assert codes == ["OK", "UNAUTHENTICATED"] * 3 + ["RATE_LIMITED"] * 2


async def test_changing_a_password_is_throttled_on_failures_only(backend: dict[str, Any]) -> None:
    user = await make_user()
    new_password = "a brand new passphrase"
    async with app_client(login_max_failures_per_account=3, **backend) as client:
        token = await login(client, user)
        rights = [
            await graphql(
                client, CHANGE_PASSWORD, {"current": PASSWORD, "new": PASSWORD}, token=token
            )
            for _ in range(5)
        ]
        wrongs = [
            await graphql(
                client, CHANGE_PASSWORD, {"current": WRONG, "new": new_password}, token=token
            )
            for _ in range(4)
        ]
        locked_sign_in = await try_login(client, user.email, PASSWORD)

    assert [code_of(body) for body in rights] == ["OK"] * 5
    assert [code_of(body) for body in wrongs] == ["FORBIDDEN"] * 3 + ["RATE_LIMITED"]
    assert code_of(locked_sign_in) == "RATE_LIMITED"


async def test_parallel_right_current_passwords_never_lock_the_account(
    backend: dict[str, Any],
) -> None:
    user = await make_user()
    async with app_client(login_max_failures_per_account=2, **backend) as client:
        token = await login(client, user)
        answers = await asyncio.gather(
            *(
                graphql(
                    client, CHANGE_PASSWORD, {"current": PASSWORD, "new": PASSWORD}, token=token
                )
                for _ in range(10)
            )
        )
        sign_in = await try_login(client, user.email, PASSWORD)

    assert [code_of(body) for body in answers] == ["OK"] * 10
    assert code_of(sign_in) == "OK"


async def test_a_parallel_flood_gets_exactly_the_allowed_verifications(
    backend: dict[str, Any],
) -> None:
    user = await make_user()
    async with app_client(login_max_failures_per_account=4, **backend) as client:
        answers = await asyncio.gather(*(try_login(client, user.email, WRONG) for _ in range(12)))

    codes = sorted(code_of(answer) for answer in answers)
    assert codes == ["RATE_LIMITED"] * 8 + ["UNAUTHENTICATED"] * 4


async def test_a_super_admins_password_reset_lifts_the_lock(backend: dict[str, Any]) -> None:
    admin = await make_user(roles=(Role.SUPER_ADMIN,))
    user = await make_user()
    new_password = "a brand new passphrase"
    async with app_client(login_max_failures_per_account=2, **backend) as client:
        admin_token = await login(client, admin)
        for _ in range(3):
            await try_login(client, user.email, WRONG)
        locked = await try_login(client, user.email, new_password)
        reset = await graphql(
            client,
            RESET_PASSWORD,
            {"userId": gid(user), "newPassword": new_password},
            token=admin_token,
        )
        after_reset = await try_login(client, user.email, new_password)

    assert code_of(locked) == "RATE_LIMITED"
    assert "errors" not in reset
    assert code_of(after_reset) == "OK"


async def test_a_throttled_attempt_is_audited_without_the_password(db: None) -> None:
    user = await make_user()
    async with app_client("192.0.2.44", login_max_failures_per_account=1) as client:
        await try_login(client, user.email.upper(), WRONG)
        await try_login(client, user.email.upper(), WRONG)

    event = await AuditEvent.get(action="session.login", outcome="RATE_LIMITED")
    assert event.actor_type == "anonymous"
    assert event.client_address == "192.0.2.44"
    assert event.details == {"email": user.email}
    assert WRONG not in str(event.details)


async def test_the_counters_hold_no_email_or_address_in_clear(db: None) -> None:
    user = await make_user(email="private@example.com")
    async with app_client("192.0.2.45", login_max_failures_per_account=1) as client:
        await try_login(client, user.email, WRONG)
        await try_login(client, user.email, WRONG)

    buckets = await RateLimitCounter.all().values_list("bucket", flat=True)
    assert buckets
    assert not any("private" in str(bucket) or "192.0.2.45" in str(bucket) for bucket in buckets)


async def test_a_successful_login_sweeps_ended_windows_from_the_table(db: None) -> None:
    user = await make_user()
    with time_machine.travel(NOW, tick=False) as traveller:
        async with app_client("192.0.2.46") as client:
            await try_login(client, "gone@example.com", WRONG)
            traveller.shift(timedelta(hours=1))
            await try_login(client, user.email, PASSWORD)

    assert await RateLimitCounter.filter(expires_at__lte=NOW.timestamp() + 3600).count() == 0


def test_ipv6_clients_are_counted_by_their_64_bit_prefix() -> None:
    same_network = address_subject("2001:db8:1:2::1"), address_subject("2001:db8:1:2:ffff::9")
    assert same_network[0] == same_network[1]
    assert address_subject("2001:db8:1:3::1") != same_network[0]
    assert address_subject("::ffff:192.0.2.1") == address_subject("192.0.2.1")
    assert address_subject("192.0.2.1") != address_subject("192.0.2.2")


async def test_the_last_failure_before_the_lock_still_checks_the_password(db: None) -> None:
    user = await make_user()
    async with app_client(login_max_failures_per_account=2) as client:
        await try_login(client, user.email, WRONG)
        last_allowed = await try_login(client, user.email, PASSWORD)

    assert code_of(last_allowed) == "OK"
    assert await User.get(id=user.id).values_list("last_login_at", flat=True) is not None


async def test_a_password_set_outside_graphql_lifts_the_lock_too(db: None) -> None:
    # `python -m gatehouse reset-password` goes through set_password.
    user = await make_user()
    new_password = "the operator's new passphrase"
    async with app_client(login_max_failures_per_account=1) as client:
        for _ in range(2):
            await try_login(client, user.email, WRONG)
        locked = await try_login(client, user.email, PASSWORD)
        await users.set_password(None, user, new_password)
        after_reset = await try_login(client, user.email, new_password)

    assert code_of(locked) == "RATE_LIMITED"
    assert code_of(after_reset) == "OK"
