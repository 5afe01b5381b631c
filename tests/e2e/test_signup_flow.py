"""Sign-up in a real browser: an invitation followed without an account survives registration and the
verification mail, and the time-zone field starts on the zone the browser reports."""

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from cade.accounts.models import User
from cade.core.db import utcnow
from cade.core.tokens import token_digest
from cade.notifications.constants import NotificationStatus
from cade.notifications.delivery import deliver_notification
from cade.notifications.models import Notification
from cade.organisations.models import Invitation, Membership
from tests.e2e.test_accessibility import Audit, send
from tests.factories import MembershipFactory, OrganisationFactory

PASSWORD = "a long enough passphrase 2026"
TOKEN = "e2e-invitation-token"


@pytest.fixture()
def nairobi(browser, live_server, db):
    """A page in a browser whose clock is set to Nairobi."""
    context = browser.new_context(base_url=live_server, locale="en-GB", timezone_id="Africa/Nairobi")
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


def deliver_pending(db):
    """Do the worker's job: send what the outbox holds (the worker is tested on its own)."""
    db.session.expire_all()
    ids = db.session.scalars(select(Notification.id).where(Notification.status == NotificationStatus.PENDING)).all()
    for notification_id in ids:
        deliver_notification(notification_id)
        db.session.commit()


def verification_link(page, address: str) -> str:
    """The path of the verification link in the newest mail to `address`, read in the dev mailbox."""
    page.goto("/dev/mailbox")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("onfirm")).first.click()
    mail = page.content()
    assert address in mail
    link = re.search(r'https?://[^\s"<]+/auth/verify/[^\s"<]+', mail).group(0)
    return re.sub(r"^https?://[^/]+", "", link)


def test_an_invited_colleague_registers_and_lands_on_the_invitation_signed_in(nairobi, db):
    page = nairobi
    org = OrganisationFactory(name="Kijiji Net", country="KE")
    owner = MembershipFactory(organisation=org, role="owner", user__name="Wanjiru Owner").user
    db.session.add(Invitation(organisation=org, email="amina@kijiji.example", role="member",
                              invited_by_id=owner.id, token_hash=token_digest(TOKEN),
                              expires_at=utcnow() + timedelta(days=14)))
    db.session.commit()
    audit = Audit(page)

    audit.visit(f"/organisations/invitations/{TOKEN}", "invitation, not signed in")
    assert "Kijiji Net" in page.content()
    send(page, page.locator("main").get_by_role("link", name="Create an account"))
    audit.check("sign-up from an invitation")

    # The invited address is filled in, and the browser's zone is chosen for the person.
    expect(page.get_by_label("E-mail address")).to_have_value("amina@kijiji.example")
    expect(page.get_by_label("Time zone")).to_have_value("Africa/Nairobi")
    page.get_by_label("Your name").fill("Amina Njoroge")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    send(page, page.get_by_role("button", name="Create my account"))
    assert "Check your e-mail" in page.content()

    deliver_pending(db)
    path = verification_link(page, "amina@kijiji.example")
    page.context.clear_cookies()  # as if the mail were opened on another device
    page.goto(path)

    # Signed in, on the invitation, ready to accept.
    assert f"/organisations/invitations/{TOKEN}" in page.url
    assert page.locator("form[action$='/auth/logout']").count() == 1
    audit.check("invitation after verifying")
    send(page, page.get_by_role("button", name="Accept and join"))
    assert "Welcome to Kijiji Net" in page.content()

    db.session.expire_all()
    amina = db.session.scalar(select(User).where(User.email == "amina@kijiji.example"))
    assert amina.is_verified and amina.timezone == "Africa/Nairobi"
    assert db.session.scalar(select(Membership).where(Membership.user_id == amina.id)).organisation_id == org.id
    audit.assert_clean()


@pytest.mark.parametrize("zone", ["Africa/Nairobi", "Asia/Kolkata", "America/Sao_Paulo"])
def test_the_time_zone_field_starts_on_the_browser_zone(browser, live_server, db, zone):
    context = browser.new_context(base_url=live_server, locale="en-GB", timezone_id=zone)
    try:
        page = context.new_page()
        page.goto("/auth/register")
        # Chromium names some zones by their old names (Asia/Calcutta): the list knows them under the new.
        expect(page.get_by_label("Time zone")).to_have_value(zone)
    finally:
        context.close()


def test_without_javascript_the_time_zone_field_stays_on_utc(browser, live_server, db):
    context = browser.new_context(base_url=live_server, locale="en-GB", timezone_id="Africa/Nairobi",
                                  java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto("/auth/register")
        assert page.get_by_label("Time zone").input_value() == "UTC"
    finally:
        context.close()
