"""Second factors as the rest of the server sees them: which a user has, what a session
may do before it is trusted (its restriction), and step-up.

Extension points for other factors (passkeys): `mfa_methods_by_user` lists a user's
methods, `clear_second_factors` removes them all; `factor_verified` marks a session's
factor verified whichever factor it was.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from auth.principal import Principal
from auth.runtime import current
from core.clock import utcnow
from core.config import MfaSettings
from core.enums import MfaMethod, SessionRestriction
from core.errors import ErrorCode, GatehouseError, unauthenticated
from models import Passkey, RecoveryCode, Session, TotpFactor, User

STEP_UP_REQUIRED = "STEP_UP_REQUIRED"
# What counts as a second factor: recovery codes only stand in for one.
FACTORS = frozenset({MfaMethod.TOTP, MfaMethod.PASSKEY})


def mfa_settings() -> MfaSettings:
    return current().mfa


async def mfa_methods_by_user(user_ids: list[int]) -> dict[int, list[MfaMethod]]:
    """Each user's methods, in the enum's order; a DataLoader's batch. Recovery codes count
    only while a factor exists and one is unused."""
    ids = list(dict.fromkeys(user_ids))
    found: dict[int, set[MfaMethod]] = {user_id: set() for user_id in ids}
    if not ids:
        return {}
    totp_users = await TotpFactor.filter(user_id__in=ids, secret__isnull=False).values_list(
        "user_id", flat=True
    )
    for user_id in totp_users:
        found[int(user_id)].add(MfaMethod.TOTP)  # type: ignore[call-overload]
    passkey_users = (
        await Passkey.filter(user_id__in=ids).distinct().values_list("user_id", flat=True)
    )
    for user_id in passkey_users:
        found[int(user_id)].add(MfaMethod.PASSKEY)  # type: ignore[call-overload]
    recovery_users = (
        await RecoveryCode.filter(user_id__in=ids, used_at__isnull=True)
        .distinct()
        .values_list("user_id", flat=True)
    )
    for user_id in recovery_users:
        methods = found[int(user_id)]  # type: ignore[call-overload]
        if methods & FACTORS:
            methods.add(MfaMethod.RECOVERY_CODE)
    return {user_id: [m for m in MfaMethod if m in methods] for user_id, methods in found.items()}


async def mfa_methods(user: User) -> list[MfaMethod]:
    """What `verifyMfa` accepts for this user."""
    return (await mfa_methods_by_user([user.id]))[user.id]


async def has_second_factor(user: User) -> bool:
    return bool(FACTORS.intersection(await mfa_methods(user)))


async def clear_second_factors(user_id: int) -> None:
    """Every factor and recovery code of the user (resetMfa, the CLI); call it inside the
    change's transaction."""
    await TotpFactor.filter(user_id=user_id).delete()
    await RecoveryCode.filter(user_id=user_id).delete()
    await Passkey.filter(user_id=user_id).delete()


def _restriction(
    user: User, methods: list[MfaMethod], *, factor_verified: bool, settings: MfaSettings
) -> SessionRestriction | None:
    """In the order a user clears them: prove the second factor (a phished password alone
    gets nowhere), then replace a temporary password (someone else knows it), then enrol a
    factor when a role requires one."""
    has_factor = bool(FACTORS.intersection(methods))
    if has_factor and not factor_verified:
        return SessionRestriction.MFA_REQUIRED
    if user.must_change_password:
        return SessionRestriction.PASSWORD_CHANGE_REQUIRED
    if not has_factor and settings.required_roles.intersection(user.roles):
        return SessionRestriction.MFA_ENROLLMENT_REQUIRED
    return None


@dataclass(frozen=True)
class SignInState:
    restriction: SessionRestriction | None
    methods: list[MfaMethod]


async def sign_in_state(user: User, *, factor_verified: bool) -> SignInState:
    """The restriction a new session of `user` starts with, and the user's methods."""
    methods = await mfa_methods(user)
    restriction = _restriction(
        user, methods, factor_verified=factor_verified, settings=mfa_settings()
    )
    return SignInState(restriction, methods)


async def refresh_restriction(session: Session, user: User) -> SessionRestriction | None:
    """Store the session's restriction again after the user changed what it depends on (a
    password changed, a factor enrolled or removed)."""
    stored = SessionRestriction.MFA_REQUIRED if session.restriction == "MFA_REQUIRED" else None
    state = await sign_in_state(user, factor_verified=stored is None)
    restriction = stored or state.restriction
    session.restriction = None if restriction is None else restriction.value
    await Session.filter(id=session.id).update(restriction=session.restriction)
    return restriction


async def factor_verified(session_id: int, at: datetime) -> SessionRestriction | None:
    """The one place a session's second factor is marked verified, whichever factor it was:
    MFA_REQUIRED lifts, step-up counts from `at`. Answers the restriction the session has
    next (a temporary password still to change), None for a full session."""
    session = await Session.get_or_none(id=session_id).select_related("user")
    if session is None:  # ended meanwhile (logout, a reset)
        raise unauthenticated()
    state = await sign_in_state(session.user, factor_verified=True)
    restriction = None if state.restriction is None else state.restriction.value
    await Session.filter(id=session_id).update(mfa_verified_at=at, restriction=restriction)
    return state.restriction


async def effective_restriction(
    principal: Principal, settings: MfaSettings
) -> SessionRestriction | None:
    """What this request's session may do, read on every request. MFA_REQUIRED is the
    session's own (set at sign-in, lifted by verifyMfa); the others follow the user as they
    are now, so a role that came to require a factor, or a factor removed, restricts a
    session opened before. API keys are never restricted."""
    session = principal.session
    if session is None:
        return None
    if session.restriction == SessionRestriction.MFA_REQUIRED.value:
        return SessionRestriction.MFA_REQUIRED
    user = principal.person
    if user.must_change_password:
        return SessionRestriction.PASSWORD_CHANGE_REQUIRED
    if settings.required_roles.intersection(user.roles) and not await has_second_factor(user):
        return SessionRestriction.MFA_ENROLLMENT_REQUIRED
    return None


async def require_step_up(principal: Principal) -> None:
    """FORBIDDEN (STEP_UP_REQUIRED) unless this session verified a second factor within
    STEP_UP_SECONDS, for a user who has one. API keys are not sessions: a key with the ADMIN
    scope could itself only be made by a session that stepped up."""
    session = principal.session
    if session is None:
        return
    window = timedelta(seconds=mfa_settings().step_up_seconds)
    verified_at = session.mfa_verified_at
    if verified_at is not None and utcnow() - verified_at <= window:
        return
    if not await has_second_factor(principal.person):
        return
    raise GatehouseError(
        ErrorCode.FORBIDDEN,
        f"Verify your second factor again (verifyMfa) first: this needs one verified within "
        f"the last {int(window.total_seconds())} seconds.",
        reason=STEP_UP_REQUIRED,
    )
