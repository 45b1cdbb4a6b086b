"""The browser the portal's tests share (test_portal.py and test_graphiql.py have their own)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from gatehouse.portal import PORTAL_DIR
from tests.support.browser import chromium, require_chromium


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    if not (PORTAL_DIR / "index.html").is_file():
        pytest.fail("PORTAL NOT BUILT: run `make install` (npm ci and npm run build in portal/)")
    with chromium() as browser:
        yield browser
