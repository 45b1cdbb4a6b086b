"""GraphiQL as a person uses it, in Debian's headless Chromium with every host but
127.0.0.1 blocked: sign in through the editor, put the token in the Headers tab, ask who
we are; then look for the password and the token where a browser would keep them."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Locator, Page, Route

from tests.support.browser import RECORD_CSP_VIOLATIONS, chromium, require_chromium
from tests.support.documents import ME_EMAIL
from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, serving

pytestmark = pytest.mark.browser

TOKEN = re.compile(r"gs_[A-Za-z0-9_-]{43}")
LOGIN = 'mutation { login(email: "%s", password: "%s") { token } }'
STORED = "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage)])"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    with chromium() as browser:
        yield browser


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    with serving(f"sqlite://{tmp_path}/gatehouse.sqlite3") as base:
        yield base


def _replace_text(page: Page, editor: Locator, text: str) -> None:
    editor.click()
    page.keyboard.press("ControlOrMeta+A")
    # Arrives as a paste would: the editor's bracket and quote closing stays out of the way.
    page.keyboard.insert_text(text)


def _run(page: Page, text: str) -> str:
    _replace_text(page, page.locator(".graphiql-query-editor .CodeMirror"), text)
    result = page.locator(".graphiql-response .CodeMirror-code")
    before = result.inner_text()
    page.get_by_role("button", name="Execute query (Ctrl-Enter)").click()
    page.wait_for_function(
        "(before) => { const r = document.querySelector('.graphiql-response .CodeMirror-code');"
        " return r && r.innerText !== before && r.innerText.includes('data'); }",
        arg=before,
    )
    return result.inner_text()


def test_sign_in_and_query_offline_leaving_no_secret_behind(browser: Browser, server: str) -> None:
    left_this_machine: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            left_this_machine.append(route.request.url)
            route.abort()

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.route("**/*", only_loopback)
    context.add_init_script(RECORD_CSP_VIOLATIONS)
    page = context.new_page()
    page.goto(f"{server}/graphql")
    page.locator(".graphiql-query-editor .CodeMirror").wait_for()
    # A dialog adds <style> elements at run time: the CSP must let them through.
    page.get_by_role("button", name="Open settings dialog").click()
    page.get_by_role("dialog").wait_for()
    page.keyboard.press("Escape")

    login_answer = _run(page, LOGIN % (ADMIN_EMAIL.lower(), ADMIN_PASSWORD))
    found = TOKEN.search(login_answer)
    assert found, login_answer
    token = found.group(0)

    page.get_by_role("button", name="Headers").click()
    headers_editor = page.locator(".graphiql-editor-tool .graphiql-editor:visible .CodeMirror")
    _replace_text(page, headers_editor, json.dumps({"Authorization": f"Bearer {token}"}))
    me_answer = _run(page, ME_EMAIL)
    if os.environ.get("PLAYGROUND_SCREENSHOT"):
        page.screenshot(path=os.environ["PLAYGROUND_SCREENSHOT"])

    assert '"email": "owner@example.com"' in me_answer

    # A subscription runs over graphql-transport-ws with the same Headers, and its value
    # changes on the page when a key is made elsewhere.
    live_answer = _run(page, "subscription { keyMetrics { totalKeys } }")
    assert '"totalKeys": 0' in live_answer, live_answer
    made = httpx.post(
        f"{server}/graphql",
        json={"query": 'mutation { createApiKey(input: {name: "k", scopes: [READ]}) { secret } }'},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert made.status_code == 200
    page.wait_for_function(
        "() => document.querySelector('.graphiql-response .CodeMirror-code')"
        ".innerText.includes('\"totalKeys\": 1')",
        timeout=5000,
    )
    stored = page.evaluate(STORED)
    for secret in (ADMIN_PASSWORD, token):
        assert secret not in page.url
        assert secret not in stored
    assert context.cookies() == []
    assert left_this_machine == []
    assert page.evaluate("window.__cspViolations") == []

    page.reload()
    page.locator(".graphiql-query-editor .CodeMirror").wait_for()
    restored = page.locator(".graphiql-query-editor .CodeMirror-code").inner_text()
    assert ADMIN_PASSWORD not in restored
    assert ME_EMAIL not in restored
    context.close()
