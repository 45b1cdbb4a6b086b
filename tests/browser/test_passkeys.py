"""Passkeys in a real browser: Debian's Chromium with a virtual authenticator (DevTools'
WebAuthn domain: CTAP2, internal, resident keys, user verification) against a live server
on its default relying party (localhost) and origin, through the portal's own pages: a
passkey added on My Account, then proving the second factor after a password, signing in
with it passwordless with and without the email, then removed (a step-up, just verified)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, Route, expect

from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, graphql_at, login_at, serving

pytestmark = pytest.mark.browser

EMAIL = "pat@example.com"
PASSWORD = "correct horse battery staple"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The portal at http://localhost:<port>: a secure context, on the relying party."""
    directory = tmp_path_factory.mktemp("passkeys")
    with serving(f"sqlite://{directory}/gatehouse.sqlite3") as base:
        admin = login_at(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        graphql_at(
            base,
            "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }",
            {"i": {"email": EMAIL, "displayName": "Pat", "password": PASSWORD, "roles": ["ADMIN"]}},
            admin,
        )
        yield base.replace("127.0.0.1", "localhost")


class Tab:
    def __init__(self, browser: Browser, site: str) -> None:
        self.site = site
        self.context: BrowserContext = browser.new_context()
        self.left_this_machine: list[str] = []
        self.context.route("**/*", self._only_this_site)
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.cdp: CDPSession = self.context.new_cdp_session(self.page)
        self.cdp.send("WebAuthn.enable")
        self.authenticator = self.cdp.send(
            "WebAuthn.addVirtualAuthenticator",
            {
                "options": {
                    "protocol": "ctap2",
                    "transport": "internal",
                    "hasResidentKey": True,
                    "hasUserVerification": True,
                    "isUserVerified": True,
                    "automaticPresenceSimulation": True,
                }
            },
        )["authenticatorId"]

    def _only_this_site(self, route: Route) -> None:
        if urlsplit(route.request.url).hostname == "localhost":
            route.continue_()
        else:
            self.left_this_machine.append(route.request.url)
            route.abort()

    def credentials(self) -> list[dict[str, Any]]:
        answer = self.cdp.send("WebAuthn.getCredentials", {"authenticatorId": self.authenticator})
        credentials: list[dict[str, Any]] = answer["credentials"]
        return credentials

    def open(self) -> None:
        self.page.goto(f"{self.site}/portal/")
        expect(self.page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()

    def signed_in(self) -> None:
        expect(self.page.get_by_role("button", name="Sign out")).to_be_visible()

    def sign_out(self) -> None:
        self.page.get_by_role("button", name="Sign out").click()
        expect(self.page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()

    def my_account(self) -> None:
        self.page.get_by_role("navigation", name="Portal").get_by_role(
            "link", name="My Account"
        ).click()
        expect(self.page.get_by_role("heading", level=2, name="Passkeys")).to_be_visible()


def test_a_passkey_made_in_the_browser_signs_in_passwordless(browser: Browser, site: str) -> None:
    tab = Tab(browser, site)
    page = tab.page
    tab.open()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    tab.signed_in()

    # Added on My Account: navigator.credentials.create() with the server's options.
    tab.my_account()
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    page.get_by_label("Passkey name").fill("Virtual laptop")
    page.get_by_role("button", name="Add Passkey").click()
    expect(page.get_by_text("Passkey “Virtual laptop” added.")).to_be_visible()
    expect(page.get_by_role("cell", name="Virtual laptop", exact=True)).to_be_visible()
    (credential,) = tab.credentials()
    assert credential["isResidentCredential"] is True
    assert credential["rpId"] == "localhost"
    assert credential["signCount"] == 1

    # A password is no longer enough: the passkey is the second factor (verifyMfa).
    tab.sign_out()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_role("heading", name="Verify it's you")).to_be_visible()
    page.get_by_role("button", name="Use your passkey").click()
    tab.signed_in()
    assert tab.credentials()[0]["signCount"] == 2

    # Passwordless, no email: a discoverable credential, user verified.
    tab.sign_out()
    page.get_by_role("button", name="Sign in with a passkey").click()
    tab.signed_in()
    assert tab.credentials()[0]["signCount"] == 3

    # With the email typed: the server lists that account's passkeys.
    tab.sign_out()
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_role("button", name="Sign in with a passkey").click()
    tab.signed_in()
    assert tab.credentials()[0]["signCount"] == 4

    # The server saw each use; then the passkey is removed and no longer signs in.
    tab.my_account()
    row = page.get_by_role("row").filter(has_text="Virtual laptop")
    expect(row.get_by_role("cell").nth(2)).not_to_have_text("Never")
    page.get_by_role("button", name="Remove Virtual laptop").click()
    expect(page.get_by_text("Passkey “Virtual laptop” removed.")).to_be_visible()
    expect(page.get_by_text("You have no passkeys yet.")).to_be_visible()
    tab.sign_out()
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("alert")).to_contain_text("PASSKEY_REFUSED")

    assert tab.errors == []
    assert tab.left_this_machine == []
    tab.context.close()
