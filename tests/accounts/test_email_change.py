"""Changing one's e-mail address: the request, the link to the new address, the notice to the old one."""

import re

import pytest
from flask import render_template
from sqlalchemy import select

# Until the import at the bottom of cade/accounts/views.py is added, this joins the routes to the blueprint
# (collection comes before the session's app is made).
import cade.accounts.views_email  # noqa: F401
from cade.accounts import tokens
from cade.accounts.services import change_password, sign_out, PasswordChangeInput
from cade.accounts.services.email_change import (
    AddressTaken,
    EmailChangeInput,
    EmailChangeUsed,
    WrongAccount,
    check_email_change,
    confirm_email_change,
    mask_address,
    request_email_change,
)
from cade.accounts.tokens import InvalidToken, TokenExpired
from cade.core.audit import AuditEvent
from cade.core.errors import ValidationFailed
from cade.notifications.rendering import render_notification
from tests.factories import PASSWORD, UserFactory

NEW = "new.address@example.org"


def change_to(address: str, password: str = PASSWORD) -> EmailChangeInput:
    return EmailChangeInput.from_input({"new_email": address, "password": password})


def link_token(outbox, address: str = NEW) -> str:
    [row] = outbox("accounts.email_change_confirm", email=address)
    return row.context["token"]


def events(db, verb: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.verb == verb).order_by(AuditEvent.id)))


def page_text(response) -> str:
    return response.get_data(as_text=True)


def signed_in(client) -> bool:
    return client.get("/auth/profile").status_code == 200


# --- the request ------------------------------------------------------------------------------------------------

def test_a_request_sends_a_link_to_the_new_address_and_changes_nothing_yet(db, outbox):
    user = UserFactory(email="old@example.org", locale="fr")
    assert request_email_change(user, change_to("  New.Address@Example.ORG ")) is True
    db.session.refresh(user)
    assert user.email == "old@example.org"
    [row] = outbox("accounts.email_change_confirm")
    # To the new address, in the language of the person who asked, in their mailbox only.
    assert row.recipient_email == NEW and row.locale == "fr" and row.in_app is False
    assert check_email_change(row.context["token"]).new_email == NEW
    [event] = events(db, "user.email_change_requested")
    assert event.after == {"email": NEW, "taken": False}


def test_a_wrong_password_is_refused_and_nothing_is_sent(db, outbox):
    user = UserFactory()
    with pytest.raises(ValidationFailed) as refused:
        request_email_change(user, change_to(NEW, password="not my password"))
    assert list(refused.value.errors) == ["password"]
    assert outbox() == []


@pytest.mark.parametrize("address", ["", "not an address", "name@", "a@b@example.org"])
def test_an_address_that_is_not_one_is_refused_on_its_field(db, address):
    with pytest.raises(ValidationFailed) as refused:
        change_to(address)
    assert list(refused.value.errors) == ["new_email"]


@pytest.mark.parametrize("typed", ["me@example.org", " ME@Example.org "])
def test_the_present_address_is_refused_however_it_is_spelt(db, outbox, typed):
    user = UserFactory(email="me@example.org")
    with pytest.raises(ValidationFailed) as refused:
        request_email_change(user, change_to(typed))
    assert list(refused.value.errors) == ["new_email"]
    assert outbox() == []


def test_a_taken_address_gets_a_note_instead_of_a_link_and_nothing_changes(db, outbox):
    holder = UserFactory(email=NEW, locale="es")
    user = UserFactory(email="old@example.org")
    assert request_email_change(user, change_to(NEW)) is False
    assert request_email_change(user, change_to(NEW.upper())) is False
    assert outbox("accounts.email_change_confirm") == []
    # The holder is told once a day, in their own language; the asker learns nothing.
    [note] = outbox("accounts.email_change_taken")
    assert note.recipient_id == holder.id and note.recipient_email == NEW and note.locale == "es"
    db.session.refresh(user)
    assert user.email == "old@example.org"
    assert [event.after["taken"] for event in events(db, "user.email_change_requested")] == [True, True]


# --- the link -----------------------------------------------------------------------------------------------------

def test_confirming_changes_the_address_ends_sessions_and_tells_the_old_address(db, outbox):
    user = UserFactory(email="old@example.org", locale="pt", timezone="America/Sao_Paulo")
    request_email_change(user, change_to(NEW))
    version = user.session_version

    confirm_email_change(user, link_token(outbox))
    db.session.refresh(user)
    assert user.email == NEW
    assert user.session_version == version + 1
    [event] = events(db, "user.email_changed")
    assert (event.before, event.after) == ({"email": "old@example.org"}, {"email": NEW})
    [notice] = outbox("accounts.email_changed")
    assert notice.recipient_email == "old@example.org" and notice.locale == "pt"
    assert notice.context["new_email_masked"] == "n…@example.org"
    assert NEW not in str(notice.context)


def test_the_link_proves_the_new_address_of_an_unconfirmed_account(db, outbox):
    user = UserFactory(unverified=True)
    request_email_change(user, change_to(NEW))
    confirm_email_change(user, link_token(outbox))
    assert user.verified_at is not None


def test_a_used_link_works_no_more(db, outbox):
    user = UserFactory()
    request_email_change(user, change_to(NEW))
    token = link_token(outbox)
    confirm_email_change(user, token)
    with pytest.raises(EmailChangeUsed):
        confirm_email_change(user, token)
    assert len(events(db, "user.email_changed")) == 1
    assert len(outbox("accounts.email_changed")) == 1


def test_an_expired_link_is_refused(app, db, outbox, monkeypatch):
    user = UserFactory(email="old@example.org")
    request_email_change(user, change_to(NEW))
    monkeypatch.setitem(app.config, "EMAIL_TOKEN_MAX_AGE", -1)
    with pytest.raises(TokenExpired):
        confirm_email_change(user, link_token(outbox))
    assert user.email == "old@example.org"


def test_a_link_is_spent_once_another_change_is_made(db, outbox):
    user = UserFactory(email="old@example.org")
    request_email_change(user, change_to("first@example.org"))
    request_email_change(user, change_to("second@example.org"))
    confirm_email_change(user, link_token(outbox, "second@example.org"))
    with pytest.raises(InvalidToken):
        confirm_email_change(user, link_token(outbox, "first@example.org"))
    assert user.email == "second@example.org"


def test_changing_the_address_back_does_not_bring_an_old_link_back_to_life(db, outbox):
    user = UserFactory(email="old@example.org")
    request_email_change(user, change_to(NEW))
    first_link = link_token(outbox)
    confirm_email_change(user, first_link)
    request_email_change(user, change_to("old@example.org"))
    confirm_email_change(user, link_token(outbox, "old@example.org"))
    with pytest.raises(InvalidToken):
        confirm_email_change(user, first_link)
    assert user.email == "old@example.org"


@pytest.mark.parametrize("retire", ["password", "sign_out"])
def test_a_new_password_or_signing_out_everywhere_retires_the_link(db, outbox, retire):
    user = UserFactory(email="old@example.org")
    request_email_change(user, change_to(NEW))
    if retire == "password":
        change_password(user, PasswordChangeInput.from_input({"current_password": PASSWORD,
                                                              "new_password": "mango river telescope"}))
    else:
        sign_out(user)
    with pytest.raises(InvalidToken):
        confirm_email_change(user, link_token(outbox))
    assert user.email == "old@example.org"


def test_another_account_cannot_confirm_the_link(db, outbox):
    user = UserFactory(email="old@example.org")
    stranger = UserFactory()
    request_email_change(user, change_to(NEW))
    with pytest.raises(WrongAccount):
        confirm_email_change(stranger, link_token(outbox))
    assert user.email == "old@example.org" and outbox("accounts.email_changed") == []


def test_an_address_taken_since_the_link_was_sent_is_not_given(db, outbox):
    user = UserFactory(email="old@example.org")
    request_email_change(user, change_to(NEW))
    UserFactory(email=NEW)
    with pytest.raises(AddressTaken):
        confirm_email_change(user, link_token(outbox))
    assert user.email == "old@example.org" and events(db, "user.email_changed") == []


def test_a_link_made_for_another_purpose_is_refused(db):
    user = UserFactory()
    reset_link = tokens.make_token(user, tokens.RESET_PASSWORD, email=NEW)
    with pytest.raises(InvalidToken):
        check_email_change(reset_link)
    # A change-of-address token without its address is no change at all.
    with pytest.raises(InvalidToken):
        check_email_change(tokens.make_token(user, tokens.CHANGE_EMAIL))


@pytest.mark.parametrize("address, masked", [
    ("nadia@example.org", "n…@example.org"),
    ("x@example.org", "x…@example.org"),
    ("émile@exemple.fr", "é…@exemple.fr"),
])
def test_the_new_address_is_masked_for_the_old_mailbox(address, masked):
    assert mask_address(address) == masked


# --- the e-mails -------------------------------------------------------------------------------------------------

def test_the_emails_render_with_the_link_the_mask_and_whom_to_contact(app, db, outbox, monkeypatch):
    monkeypatch.setitem(app.config, "SECURITY_CONTACT", "mailto:help@grants.example.org")
    user = UserFactory(email="old@example.org", name="Nadia Okafor")
    UserFactory(email="taken@example.org")
    request_email_change(user, change_to("taken@example.org"))
    request_email_change(user, change_to(NEW))
    token = link_token(outbox)
    confirm_email_change(user, token)

    base = app.config["BASE_URL"].rstrip("/")
    subject, text, html = render_notification(outbox("accounts.email_change_confirm")[0])
    assert subject == "Confirm your new e-mail address for CADE Grants"
    assert f"{base}/auth/email/{token}" in text and f'href="{base}/auth/email/{token}"' in html
    # The present address is not written to the new one: a mistyped address would hand it to a stranger.
    assert "Nadia Okafor" in text and NEW in text and "old@example.org" not in text + html

    subject, text, html = render_notification(outbox("accounts.email_change_taken")[0])
    assert "taken@example.org" in text and "old@example.org" not in text and NEW not in text

    subject, text, html = render_notification(outbox("accounts.email_changed")[0])
    assert subject == "The e-mail address of your CADE Grants account was changed"
    assert "n…@example.org" in text and NEW not in text and NEW not in html
    assert "help@grants.example.org" in text and 'href="mailto:help@grants.example.org"' in html


def test_the_notice_is_written_in_the_persons_language(db, outbox):
    from cade.core.timeutil import format_moment

    user = UserFactory(email="old@example.org", locale="pt", timezone="America/Sao_Paulo")
    request_email_change(user, change_to(NEW))
    confirm_email_change(user, link_token(outbox))
    [notice] = outbox("accounts.email_changed")
    _subject, text, _html = render_notification(notice)
    # The moment of the change, written the Portuguese way in the person's time zone.
    assert format_moment(notice.context["at"], locale="pt") in text
    assert format_moment(notice.context["at"], locale="pt") != format_moment(notice.context["at"], locale="en")


# --- the pages ----------------------------------------------------------------------------------------------------

def ask(client, address=NEW, password=PASSWORD, **kwargs):
    return client.post("/auth/profile/email", data={"email-new_email": address, "email-password": password},
                       **kwargs)


def test_the_profile_section_offers_the_form(app, db, login, client):
    user = login(UserFactory(email="me@example.org"))
    with app.test_request_context("/auth/profile"):
        from flask_login import login_user
        login_user(user)
        html = render_template("accounts/change_email_section.html")
    assert 'action="/auth/profile/email"' in html
    assert 'name="email-new_email"' in html and 'name="email-password"' in html
    assert "me@example.org" in html


def test_a_visitor_is_sent_to_sign_in(client, db):
    assert client.get("/auth/profile/email").status_code == 302
    assert ask(client).status_code == 302


def test_a_wrong_password_keeps_the_address_typed(client, db, login, outbox):
    login(UserFactory())
    response = ask(client, password="not my password")
    assert response.status_code == 200
    html = page_text(response)
    assert "Your current password is not correct." in html
    assert f'value="{NEW}"' in html
    assert outbox() == []


def test_an_invalid_or_present_address_is_shown_beside_the_field(client, db, login, outbox):
    login(UserFactory(email="me@example.org"))
    html = page_text(ask(client, address="me at example"))
    assert "Enter an e-mail address such as name@example.org." in html and 'value="me at example"' in html
    html = page_text(ask(client, address="ME@example.org"))
    assert "This is already your address." in html
    assert outbox() == []


def test_a_taken_address_gets_the_same_answer_as_a_free_one(client, db, login, outbox):
    login(UserFactory(email="me@example.org"))
    UserFactory(email="taken@example.org")
    free = ask(client, address=NEW, follow_redirects=True)
    taken = ask(client, address="taken@example.org", follow_redirects=True)
    assert free.status_code == taken.status_code == 200
    assert free.request.path == taken.request.path == "/auth/profile"
    flash_of = lambda response, address: re.search(  # noqa: E731
        r"We sent a link to [^<]*", page_text(response)).group(0).replace(address, "ADDRESS")
    assert flash_of(free, NEW) == flash_of(taken, "taken@example.org")
    assert [row.recipient_email for row in outbox()] == [NEW, "taken@example.org"]


def test_the_link_asks_a_visitor_to_sign_in_and_then_changes_the_address(app, client, db, outbox):
    user = UserFactory(email="old@example.org")
    request_email_change(user, change_to(NEW))
    db.session.commit()
    path = f"/auth/email/{link_token(outbox)}"
    other_device = app.test_client()
    other_device.post("/auth/login", data={"email": "old@example.org", "password": PASSWORD})
    assert signed_in(other_device)

    response = client.get(path)
    assert response.status_code == 302 and "/auth/login" in response.location
    response = client.post("/auth/login", data={"email": "old@example.org", "password": PASSWORD, "next": path})
    assert response.location.endswith(path)
    # Opening the link (as a mail scanner would) changes nothing; the button does.
    page = page_text(client.get(path))
    assert "old@example.org" in page and NEW in page
    db.session.refresh(user)
    assert user.email == "old@example.org"

    response = client.post(path, follow_redirects=True)
    assert "Your e-mail address is now new.address@example.org." in page_text(response)
    db.session.refresh(user)
    assert user.email == NEW
    # This browser stays signed in; every other session has ended.
    assert signed_in(client)
    assert not signed_in(other_device)
    assert len(outbox("accounts.email_changed", email="old@example.org")) == 1


def test_a_link_opened_by_another_signed_in_user_changes_nothing(client, db, login, outbox):
    user = UserFactory(email="old@example.org")
    request_email_change(user, change_to(NEW))
    db.session.commit()
    path = f"/auth/email/{link_token(outbox)}"
    stranger = login(UserFactory(email="stranger@example.org"))

    page = client.get(path)
    assert page.status_code == 403
    assert "This link is for another account" in page_text(page) and "old@example.org" not in page_text(page)
    assert client.post(path).status_code == 403
    db.session.refresh(user)
    db.session.refresh(stranger)
    assert (user.email, stranger.email) == ("old@example.org", "stranger@example.org")
    assert outbox("accounts.email_changed") == []


def test_a_used_or_expired_link_says_so(app, client, db, login, outbox, monkeypatch):
    user = login(UserFactory())
    request_email_change(user, change_to(NEW))
    db.session.commit()
    path = f"/auth/email/{link_token(outbox)}"
    client.post(path)

    used = client.get(path)
    assert used.status_code == 400
    assert "This link has already been used" in page_text(used)
    monkeypatch.setitem(app.config, "EMAIL_TOKEN_MAX_AGE", -1)
    expired = client.get(path)
    assert expired.status_code == 400 and "This link has expired" in page_text(expired)
    assert client.get("/auth/email/not-a-token").status_code == 400


def sent(response) -> bool:
    return response.status_code == 302 and response.location.startswith("/auth/profile")


def test_too_many_requests_get_429(limited_app, db):
    user = UserFactory()
    db.session.commit()
    limited = limited_app.test_client()
    limited.post("/auth/login", data={"email": user.email, "password": PASSWORD})
    answers = [ask(limited, address=f"n{i}@example.org") for i in range(6)]
    assert [sent(answer) for answer in answers] == [True] * 5 + [False]
    assert answers[-1].status_code == 429


def test_one_account_cannot_spread_its_requests_over_many_machines(limited_app, db):
    user = UserFactory()
    db.session.commit()
    answers = []
    for i in range(11):
        # A session is bound to its machine's address, so each machine signs in for itself.
        machine = {"REMOTE_ADDR": f"10.0.0.{i}"}
        limited = limited_app.test_client()
        limited.post("/auth/login", data={"email": user.email, "password": PASSWORD}, environ_base=machine)
        answers.append(ask(limited, address=f"n{i}@example.org", environ_base=machine))
    assert [sent(answer) for answer in answers] == [True] * 10 + [False]
    assert answers[-1].status_code == 429
