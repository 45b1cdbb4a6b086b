"""Debian's Chromium driven by Playwright, for the tests under tests/browser/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))

# Recorded before any page script runs (an init script is exempt from the page's CSP).
RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(event.violatedDirective + " " + event.blockedURI);
});
"""


def require_chromium() -> None:
    """Skip, saying so, without Chromium; in CI fail instead."""
    if not CHROMIUM.is_file():
        reason = (
            f"BROWSER TEST NOT RUN: no Chromium at {CHROMIUM}; "
            "`apt-get install -y chromium` (never `playwright install`)"
        )
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)


@contextmanager
def chromium() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM))
        yield browser
        browser.close()
