"""Account security through the portal's own pages in Debian's Chromium: an authenticator
app set up on My Account and then asked at sign-in, a recovery code used once, step-up
asked in a dialog before a sensitive change, the sessions list, and a temporary password
that must be changed before the portal opens."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pyotp
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.live_server import ADMIN_EMAIL, ADMIN_PASSWORD, graphql_at, login_at, serving

pytestmark = pytest.mark.browser

ADMIN = ("robin@example.com", "a lighthouse keeper's logbook")
TEMPORARY = ("casey@example.com", "handed over by the admin")
CHOSEN = "a password only its owner knows"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    directory = tmp_path_factory.mktemp("accounts")
    # A short step-up window, so that the test sees it close.
    with serving(f"sqlite://{directory}/gatehouse.sqlite3", STEP_UP_SECONDS="2") as base:
        admin = login_at(base, ADMIN_EMAIL, ADMIN_PASSWORD)
        create = "mutation($i: CreateUserInput!) { createUser(input: $i) { id } }"
        for (email, password), name, role, temporary in (
            (ADMIN, "Robin", "ADMIN", False),
            (TEMPORARY, "Casey", "READ_ONLY", True),
        ):
            user = {
                "email": email,
                "displayName": name,
                "password": password,
                "roles": [role],
                "mustChangePassword": temporary,
            }
            graphql_at(base, create, {"i": user}, admin)
        yield base


def _open(browser: Browser, site: str) -> tuple[Page, list[str]]:
    page = browser.new_context().new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{site}/portal/")
    return page, errors


def _sign_in(page: Page, email: str, password: str) -> None:
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in", exact=True).click()


def _portal_open(page: Page) -> None:
    expect(page.get_by_role("navigation", name="Portal")).to_be_visible()


def _my_account(page: Page) -> None:
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="My Account").click()
    expect(page.get_by_role("heading", level=2, name="Authenticator App")).to_be_visible()


def _recovery_codes(page: Page) -> list[str]:
    return page.get_by_role("list", name="Recovery codes").get_by_role("listitem").all_inner_texts()


def test_an_authenticator_app_set_up_in_the_portal_guards_sign_in_and_changes(
    browser: Browser, site: str
) -> None:
    page, errors = _open(browser, site)
    email, password = ADMIN
    _sign_in(page, email, password)
    _portal_open(page)

    # Set up: the server's QR code and key, confirmed with a first code from the app.
    _my_account(page)
    page.get_by_role("button", name="Set Up Authenticator App").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    secret = page.locator("code.secret").inner_text()
    authenticator = pyotp.TOTP(secret)
    page.get_by_label("Code from the app").fill(authenticator.now())
    page.get_by_role("button", name="Turn On").click()
    expect(page.get_by_text("Authenticator app turned on.")).to_be_visible()
    codes = _recovery_codes(page)
    assert len(codes) == 10

    # Signing in now asks for the second factor; a recovery code does, once.
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, email, password)
    expect(page.get_by_role("heading", name="Verify it's you")).to_be_visible()
    page.get_by_label("Authentication code").fill(codes[0])
    page.get_by_role("button", name="Verify").click()
    _portal_open(page)

    # Past the step-up window, a sensitive change asks again in a dialog, then goes through.
    time.sleep(2.5)
    _my_account(page)
    page.get_by_role("button", name="New Recovery Codes").click()
    dialog = page.get_by_role("dialog", name="Verify it's you")
    expect(dialog).to_be_visible()
    # The next time step (one step of drift is accepted): the set-up's code was used once.
    dialog.get_by_label("Authentication code").fill(authenticator.at(time.time() + 30))
    dialog.get_by_role("button", name="Verify").click()
    expect(page.get_by_text("New recovery codes made")).to_be_visible()
    fresh = _recovery_codes(page)
    assert len(fresh) == 10
    assert not set(fresh) & set(codes)

    # Sessions: this one, and one more opened elsewhere, which is signed out from here.
    expect(page.get_by_role("table", name="Sessions").get_by_text("This session")).to_be_visible()
    login_at(site, email, password)
    page.get_by_role("navigation", name="Portal").get_by_role("link", name="API Keys").click()
    _my_account(page)
    page.get_by_role("button", name="Sign Out Other Sessions").click()
    expect(page.get_by_text("1 other session ended.")).to_be_visible()
    expect(page.get_by_role("table", name="Sessions").get_by_role("row")).to_have_count(2)

    assert errors == []
    page.context.close()


def test_a_temporary_password_is_changed_before_the_portal_opens(
    browser: Browser, site: str
) -> None:
    page, errors = _open(browser, site)
    email, password = TEMPORARY
    _sign_in(page, email, password)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.get_by_role("navigation", name="Portal")).to_have_count(0)

    page.get_by_label("Current password").fill(password)
    page.get_by_label("New password", exact=True).fill(CHOSEN)
    page.get_by_role("button", name="Change Password").click()
    _portal_open(page)

    # The old password no longer signs in; the chosen one opens the portal at once.
    page.get_by_role("button", name="Sign out").click()
    _sign_in(page, email, password)
    expect(page.get_by_role("alert")).to_be_visible()
    page.get_by_label("Password").fill(CHOSEN)
    page.get_by_role("button", name="Sign in", exact=True).click()
    _portal_open(page)

    assert errors == []
    page.context.close()


def test_an_invitation_made_in_the_portal_is_accepted_through_its_link(
    browser: Browser, site: str
) -> None:
    page, errors = _open(browser, site)
    _sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    _portal_open(page)

    page.get_by_role("button", name="Invite User").click()
    dialog = page.get_by_role("dialog", name="Invite User")
    dialog.get_by_label("Email").fill("jordan@example.com")
    dialog.get_by_label("Display Name").fill("Jordan")
    dialog.get_by_role("button", name="Invite User").click()
    first_link = page.get_by_label("Invitation link").input_value()
    page.get_by_role("button", name="Done").click()
    pending = page.get_by_role("table", name="Pending invitations")
    expect(pending.get_by_role("cell", name="jordan@example.com", exact=True)).to_be_visible()

    # Resent: a new link, and the first one stops working.
    page.get_by_role("button", name="Resend to jordan@example.com").click()
    link = page.get_by_label("Invitation link").input_value()
    assert link != first_link
    page.get_by_role("button", name="Done").click()

    invitee, invitee_errors = _open(browser, site)
    invitee.goto(first_link)
    invitee.get_by_label("Password").fill("the invitee's own choice")
    invitee.get_by_role("button", name="Accept Invitation").click()
    expect(invitee.get_by_role("alert")).to_contain_text("INVITATION_INVALID")

    invitee.goto(link)
    invitee.reload()
    invitee.get_by_label("Password").fill("the invitee's own choice")
    invitee.get_by_role("button", name="Accept Invitation").click()
    _portal_open(invitee)
    assert "#/accept/" not in invitee.url
    expect(invitee.get_by_text("Jordan")).to_be_visible()

    page.reload()
    _sign_in(page, ADMIN_EMAIL, ADMIN_PASSWORD)
    _portal_open(page)
    expect(page.get_by_role("table", name="Pending invitations")).to_have_count(0)
    expect(page.get_by_role("cell", name="jordan@example.com", exact=True)).to_be_visible()

    assert errors == []
    assert invitee_errors == []
    invitee.context.close()
    page.context.close()
