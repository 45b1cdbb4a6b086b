"""The first super-admin of an empty database: made in `resolvers.bootstrap`, which the
start-up (`gatehouse serve`) calls."""

from __future__ import annotations

from resolvers.bootstrap import DEFAULT_ADMIN_EMAIL, ensure_first_super_admin

__all__ = ["DEFAULT_ADMIN_EMAIL", "ensure_first_super_admin"]
