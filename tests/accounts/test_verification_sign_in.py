"""Following the verification link confirms the address and signs the person in, once, for a short while."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from flask_babel import force_locale, gettext
import time_machine
from sqlalchemy import select

from cade.accounts import services, tokens
from cade.accounts.models import User
from cade.extensions import db as _db
from tests.auditlog import audit_verbs
from tests.concurrency import run_side_by_side
from tests.factories import UserFactory

GOOD_PASSWORD = "mango river telescope"
START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def registration(**overrides):
    data = {"name": "Amina Diallo", "email": "amina@example.org", "password": GOOD_PASSWORD,
            "confirm": GOOD_PASSWORD, "locale": "fr", "timezone": "Africa/Dakar"}
    data.update(overrides)
    return data


def register_and_get_token(client, outbox, **overrides) -> str:
    assert client.post("/auth/register", data=registration(**overrides)).status_code == 302
    return outbox("accounts.verify_email")[-1].context["token"]


def signed_in_id(client) -> str | None:
    with client.session_transaction() as session:
        return session.get("_user_id")


def page_text(response) -> str:
    return response.get_data(as_text=True)


def email_field_value(html: str) -> str | None:
    tag = re.search(r'<input[^>]*\bname="email"[^>]*>', html)
    value = re.search(r'value="([^"]*)"', tag.group(0)) if tag else None
    return value.group(1) if value else None


def test_the_link_confirms_the_address_and_signs_in_on_a_fresh_session(client, db, outbox):
    token = register_and_get_token(client, outbox)
    with client.session_transaction() as session:
        session["planted"] = "by someone else"
        session["locale"] = "es"

    response = client.get(f"/auth/verify/{token}")

    assert response.status_code == 302
    user = db.session.scalar(select(User))
    assert user.is_verified and user.last_login_at is not None
    with client.session_transaction() as session:
        assert session["_user_id"] == user.get_id()
        assert "planted" not in session  # a new session: nothing planted before survives
        assert session["locale"] == "es"  # the language picked from the menu stays
    followed = client.get(response.headers["Location"], follow_redirects=True)
    with force_locale("es"):  # the language picked from the menu
        confirmed = gettext("Thank you: your e-mail address is confirmed, and you are signed in.")
    assert confirmed in page_text(followed)
    assert client.get("/auth/profile").status_code == 200


def test_a_used_link_does_not_sign_in_again_and_offers_sign_in_with_the_address(app, db, outbox):
    first, second = app.test_client(), app.test_client()
    token = register_and_get_token(first, outbox)
    assert first.get(f"/auth/verify/{token}").status_code == 302
    assert signed_in_id(first) is not None

    # The same link opened again elsewhere (a forwarded mail, a second device): no session.
    response = second.get(f"/auth/verify/{token}")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/auth/login")
    assert signed_in_id(second) is None
    login_page = second.get(response.headers["Location"])
    assert email_field_value(page_text(login_page)) == "amina@example.org"
    assert "already been used" in page_text(login_page)
    assert signed_in_id(second) is None


def test_a_used_link_opened_again_by_the_same_person_changes_nothing(client, db, outbox):
    token = register_and_get_token(client, outbox)
    client.get(f"/auth/verify/{token}")
    with client.session_transaction() as session:
        session["marker"] = "still the same session"
    response = client.get(f"/auth/verify/{token}")
    assert response.status_code == 302
    assert not response.headers["Location"].startswith("/auth/login")
    with client.session_transaction() as session:
        assert session["marker"] == "still the same session"


def test_an_expired_link_lands_on_sign_in_with_the_address(app, client, db, outbox):
    with time_machine.travel(START, tick=False):
        token = register_and_get_token(client, outbox)
    with time_machine.travel(START + timedelta(seconds=app.config["EMAIL_TOKEN_MAX_AGE"] + 1), tick=False):
        response = client.get(f"/auth/verify/{token}")
        assert response.status_code == 302 and response.headers["Location"].startswith("/auth/login")
        login_page = page_text(client.get(response.headers["Location"]))
    assert email_field_value(login_page) == "amina@example.org"
    assert "expired" in login_page
    assert signed_in_id(client) is None
    assert not db.session.scalar(select(User)).is_verified


def test_links_live_48_hours_and_the_mail_says_so(app, client, db, outbox):
    assert app.config["EMAIL_TOKEN_MAX_AGE"] == 48 * 3600
    with time_machine.travel(START, tick=False):
        token = register_and_get_token(client, outbox)
    assert outbox("accounts.verify_email")[-1].context["valid_hours"] == 48
    with time_machine.travel(START + timedelta(hours=47, minutes=59), tick=False):
        assert client.get(f"/auth/verify/{token}").status_code == 302
        assert signed_in_id(client) is not None


def test_a_disabled_account_is_not_signed_in_by_its_link(app, client, db, outbox, admin):
    token = register_and_get_token(client, outbox)
    user = db.session.scalar(select(User).where(User.email == "amina@example.org"))
    services.set_user_active(admin, user, False)
    db.session.commit()
    response = client.get(f"/auth/verify/{token}")
    assert response.status_code == 400
    assert signed_in_id(client) is None
    assert not db.session.get(User, user.id).is_verified


@pytest.mark.parametrize("token", ["garbage", "eyJ1IjoxfQ.aaaa.bbbb"])
def test_a_forged_link_signs_no_one_in(client, db, token):
    UserFactory(unverified=True)
    response = client.get(f"/auth/verify/{token}")
    assert response.status_code == 400
    assert "not valid" in page_text(response)
    assert signed_in_id(client) is None


def test_signing_in_by_link_replaces_whoever_was_signed_in(app, client, db, login, outbox):
    token = register_and_get_token(app.test_client(), outbox)
    someone = login(UserFactory(email="someone@example.org"))
    client.get(f"/auth/verify/{token}")
    amina = db.session.scalar(select(User).where(User.email == "amina@example.org"))
    assert signed_in_id(client) == amina.get_id() != someone.get_id()


def test_a_link_opened_twice_at_the_same_moment_verifies_once(app, db, outbox):
    user = UserFactory(unverified=True, email="twice@example.org")
    services.resend_verification(user.email)
    _db.session.commit()
    token = outbox("accounts.verify_email")[-1].context["token"]

    outcomes = run_side_by_side(app, [lambda: services.verify_email(token)] * 2, pause_after="from users")

    assert sorted(o == "done" for o in outcomes) == [False, True]
    refused = next(o for o in outcomes if o != "done")
    assert isinstance(refused, tokens.InvalidToken)
    _db.session.expire_all()
    assert _db.session.get(User, user.id).is_verified
    assert audit_verbs(user).count("user.verified") == 1


def test_an_expired_link_opened_by_the_signed_in_owner_offers_a_new_link(app, db, outbox, login, client):
    with time_machine.travel(START, tick=False):
        token = register_and_get_token(app.test_client(), outbox, next="/organisations/invitations/abc", locale="en")
    with time_machine.travel(START + timedelta(seconds=app.config["EMAIL_TOKEN_MAX_AGE"] + 1), tick=False):
        amina = login(db.session.scalar(select(User)))
        response = client.get(f"/auth/verify/{token}")
        assert response.headers["Location"] == "/auth/resend-verification?next=/organisations/invitations/abc"
        assert signed_in_id(client) == amina.get_id()
        page = page_text(client.get(response.headers["Location"]))
    assert "expired" in page and email_field_value(page) == "amina@example.org"


def test_the_mail_says_the_link_signs_in_and_for_how_long(client, db, outbox):
    from cade.notifications.rendering import render_notification

    register_and_get_token(client, outbox, locale="en")
    _subject, text, html = render_notification(outbox("accounts.verify_email")[-1])
    for body in (text, html):
        assert "expires after 48 hours" in body and "signs you in" in body
