"""The portal as its users meet it: Debian's headless Chromium with every host but 127.0.0.1
blocked, against a live server, through every documented action as a super-admin, an admin
and a read-only user; the key shown once and never again; the token looked for wherever a
browser keeps things; the CSP; axe-core on every page; a phone's width. With
PORTAL_SCREENSHOTS=1 the pages are also photographed into docs/portal/."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from gatehouse.portal import CONTENT_SECURITY_POLICY, PORTAL_DIR
from gatehouse.portal_files import MANIFEST
from tests.support.browser import RECORD_CSP_VIOLATIONS, chromium, require_chromium
from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, serving
from tests.support.paths import ROOT

pytestmark = pytest.mark.browser

AXE = ROOT / "portal" / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "docs" / "portal"
SECRET = re.compile(r"gk_[A-Za-z0-9_-]{20,}")
PASSWORD = "correct horse battery staple"
STORED = (
    "JSON.stringify([Object.entries(localStorage), Object.entries(sessionStorage),"
    " document.cookie, history.state])"
)
# Seen by the page's origin: IndexedDB databases and Cache Storage too.
STORED_ELSEWHERE = (
    "Promise.all([indexedDB.databases().then((d) => d.map((x) => x.name)), caches.keys()])"
    ".then((all) => JSON.stringify(all))"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    require_chromium()
    if not (PORTAL_DIR / "index.html").is_file() or not AXE.is_file():
        pytest.fail("PORTAL NOT BUILT: run `make install` (npm ci and npm run build in portal/)")
    with chromium() as browser:
        yield browser


class Api:
    """The server's API over plain HTTP, for setting the scene and for checking after."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.token = self.login(ADMIN_EMAIL, ADMIN_PASSWORD)

    def login(self, email: str, password: str) -> str:
        data = self.run(
            "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
            {"e": email, "p": password},
            anonymous=True,
        )
        token: str = data["login"]["token"]
        return token

    def run(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        token: str | None = None,
        *,
        anonymous: bool = False,
    ) -> dict[str, Any]:
        """As the first super-admin, unless another token is given (or none, `anonymous`)."""
        headers = {}
        credential = None if anonymous else token or self.token
        if credential:
            headers["Authorization"] = f"Bearer {credential}"
        answer = httpx.post(
            f"{self.base}/graphql",
            json={"query": query, "variables": variables or {}},
            headers=headers,
            timeout=30,
        ).json()
        assert "errors" not in answer, answer
        data: dict[str, Any] = answer["data"]
        return data

    def create_user(self, email: str, roles: list[str], name: str = "") -> str:
        data = self.run(
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            {
                "i": {
                    "email": email,
                    "displayName": name or email,
                    "password": PASSWORD,
                    "roles": roles,
                }
            },
        )
        user_id: str = data["createUser"]["id"]
        return user_id

    def create_key(self, name: str, token: str | None = None) -> str:
        data = self.run(
            "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }",
            {"i": {"name": name, "scopes": ["READ"]}},
            token=token,
        )
        secret: str = data["createApiKey"]["secret"]
        return secret

    def call_with_key(self, secret: str) -> None:
        answer = httpx.post(
            f"{self.base}/graphql",
            json={"query": "{ keyMetrics { totalKeys } }"},
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        ).json()
        assert "errors" not in answer, answer

    def refused_with_key(self, secret: str) -> None:
        response = httpx.post(
            f"{self.base}/graphql",
            json={"query": "{ keyMetrics { totalKeys } }"},
            headers={"Authorization": f"Bearer {secret}"},
            timeout=30,
        )
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("portal")
    with serving(f"sqlite://{directory}/gatehouse.sqlite3") as base:
        yield base


@pytest.fixture(scope="module")
def api(server: str) -> Api:
    api = Api(server)
    api.create_user("admin@example.com", ["ADMIN"], "Ada Admin")
    api.create_user("reader@example.com", ["READ_ONLY"], "Rita Reader")
    api.create_user("boss@example.com", ["SUPER_ADMIN"], "Second Owner")
    api.run(
        "mutation($i: CreateApiKeyInput!) { createApiKey(input: $i) { secret } }",
        {
            "i": {
                "name": "Nightly backup",
                "description": "Database dumps to object storage",
                "scopes": ["READ", "WRITE"],
                "expiresAt": "2099-01-01T00:00:00+00:00",
            }
        },
    )
    dashboards = api.create_key("Grafana dashboards")
    for _ in range(3):
        api.call_with_key(dashboards)
    return api


class Session:
    """One browser tab of the portal, with everything that leaves the machine recorded."""

    def __init__(self, browser: Browser, base: str, width: int = 1280) -> None:
        self.left_this_machine: list[str] = []
        self.context: BrowserContext = browser.new_context(
            viewport={"width": width, "height": 860}, locale="en-GB", timezone_id="Europe/Paris"
        )
        # The Copy button's way to the clipboard.
        self.context.grant_permissions(["clipboard-read", "clipboard-write"])
        self.context.route("**/*", self._only_loopback)
        self.context.add_init_script(RECORD_CSP_VIOLATIONS)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.base = base

    def _only_loopback(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            route.continue_()
        else:
            self.left_this_machine.append(route.request.url)
            route.abort()

    def sign_in(self, email: str, password: str) -> None:
        page = self.page
        page.goto(f"{self.base}/")
        assert urlsplit(page.url).path == "/portal/"
        expect(page.get_by_text("reloading the page")).to_be_visible()
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(password)
        page.get_by_role("button", name="Sign in", exact=True).click()
        expect(page.get_by_role("button", name="Sign out")).to_be_visible()

    def go(self, name: str) -> None:
        self.page.get_by_role("navigation", name="Portal").get_by_role("link", name=name).click()
        expect(self.page.get_by_role("heading", level=1, name=name)).to_be_visible()

    def axe(self, what: str) -> None:
        # Evaluated by the test's own channel, which the page's CSP does not govern.
        self.page.evaluate(AXE.read_text(encoding="utf-8"))
        found = self.page.evaluate(
            "axe.run(document, {resultTypes: ['violations']}).then((r) => r.violations"
            ".filter((v) => v.impact === 'serious' || v.impact === 'critical')"
            ".map((v) => v.id + ': ' + v.nodes.map((n) => n.target.join(' ')).join(', ')))"
        )
        assert found == [], f"axe-core on {what}: {found}"

    def screenshot(self, name: str) -> None:
        if os.environ.get("PORTAL_SCREENSHOTS"):
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    def assert_fits(self, what: str) -> None:
        width = self.page.evaluate("document.scrollingElement.scrollWidth")
        viewport = self.page.viewport_size
        assert viewport is not None
        assert width <= viewport["width"], f"{what} scrolls sideways: {width} px"

    def assert_left_no_secret(self, *secrets: str) -> None:
        page = self.page
        stored = page.evaluate(STORED) + page.evaluate(STORED_ELSEWHERE)
        for secret in secrets:
            assert secret not in page.url
            assert secret not in stored
        assert self.context.cookies() == []

    def close(self) -> None:
        assert self.left_this_machine == []
        assert self.page.evaluate("window.__cspViolations") == []
        assert self.errors == []
        self.context.close()


def _row(page: Page, text: str) -> Any:
    return page.get_by_role("row").filter(has_text=text)


def _metric(page: Page, name: str) -> Any:
    return page.locator(f'[data-metric="{name}"]')


def _dialog(page: Page) -> Any:
    return page.get_by_role("dialog")


def _token_of(session: Session) -> str | None:
    """The session token as the page sends it, caught on its way out."""
    with session.page.expect_request("**/graphql") as request:
        session.page.get_by_role("navigation", name="Portal").get_by_role(
            "link", name="API Keys"
        ).click()
    header = request.value.headers.get("authorization", "")
    return header.removeprefix("Bearer ") or None


def test_the_super_admin_does_every_documented_action(
    browser: Browser, server: str, api: Api
) -> None:
    session = Session(browser, server)
    page = session.page
    page.goto(f"{server}/")
    session.axe("the sign-in page")
    session.screenshot("sign-in")
    session.sign_in(ADMIN_EMAIL.lower(), ADMIN_PASSWORD)

    # Users: Create User, Edit, Reset Password, Delete with confirmation.
    expect(page.get_by_role("heading", level=1, name="Users")).to_be_visible()
    for column in ("Email", "Display Name", "Roles", "Status", "Last Login", "Actions"):
        expect(page.get_by_role("columnheader", name=column)).to_be_visible()
    page.get_by_role("button", name="Create User").click()
    dialog = _dialog(page)
    dialog.get_by_label("Email").fill("new.person@example.com")
    dialog.get_by_label("Display Name").fill("New Person")
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_role("checkbox", name="Admin", exact=True).check()
    session.axe("the Create User dialog")
    dialog.get_by_role("button", name="Create User").click()
    expect(_row(page, "new.person@example.com")).to_contain_text("New Person")

    _row(page, "new.person@example.com").get_by_role("button", name="Edit").click()
    dialog = _dialog(page)
    dialog.get_by_label("Display Name").fill("Renamed Person")
    dialog.get_by_label("Status").select_option("INACTIVE")
    dialog.get_by_role("button", name="Save").click()
    expect(_row(page, "new.person@example.com")).to_contain_text("Renamed Person")
    expect(_row(page, "new.person@example.com")).to_contain_text("Inactive")

    _row(page, "reader@example.com").get_by_role("button", name="Reset Password").click()
    _dialog(page).get_by_label("New password").fill("a new password for rita")
    _dialog(page).get_by_role("button", name="Reset Password").click()
    expect(page.get_by_role("status").filter(has_text="reset")).to_be_visible()
    api.login("reader@example.com", "a new password for rita")
    # The super-admin's own row offers neither Delete nor Reset Password (not on oneself).
    own = _row(page, ADMIN_EMAIL.lower())
    expect(own.get_by_role("button", name="Delete")).to_have_count(0)
    expect(own.get_by_role("button", name="Reset Password")).to_have_count(0)

    # Search and sort go to the server.
    page.get_by_label("Search users").fill("renamed")
    expect(page.get_by_role("row")).to_have_count(2)
    page.get_by_label("Search users").fill("")
    page.get_by_label("Sort by").select_option("EMAIL:ASC")
    expect(page.get_by_role("row").nth(1)).to_contain_text("admin@example.com")
    session.axe("the Users page")
    session.screenshot("users")

    _row(page, "new.person@example.com").get_by_role("button", name="Delete").click()
    expect(_dialog(page)).to_contain_text("cannot be undone")
    _dialog(page).get_by_role("button", name="Delete").click()
    expect(_row(page, "new.person@example.com")).to_have_count(0)

    # API Keys: the four cards, Create API Key with the key shown once.
    session.go("API Keys")
    for card in ("Total Keys", "Active Keys", "Expired Keys", "API Calls Today"):
        expect(page.get_by_text(card, exact=True)).to_be_visible()
    for column in ("Name", "Key", "Scopes", "Last Used", "Expires", "Status"):
        expect(page.get_by_role("columnheader", name=column, exact=True)).to_be_visible()
    page.get_by_role("button", name="Create API Key").click()
    dialog = _dialog(page)
    dialog.get_by_label("Name").fill("Billing sync")
    dialog.get_by_label("Description").fill("Nightly invoices export")
    dialog.get_by_role("checkbox", name="Write", exact=True).check()
    dialog.get_by_label("Expiration").select_option("")
    dialog.get_by_role("button", name="Create API Key").click()
    expect(dialog).to_contain_text("won't be shown again")
    secret = dialog.get_by_label("Your API key").input_value()
    assert SECRET.fullmatch(secret), secret
    dialog.get_by_role("button", name="Copy").click()
    expect(dialog.get_by_role("status")).to_have_text("Copied to the clipboard.")
    assert page.evaluate("navigator.clipboard.readText()") == secret
    session.axe("the key shown once")
    session.screenshot("key-created")
    dialog.get_by_role("button", name="Done").click()
    row = _row(page, "Billing sync")
    expect(row).to_contain_text("Nightly invoices export")
    expect(row).to_contain_text("Never")  # Expires
    masked = row.locator("code").inner_text()
    assert masked.startswith("gk_")
    assert "…" in masked
    assert masked not in secret
    session.screenshot("api-keys")
    # Never again: not in the page, not in storage, not in the URL.
    assert secret not in page.content()
    session.assert_left_no_secret(secret)

    # The cards and an open key's usage follow calls made elsewhere, by themselves.
    calls_before = int(_metric(page, "API Calls Today").inner_text().replace(",", ""))
    row.get_by_role("button", name="Billing sync", exact=True).click()
    dialog = _dialog(page)
    expect(dialog.get_by_role("heading", name="Configuration")).to_be_visible()
    expect(dialog.get_by_role("heading", name="Scopes")).to_be_visible()
    expect(dialog.locator("svg[role=img]")).to_be_visible()
    expect(dialog.locator('[data-field="usageSummary"]')).to_contain_text("0 calls")
    api.call_with_key(secret)
    api.call_with_key(secret)
    expect(dialog.locator('[data-field="usageSummary"]')).to_contain_text("2 calls", timeout=25_000)
    session.axe("the key's details")
    session.screenshot("key-details")
    page.keyboard.press("Escape")
    expect(_dialog(page)).to_have_count(0)
    expect(_metric(page, "API Calls Today")).to_have_text(str(calls_before + 2), timeout=25_000)

    # The actions menu, by keyboard: Edit, then Roll Key with its new secret shown once.
    menu_button = _row(page, "Billing sync").get_by_role("button", name="Actions for Billing sync")
    menu_button.focus()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="View Details")).to_be_focused()
    page.keyboard.press("ArrowDown")
    expect(page.get_by_role("menuitem", name="Edit")).to_be_focused()
    page.keyboard.press("Escape")
    expect(page.get_by_role("menu")).to_have_count(0)
    expect(menu_button).to_be_focused()
    page.keyboard.press("Enter")
    page.get_by_role("menuitem", name="Edit").press("Enter")
    _dialog(page).get_by_label("Name").fill("Billing export")
    _dialog(page).get_by_label("Rate limit per minute").fill("600")
    _dialog(page).get_by_label("Allowed networks").fill("127.0.0.1/32\n10.0.0.0/8")
    session.axe("the Edit key dialog")
    _dialog(page).get_by_role("button", name="Save").click()
    expect(_row(page, "Billing export")).to_be_visible()
    _row(page, "Billing export").get_by_role("button", name="Billing export", exact=True).click()
    expect(_dialog(page)).to_contain_text("600 a minute")
    expect(_dialog(page)).to_contain_text("127.0.0.1/32, 10.0.0.0/8")
    _dialog(page).get_by_role("button", name="Close", exact=True).click()

    _row(page, "Billing export").get_by_role("button", name="Actions for Billing export").click()
    page.get_by_role("menuitem", name="Roll Key").click()
    _dialog(page).get_by_role("button", name="Roll Key").click()
    expect(_dialog(page)).to_contain_text("won't be shown again")
    rolled = _dialog(page).get_by_label("Your new API key").input_value()
    assert SECRET.fullmatch(rolled)
    assert rolled != secret
    # Focus stays inside the open dialog.
    for _ in range(6):
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.closest('dialog') !== null")
    _dialog(page).get_by_role("button", name="Done").click()
    assert rolled not in page.content()
    api.call_with_key(rolled)

    # Disable, refused at once; Enable, working again.
    _row(page, "Billing export").get_by_role("button", name="Actions for Billing export").click()
    page.get_by_role("menuitem", name="Disable").click()
    _dialog(page).get_by_role("button", name="Disable").click()
    expect(_row(page, "Billing export")).to_contain_text("Disabled")
    api.refused_with_key(rolled)
    _row(page, "Billing export").get_by_role("button", name="Actions for Billing export").click()
    page.get_by_role("menuitem", name="Enable").click()
    expect(_row(page, "Billing export")).to_contain_text("Active")
    api.call_with_key(rolled)

    # Revoke, then Delete, from the actions menu.
    _row(page, "Billing export").get_by_role("button", name="Actions for Billing export").click()
    page.get_by_role("menuitem", name="Revoke").click()
    _dialog(page).get_by_role("button", name="Revoke").click()
    expect(_row(page, "Billing export")).to_contain_text("Revoked")
    _row(page, "Billing export").get_by_role("button", name="Actions for Billing export").click()
    expect(page.get_by_role("menuitem", name="Revoke")).to_have_count(0)
    page.get_by_role("menuitem", name="Delete").click()
    _dialog(page).get_by_role("button", name="Delete").click()
    expect(_row(page, "Billing export")).to_have_count(0)
    session.axe("the API Keys page")

    # The audit log saw it all.
    session.go("Audit Log")
    expect(page.get_by_role("cell", name="api_key.revoke")).to_be_visible()
    # Actors and targets by name where they still exist.
    expect(_row(page, "user.reset_password").first).to_contain_text("reader@example.com")
    session.axe("the Audit Log page")
    session.screenshot("audit-log")
    session.go("My Account")
    session.axe("the My Account page")
    session.screenshot("my-account")

    # At a phone's width, every page reflows instead of scrolling sideways.
    page.set_viewport_size({"width": 390, "height": 844})
    for name in ("Users", "API Keys", "Audit Log", "My Account"):
        session.go(name)
        session.assert_fits(f"the {name} page")

    token = _token_of(session)
    assert token is not None
    session.assert_left_no_secret(token, ADMIN_PASSWORD, secret, rolled)
    # A reload forgets the session: the token lived in the page's memory only.
    page.reload()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    page.get_by_role("button", name="Sign in", exact=True).wait_for()
    session.close()


def test_an_admin_sees_only_what_an_admin_may_do(browser: Browser, server: str, api: Api) -> None:
    admin_token = api.login("admin@example.com", PASSWORD)
    api.create_key("Ada's own key", token=admin_token)
    api.create_key("Owner's key")
    target = api.create_user("promoted.later@example.com", ["READ_ONLY"])
    session = Session(browser, server)
    page = session.page
    session.sign_in("admin@example.com", PASSWORD)

    expect(page.get_by_role("button", name="Create User")).to_have_count(0)
    expect(page.get_by_role("link", name="Audit Log")).to_have_count(0)
    expect(page.get_by_role("button", name="Reset Password")).to_have_count(0)
    expect(page.get_by_role("button", name="Delete")).to_have_count(0)
    # Never on a super-admin.
    expect(_row(page, ADMIN_EMAIL.lower()).get_by_role("button", name="Edit")).to_have_count(0)
    # The server has the last word: promoted meanwhile, the user is no longer the admin's to
    # edit, and the refusal is shown as it came.
    _row(page, "promoted.later@example.com").get_by_role("button", name="Edit").click()
    expect(_dialog(page).get_by_role("checkbox", name="Super Admin")).to_be_disabled()
    api.run(
        "mutation($id: ID!) { updateUser(id: $id, input: {roles: [SUPER_ADMIN]}) { id } }",
        {"id": target},
    )
    _dialog(page).get_by_label("Display Name").fill("Not yours to rename")
    _dialog(page).get_by_role("button", name="Save").click()
    expect(_dialog(page).get_by_role("alert")).to_contain_text("FORBIDDEN")
    page.keyboard.press("Escape")

    session.go("API Keys")
    expect(page.get_by_role("button", name="Create API Key")).to_be_visible()
    _row(page, "Owner's key").get_by_role("button", name="Actions for Owner's key").click()
    menu = page.get_by_role("menu")
    expect(menu.get_by_role("menuitem")).to_have_text(["View Details", "Disable", "Revoke"])
    expect(menu.get_by_role("menuitem", name="View Details")).to_be_focused()
    session.axe("an open actions menu")
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    _row(page, "Ada's own key").get_by_role("button", name="Actions for Ada's own key").click()
    expect(menu.get_by_role("menuitem")).to_have_text(
        ["View Details", "Edit", "Roll Key", "Disable", "Revoke"]
    )
    expect(menu.get_by_role("menuitem", name="View Details")).to_be_focused()
    page.keyboard.press("Escape")
    expect(menu).to_have_count(0)
    session.axe("the API Keys page as an admin")

    # Sessions ended elsewhere (a password reset by a super-admin): the next request sends
    # the admin back to the sign-in page, saying why.
    admin = api.run('{ users(filter: {search: "admin@example"}) { nodes { id } } }')
    api.run(
        "mutation($id: ID!, $p: String!) { resetPassword(userId: $id, newPassword: $p) { id } }",
        {"id": admin["users"]["nodes"][0]["id"], "p": PASSWORD},
    )
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="Users").click()
    expect(page.get_by_text("Your session has ended")).to_be_visible()
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    session.close()


def test_the_read_only_view_at_a_phones_width(browser: Browser, server: str, api: Api) -> None:
    api.create_key("Reporting")
    # More keys than a page holds.
    for number in range(21):
        api.create_key(f"Batch key {number:02}")
    reader = api.run('{ users(filter: {search: "reader@"}) { nodes { id } } }')
    api.run(
        "mutation($id: ID!, $p: String!) { resetPassword(userId: $id, newPassword: $p) { id } }",
        {"id": reader["users"]["nodes"][0]["id"], "p": PASSWORD},
    )
    reader_password = PASSWORD
    session = Session(browser, server, width=390)
    page = session.page
    page.goto(f"{server}/")
    session.assert_fits("the sign-in page")
    session.sign_in("reader@example.com", reader_password)

    expect(page.get_by_role("heading", level=1, name="API Keys")).to_be_visible()
    expect(page.get_by_role("link", name="Users")).to_have_count(0)
    expect(page.get_by_role("button", name="Create API Key")).to_have_count(0)
    expect(page.get_by_text("Total Keys", exact=True)).to_be_visible()
    # Cursor pages: forward, and back to the first.
    expect(page.get_by_text("page 1")).to_be_visible()
    expect(_row(page, "Batch key 20")).to_be_visible()
    expect(_row(page, "Reporting")).to_have_count(0)
    page.get_by_role("button", name="Next page").click()
    expect(page.get_by_text("page 2")).to_be_visible()
    expect(_row(page, "Reporting")).to_be_visible()
    expect(_row(page, "Batch key 20")).to_have_count(0)
    page.get_by_role("button", name="Previous page").click()
    expect(_row(page, "Batch key 20")).to_be_visible()
    page.get_by_label("Search keys").fill("Reporting")
    _row(page, "Reporting").get_by_role("button", name="Actions for Reporting").click()
    expect(page.get_by_role("menu").get_by_role("menuitem")).to_have_text(["View Details"])
    page.get_by_role("menuitem", name="View Details").click()
    expect(_dialog(page).get_by_role("heading", name="Usage history")).to_be_visible()
    session.assert_fits("the key's details")
    session.axe("the key's details at 390 px")
    session.screenshot("phone-key-details")
    page.keyboard.press("Escape")
    session.assert_fits("the API Keys page")
    session.axe("the API Keys page at 390 px")
    session.screenshot("phone-api-keys")

    # A refusal is shown with its code: a wrong current password.
    session.go("My Account")
    page.get_by_label("Current password").fill("not the password at all")
    page.get_by_label("New password").fill("another long password")
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_role("alert")).to_contain_text("FORBIDDEN")
    session.assert_fits("the My Account page")

    token = _token_of(session)
    assert token is not None
    session.assert_left_no_secret(token, reader_password)
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    refused = httpx.post(
        f"{server}/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    ).json()
    assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    session.close()


def test_the_portal_works_in_production_with_only_its_trusted_documents(
    browser: Browser, tmp_path: Path
) -> None:
    manifest = PORTAL_DIR / MANIFEST
    with serving(
        f"sqlite://{tmp_path}/gatehouse.sqlite3",
        GATEHOUSE_ENV="production",
        TRUSTED_DOCUMENTS=str(manifest),
    ) as base:
        page_answer = httpx.get(f"{base}/portal/", timeout=30)
        assert page_answer.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        free_text = httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}, timeout=30)
        assert free_text.status_code == 400
        session = Session(browser, base)
        page = session.page
        sent: list[dict[str, Any]] = []
        page.on(
            "request",
            lambda request: (
                sent.append(json.loads(request.post_data or "{}"))
                if request.url.endswith("/graphql")
                else None
            ),
        )
        session.sign_in(ADMIN_EMAIL.lower(), ADMIN_PASSWORD)
        expect(page.get_by_role("heading", level=1, name="Users")).to_be_visible()
        session.go("API Keys")
        page.get_by_role("button", name="Create API Key").click()
        _dialog(page).get_by_label("Name").fill("Production key")
        _dialog(page).get_by_role("button", name="Create API Key").click()
        expect(_dialog(page)).to_contain_text("won't be shown again")
        _dialog(page).get_by_role("button", name="Done").click()
        expect(_row(page, "Production key")).to_be_visible()
        session.go("Audit Log")
        expect(page.get_by_role("cell", name="api_key.create")).to_be_visible()
        session.close()
    # After the first refusal of free text, the portal asked by id only.
    by_id = [body for body in sent if "documentId" in body]
    assert by_id
    assert all("query" not in body for body in by_id)
