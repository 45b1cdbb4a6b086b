"""Portal users: listing, creating, changing and removing them, with the contract's row rules."""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from auth.audit import AuditAction, AuditTarget, audited
from auth.mfa import require_step_up
from auth.password_policy import check_password
from auth.principal import Actor, Principal
from auth.runtime import hash_password, lift_lock
from core.clock import utcnow
from core.errors import ErrorCode, GatehouseError, bad_input, forbidden, not_found
from core.text import UNSAFE_TEXT_RULE, has_invisible_characters, has_unsafe_characters
from models import ApiKey, KeyOwnerType, Role, Session, User, UserStatus
from models.users import encode_roles, holds_role
from resolvers.listing import Condition, Listing, contains, holds_text
from resolvers.pagination import OrderDirection, Ordering, Page, PageRequest, SortColumn, paginate

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$|^[^@\s]+@localhost$")
MAX_EMAIL_LENGTH = 320
MAX_DISPLAY_NAME_LENGTH = 200
MAX_SEARCH_LENGTH = 320  # the longest email; nothing longer can match


def normalise_email(email: str) -> str:
    """The one form of an address that is stored, compared and looked up. NFKC folds the
    full-width and compatibility forms (`ａｄｍｉｎ＠ｅｘａｍｐｌｅ．ｃｏｍ`) into the plain
    ones, and invisible characters are refused, so neither makes a second account that
    displays like the first."""
    email = unicodedata.normalize("NFKC", email.strip()).lower()
    if len(email) > MAX_EMAIL_LENGTH:
        raise bad_input(f"`email` must be at most {MAX_EMAIL_LENGTH} characters long.")
    if has_invisible_characters(email):
        raise bad_input("`email` must not contain invisible or control characters.")
    if not _EMAIL.match(email):
        raise bad_input("`email` is not a valid email address.")
    return email


def search_term(search: str | None) -> str | None:
    """The trimmed search text, or None for no search. Bounded, because SQLite refuses
    LIKE patterns over 50,000 bytes and no name or email is that long anyway."""
    if search is None or not search.strip():
        return None
    term = search.strip()
    if len(term) > MAX_SEARCH_LENGTH:
        raise bad_input(f"`search` must be at most {MAX_SEARCH_LENGTH} characters long.")
    if has_unsafe_characters(term):
        raise bad_input(f"`search` {UNSAFE_TEXT_RULE}.")
    return term


def valid_display_name(display_name: str) -> str:
    display_name = display_name.strip()
    if not 1 <= len(display_name) <= MAX_DISPLAY_NAME_LENGTH:
        raise bad_input(f"`displayName` must be 1 to {MAX_DISPLAY_NAME_LENGTH} characters long.")
    if has_unsafe_characters(display_name):
        raise bad_input(f"`displayName` {UNSAFE_TEXT_RULE}.")
    return display_name


def encoded_roles(roles: list[Role]) -> str:
    if not roles:
        raise bad_input("`roles` must name at least one role.")
    return encode_roles(roles)


def ensure_may_grant(actor: Principal, roles: list[Role]) -> None:
    """The role ceiling of every way of giving roles (updateUser, inviteUser): only a
    super-admin grants SUPER_ADMIN."""
    if actor.role != Role.SUPER_ADMIN and Role.SUPER_ADMIN in roles:
        raise forbidden("Only a super-admin may grant SUPER_ADMIN.")


class UserOrderField(StrEnum):
    EMAIL = "EMAIL"
    DISPLAY_NAME = "DISPLAY_NAME"
    CREATED_AT = "CREATED_AT"
    LAST_LOGIN_AT = "LAST_LOGIN_AT"


USER_SORT_COLUMNS = {
    UserOrderField.EMAIL: SortColumn("EMAIL", "email", str),
    UserOrderField.DISPLAY_NAME: SortColumn("DISPLAY_NAME", "display_name", str),
    UserOrderField.CREATED_AT: SortColumn("CREATED_AT", "created_at", datetime),
    UserOrderField.LAST_LOGIN_AT: SortColumn("LAST_LOGIN_AT", "last_login_at", datetime, True),
}


# Ids arrive as primary keys: the schema layer decodes the API's global ids (schema.ids).


async def get_user(user_id: int) -> User | None:
    return await User.get_or_none(id=user_id)


async def users_by_ids(ids: list[int]) -> list[User | None]:
    """In the order of `ids`, None where no user has that id: a DataLoader's batch."""
    users = {user.id: user for user in await User.filter(id__in=ids)}
    return [users.get(user_id) for user_id in ids]


async def _require_user(user_id: int) -> User:
    user = await get_user(user_id)
    if user is None:
        raise not_found("User")
    return user


async def list_users(
    page: PageRequest,
    *,
    status: UserStatus | None = None,
    role: Role | None = None,
    search: str | None = None,
    order_by: UserOrderField | None = None,
    direction: OrderDirection = OrderDirection.ASC,
    with_total: bool = False,
) -> Page[User]:
    conditions = []
    if status is not None:
        conditions.append(Condition('m."status" = ?', (str(status),)))
    if role is not None:
        conditions.append(holds_text("roles_encoded", f",{role},"))
    term = search_term(search)
    if term is not None:
        email, name = contains("email", term), contains("display_name", term)
        conditions.append(
            Condition(f"{email.sql} OR {name.sql}", (*email.parameters, *name.parameters))
        )
    ordering = None if order_by is None else Ordering(USER_SORT_COLUMNS[order_by], direction)
    return await paginate(
        Listing(User, tuple(conditions)),
        page,
        kind="User",
        newest_first=False,
        ordering=ordering,
        with_total=with_total,
    )


async def create_user(
    actor: Actor | None,
    *,
    email: str,
    display_name: str,
    password: str,
    roles: list[Role],
    must_change_password: bool = False,
) -> User:
    """`actor=None` is the system: the CLI and the first start. `must_change_password`:
    the password is temporary, the user's sessions are PASSWORD_CHANGE_REQUIRED until they
    change it."""
    async with audited(actor, AuditAction.USER_CREATE, target_type=AuditTarget.USER) as event:
        email = normalise_email(email)
        display_name = valid_display_name(display_name)
        roles_encoded = encoded_roles(roles)
        event.details = {"email": email, "displayName": display_name, "roles": _names(roles)}
        check_password(password, email)
        if must_change_password:
            event.details["mustChangePassword"] = True
        if await User.exists(email=email):
            raise GatehouseError(ErrorCode.CONFLICT, "A user with this email already exists.")
        password_hash = await hash_password(password)
        try:
            async with in_transaction():
                user = await User.create(
                    email=email,
                    display_name=display_name,
                    roles_encoded=roles_encoded,
                    password_hash=password_hash,
                    must_change_password=must_change_password,
                )
                event.target_id = user.id
                await event.record()
        except IntegrityError:
            raise GatehouseError(
                ErrorCode.CONFLICT, "A user with this email already exists."
            ) from None
    return user


async def update_user(
    actor: Principal,
    user_id: int,
    *,
    display_name: str | None = None,
    roles: list[Role] | None = None,
    status: UserStatus | None = None,
) -> User:
    async with audited(
        actor, AuditAction.USER_UPDATE, target_type=AuditTarget.USER, target_id=user_id
    ) as event:
        changes: dict[str, object] = {}
        if display_name is not None:
            changes["display_name"] = valid_display_name(display_name)
        if roles is not None:
            changes["roles_encoded"] = encoded_roles(roles)
        if status is not None:
            changes["status"] = status
        event.details = _requested_changes(display_name=display_name, roles=roles, status=status)

        async with in_transaction():
            target = await _require_user(user_id)
            event.details = _changes_from(target, event.details)
            if actor.role != Role.SUPER_ADMIN:
                if target.is_super_admin:
                    raise forbidden("Only a super-admin may change a super-admin.")
                if roles is not None:
                    ensure_may_grant(actor, roles)
            changes_access = (roles is not None and set(roles) != set(target.roles)) or (
                status is not None and status != target.status
            )
            if changes_access:
                await require_step_up(actor)
            loses_super_admin = (
                target.is_super_admin
                and target.is_active
                and (
                    (roles is not None and Role.SUPER_ADMIN not in roles)
                    or status == UserStatus.INACTIVE
                )
            )
            if loses_super_admin:
                await _ensure_another_active_super_admin(target)
            if changes:
                target.update_from_dict(changes)
                await target.save(update_fields=[*changes, "updated_at"])
            if status == UserStatus.INACTIVE:
                await Session.filter(user_id=target.id).delete()
            await event.record()
    return target


def _names(values: list[Role]) -> list[str]:
    return [value.value for value in values]


def _requested_changes(
    *, display_name: str | None, roles: list[Role] | None, status: UserStatus | None
) -> dict[str, dict[str, object]]:
    requested: dict[str, dict[str, object]] = {}
    if display_name is not None:
        requested["displayName"] = {"to": display_name.strip()}
    if roles is not None:
        requested["roles"] = {"to": _names(roles)}
    if status is not None:
        requested["status"] = {"to": status.value}
    return requested


def _changes_from(target: User, requested: dict[str, dict[str, object]] | None) -> dict[str, Any]:
    before: dict[str, object] = {
        "displayName": target.display_name,
        "roles": _names(target.roles),
        "status": target.status.value,
    }
    return {name: {"from": before[name], **change} for name, change in (requested or {}).items()}


async def reset_password(
    actor: Principal, user_id: int, new_password: str, *, temporary: bool = False
) -> User:
    """`temporary`: the user must change it at their next sign-in."""
    async with audited(
        actor, AuditAction.USER_RESET_PASSWORD, target_type=AuditTarget.USER, target_id=user_id
    ):
        target = await _require_user(user_id)
        if target.id == actor.user_id:
            raise forbidden("resetPassword is for other users; ask another super-admin.")
    return await set_password(actor, target, new_password, temporary=temporary)


async def set_password(
    actor: Actor | None,
    target: User,
    new_password: str,
    *,
    action: AuditAction = AuditAction.USER_RESET_PASSWORD,
    temporary: bool = False,
) -> User:
    """Set a password and end the user's sessions, so a stolen session dies with the reset;
    lift the account's sign-in lock, so its owner can sign in with the new one at once;
    audited as `action` (`actor=None` is the CLI)."""
    async with audited(actor, action, target_type=AuditTarget.USER, target_id=target.id) as event:
        check_password(new_password, target.email)
        target.password_hash = await hash_password(new_password)
        target.must_change_password = temporary
        async with in_transaction():
            await target.save(update_fields=["password_hash", "must_change_password", "updated_at"])
            ended = await Session.filter(user_id=target.id).delete()
            event.details = {"sessionsEnded": ended, "temporary": temporary}
            await event.record()
    await lift_lock(target.email)
    return target


async def delete_user(actor: Principal, user_id: int) -> int:
    async with (
        audited(
            actor, AuditAction.USER_DELETE, target_type=AuditTarget.USER, target_id=user_id
        ) as event,
        in_transaction(),
    ):
        target = await _require_user(user_id)
        event.details = {"email": target.email}
        if target.id == actor.user_id:
            raise forbidden("You cannot delete yourself.")
        if target.is_super_admin and target.is_active:
            await _ensure_another_active_super_admin(target)
        now = utcnow()
        # Locked by id, the order group commit locks key rows in (auth/call_counter.py), so
        # this and a batch counting calls of these keys queue rather than deadlock. Keys the
        # user made for a service account are the account's: they go on working.
        keys = await (
            ApiKey.filter(
                created_by_id=target.id, owner_type=KeyOwnerType.USER, revoked_at__isnull=True
            )
            .order_by("id")
            .select_for_update()
        )
        await ApiKey.filter(id__in=[key.id for key in keys], revoked_at__isnull=True).update(
            revoked_at=now
        )
        for key in keys:
            key.revoked_at = now
            await event.emit("key.revoked", key)
        await target.delete()
        event.details["revokedKeys"] = len(keys)
        await event.record()
    return int(target.id)


async def _ensure_another_active_super_admin(target: User) -> None:
    # Lock every active super-admin row, the target's included and in one order, so two
    # concurrent demotions serialise instead of each seeing the other as the survivor.
    # Whole rows, not `values_list`: Tortoise drops FOR UPDATE from a values query.
    active_super_admins = await (
        User.filter(holds_role(Role.SUPER_ADMIN), status=UserStatus.ACTIVE)
        .order_by("id")
        .select_for_update()
    )
    if not {user.id for user in active_super_admins} - {target.id}:
        raise forbidden("The portal must keep at least one active super-admin.")


async def has_users() -> bool:
    return await User.exists()
