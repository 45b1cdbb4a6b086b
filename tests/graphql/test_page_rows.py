"""A listing's rows become the very models the ORM would have built from them (every
attribute, its type and time zone, in the same order), on SQLite and PostgreSQL, with
nulls and without; rows pointing to the same related row share its model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from tortoise.models import Model

from core.enums import KeyOwnerType, Role
from models import ApiKey, AuditEvent, Invitation, ServiceAccount, Session, User
from models.hydration import row_reader
from models.reads import read
from resolvers.listing import Listing, PageStatement
from tests.support.factories import make_api_key, make_service_account, make_user

WHEN = datetime(2026, 3, 4, 5, 6, 7, 890123, tzinfo=UTC)


def _state(item: Model) -> list[tuple[str, Any, type, Any]]:
    return [
        (name, value, type(value), getattr(value, "tzinfo", None))
        for name, value in vars(item).items()
    ]


async def _rows(model: type[Model]) -> tuple[list[str], list[Any]]:
    columns = row_reader(model).columns
    listed = ", ".join(f'"{column}"' for column in columns)
    table = model._meta.db_table
    return columns, await read(f'SELECT {listed} FROM "{table}" ORDER BY "id"', [])  # noqa: S608


async def _full_and_sparse_rows() -> User:
    admin = await make_user(roles=(Role.SUPER_ADMIN,))
    signed_in = await make_user()
    await User.filter(id=signed_in.id).update(last_login_at=WHEN, must_change_password=True)
    account = await make_service_account(admin, description="robot")
    await make_service_account(admin, roles=(Role.ADMIN, Role.READ_ONLY))
    await make_api_key(admin, name="plain")
    full, _ = await make_api_key(admin, name="full", service_account=account)
    await ApiKey.filter(id=full.id).update(
        description="every column set",
        expires_at=WHEN + timedelta(days=1),
        revoked_at=WHEN,
        last_used_at=WHEN,
        last_used_ip="192.0.2.1",
        rate_limit_per_minute=60,
        rate_limited_calls=3,
        total_calls=5,
        allowed_cidrs_encoded="10.0.0.0/8",
        rolled_at=WHEN,
        previous_key_hash="0" * 64,
        previous_secret_expires_at=WHEN,
        disabled_at=WHEN,
        permissions_encoded="invoices:read",
        remaining=9,
        refill_amount=10,
        refill_interval="DAILY",
        refilled_at=WHEN,
    )
    await Session.create(user=admin, token_hash="1" * 64, expires_at=WHEN)
    await Session.create(
        user=signed_in,
        token_hash="2" * 64,
        expires_at=WHEN,
        last_seen_at=WHEN,
        client_address="192.0.2.2",
        user_agent="test",
        mfa_verified_at=WHEN,
        restriction="PASSWORD_CHANGE",
    )
    await AuditEvent.create(actor_type="system", action="test.sparse", outcome="OK")
    await AuditEvent.create(
        actor_type="user",
        actor_id=admin.id,
        client_address="192.0.2.3",
        action="test.full",
        target_type="user",
        target_id=signed_in.id,
        outcome="FORBIDDEN",
        details={"nested": [1, "two", None]},
    )
    await Invitation.create(
        email="new@example.com",
        display_name="New",
        roles_encoded=",ADMIN,",
        token_hash="3" * 64,
        expires_at=WHEN,
    )
    await Invitation.create(
        email="taken@example.com",
        pending_email=None,
        display_name="Taken",
        roles_encoded=",READ_ONLY,",
        invited_by=admin,
        token_hash="4" * 64,
        expires_at=WHEN,
        accepted_at=WHEN,
        revoked_at=WHEN,
        accepted_user=signed_in,
    )
    return admin


@pytest.mark.parametrize("model", [User, ApiKey, ServiceAccount, Session, AuditEvent, Invitation])
async def test_rows_become_the_models_the_orm_builds(db: None, model: type[Model]) -> None:
    await _full_and_sparse_rows()
    columns, rows = await _rows(model)
    assert len(rows) >= 2
    reader = row_reader(model)
    for row in rows:
        expected = model._init_from_db(**dict(zip(columns, row, strict=True)))
        assert _state(reader.build(tuple(row))) == _state(expected)


async def test_keys_of_one_creator_share_its_model_and_a_deleted_creator_is_none(
    db: None,
) -> None:
    admin = await _full_and_sparse_rows()
    gone = await make_user()
    orphan, _ = await make_api_key(gone, name="orphan")
    await gone.delete()
    statement = PageStatement(Listing(ApiKey, related="created_by"))
    sql, parameters = statement.page([], 'm."id" ASC', 100, with_count=False)
    keys = statement.hydrate(await read(sql, parameters))

    creators = {key.name: key._created_by for key in keys}  # type: ignore[attr-defined]
    assert creators["orphan"] is None
    assert keys[-1].id == orphan.id
    assert creators["plain"] is creators["full"]
    columns, rows = await _rows(User)
    row = next(row for row in rows if row[columns.index("id")] == admin.id)
    stored = dict(zip(columns, row, strict=True))
    assert _state(creators["plain"]) == _state(User._init_from_db(**stored))
    assert {key.owner_type for key in keys} == {KeyOwnerType.USER, KeyOwnerType.SERVICE_ACCOUNT}
