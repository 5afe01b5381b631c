"""Personal API tokens in a browser (issue 15, part 3): a mistake keeps what was typed, the token is shown once and
works, revoking stops it; axe finds nothing on the profile with its errors, or on the page showing the token."""

from sqlalchemy import select

from cade.accounts.api_tokens import authenticate_bearer
from cade.accounts.models import ApiToken
from cade.core.errors import Unauthenticated
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import PASSWORD, UserFactory


def test_make_use_and_revoke_a_token(page, db):
    user = UserFactory(name="Olu Owner")
    db.session.commit()
    audit = Audit(page)
    sign_in(page, user)
    page.goto("/auth/profile")
    section = page.locator("#api-tokens")
    section.get_by_label("Name of the token").fill("report script")
    section.get_by_label("Your current password").fill("not my password")
    send(page, section.get_by_role("button", name="Make the token"))
    assert "is not correct" in section.locator("#token-password-error").inner_text()
    assert section.get_by_label("Name of the token").input_value() == "report script"
    assert section.get_by_label("Your current password").input_value() == ""
    audit.check("profile, token form with errors")

    section.get_by_label("Your current password").fill(PASSWORD)
    send(page, section.get_by_role("button", name="Make the token"))
    raw = page.locator("#new-token").input_value()
    assert raw.startswith("cade_") and authenticate_bearer(f"Bearer {raw}").name == "report script"
    db.session.commit()  # its last use is noted: the database is free again for the browser's requests
    audit.check("new token")

    page.goto("/auth/profile")
    assert raw not in page.content()
    send(page, page.get_by_role("button", name="Revoke report script"))
    assert "has been revoked" in page.locator(".flashes").inner_text()
    audit.check("profile with a revoked token")
    db.session.expire_all()
    assert db.session.scalar(select(ApiToken.revoked_at)) is not None
    try:
        authenticate_bearer(f"Bearer {raw}")
    except Unauthenticated:
        pass
    else:
        raise AssertionError("a revoked token still works")
    audit.assert_clean()
