"""Two-factor sign-in in a real browser, with JavaScript on and off (issue 17, point 1): set-up from the profile
with a wrong code first, the recovery codes shown once, then signing in with a code, with a recovery code, and on a
remembered device; axe on every page of the journey."""

import re

from sqlalchemy import select, update

from cade.accounts import two_factor
from cade.accounts.models import User
from cade.extensions import db as _db
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import PASSWORD, UserFactory


def _main(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def _fresh_code(user_id: int) -> str:
    """The app's code now, as if the next 30 seconds had come: each time step is accepted once."""
    _db.session.execute(update(User).where(User.id == user_id).values(totp_last_step=None))
    _db.session.commit()
    return two_factor.current_code(_db.session.scalar(select(User.totp_secret).where(User.id == user_id)))


def _password_step(page, user) -> None:
    page.goto("/auth/login")
    page.locator("main input[name=email]").fill(user.email)
    page.locator("main input[name=password]").fill(PASSWORD)
    send(page, page.locator("main form button[type=submit]"))


def _sign_out(page) -> None:
    send(page, page.get_by_role("button", name="Sign out"))


def test_set_up_and_sign_in_with_a_code_a_recovery_code_and_a_remembered_device(browse, db):
    page = browse
    user = UserFactory(name="Tomas Two")
    db.session.commit()
    audit = Audit(page)
    sign_in(page, user)

    page.goto("/auth/profile")
    send(page, page.get_by_role("link", name="Set up two-factor sign-in"))
    audit.check("two-factor, off")
    send(page, page.locator("main").get_by_role("link", name="Set up two-factor sign-in"))
    assert page.locator("figure.qr svg").count() == 1
    secret = page.locator("#totp-secret").inner_text().replace(" ", "")
    page.get_by_label("Code from your app").fill("000000")
    send(page, page.get_by_role("button", name="Turn on two-factor sign-in"))
    assert "That code is not right" in page.locator("#code-error").inner_text()
    assert page.locator("#totp-secret").inner_text().replace(" ", "") == secret  # the same secret to scan
    audit.check("set-up with a wrong code")

    page.get_by_label("Code from your app").fill(two_factor.current_code(secret))
    send(page, page.get_by_role("button", name="Turn on two-factor sign-in"))
    codes = page.locator("ul.recovery-codes code").all_inner_texts()
    assert len(codes) == 10 and "shown only once" in _main(page)
    audit.check("recovery codes")
    send(page, page.get_by_role("link", name="I have saved my codes"))
    assert "Two-factor sign-in is on." in _main(page) and "Recovery codes left 10" in _main(page)

    # The code after the password.
    _sign_out(page)
    _password_step(page, user)
    assert page.url.endswith("/auth/login/code")
    audit.check("sign-in code step")
    page.get_by_label("Sign-in code", exact=True).fill("999999")
    send(page, page.get_by_role("button", name="Sign in"))
    assert "That code is not right" in page.locator("#code-error").inner_text()
    audit.check("sign-in code step with a wrong code")
    page.get_by_label("Sign-in code", exact=True).fill(_fresh_code(user.id))
    send(page, page.get_by_role("button", name="Sign in"))
    assert page.get_by_role("button", name="Sign out").count() == 1

    # A recovery code instead, typed in capitals with a space.
    _sign_out(page)
    _password_step(page, user)
    page.get_by_label("Sign-in code", exact=True).fill(codes[0].upper().replace("-", " "))
    send(page, page.get_by_role("button", name="Sign in"))
    assert page.get_by_role("button", name="Sign out").count() == 1
    page.goto("/auth/two-factor")
    assert "Recovery codes left 9" in _main(page)

    # This device remembered: the next sign-in asks no code.
    _sign_out(page)
    _password_step(page, user)
    page.get_by_label("Sign-in code", exact=True).fill(_fresh_code(user.id))
    page.get_by_label(re.compile("Do not ask for a code on this device")).check()
    send(page, page.get_by_role("button", name="Sign in"))
    _sign_out(page)
    _password_step(page, user)
    assert not page.url.endswith("/auth/login/code")
    assert page.get_by_role("button", name="Sign out").count() == 1
    audit.assert_clean()
