"""Re-authentication (issue 17, point 2): the password, and the code where set, again before a sensitive step once
the sign-in is no longer recent; what was typed rides along and goes through once confirmed."""

import re
import time
from html import unescape

import pytest
from sqlalchemy import select

from cade.accounts import passwords
from cade.accounts.models import ApiToken, User
from cade.awards.models import Decision
from cade.core.audit import AuditEvent
from tests.accounts.test_two_factor import enrol, next_code
from tests.factories import PASSWORD, CallFactory, RubricCriterionFactory, UserFactory, reviewed_application

NEW = "a brand new passphrase"
CHANGE = {"password-current_password": PASSWORD, "password-new_password": NEW, "password-confirm": NEW}


def make_stale(client) -> None:
    with client.session_transaction() as session:
        session["auth_at"] = int(time.time()) - 16 * 60


def carried(response) -> dict[str, str]:
    page = response.get_data(as_text=True)
    page = page[page.index("<h1>Confirm it is you"):]
    page = page[:page.index("</form>")]
    return {name: unescape(value) for name, value in
            re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)}


def password_is(user_id: int, password: str) -> bool:
    from cade.extensions import db

    db.session.expire_all()
    return passwords.verify_password(db.session.get(User, user_id).password_hash, password)


def test_a_recent_sign_in_needs_no_confirmation(client, db, login):
    user = login(UserFactory())
    assert client.post("/auth/profile/password", data=CHANGE).status_code == 302
    assert password_is(user.id, NEW)


def test_a_stale_sign_in_confirms_the_password_and_keeps_what_was_typed(client, db, login):
    user = login(UserFactory())
    make_stale(client)
    asked = client.post("/auth/profile/password", data=CHANGE)
    assert asked.status_code == 200 and b"Confirm it is you" in asked.data
    assert carried(asked) == CHANGE
    assert password_is(user.id, PASSWORD)

    wrong = client.post("/auth/profile/password", data={**CHANGE, "reauth-password": "not it"})
    assert b"That password is not correct" in wrong.data and carried(wrong) == CHANGE
    assert password_is(user.id, PASSWORD)

    done = client.post("/auth/profile/password", data={**CHANGE, "reauth-password": PASSWORD})
    assert done.status_code == 302 and password_is(user.id, NEW)
    verbs = list(db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)))
    assert verbs[-2:] == ["user.reauthenticated", "user.password_changed"]


def test_with_a_second_factor_the_code_is_asked_too(client, db, login):
    user = UserFactory()
    db.session.commit()
    enrol(db, user)
    login(user)
    make_stale(client)
    asked = client.post("/auth/profile/password", data=CHANGE)
    assert b'name="reauth-code"' in asked.data
    no_code = client.post("/auth/profile/password", data={**CHANGE, "reauth-password": PASSWORD})
    assert b"That code is not right" in no_code.data and password_is(user.id, PASSWORD)
    done = client.post("/auth/profile/password", data={**CHANGE, "reauth-password": PASSWORD,
                                                       "reauth-code": next_code(db, user)})
    assert done.status_code == 302 and password_is(user.id, NEW)


def test_a_page_behind_it_goes_through_the_confirmation_page_and_back(client, db, login):
    login(UserFactory())
    make_stale(client)
    sent = client.get("/auth/two-factor/enrol")
    assert sent.status_code == 302 and "/auth/confirm?next=/auth/two-factor/enrol" in unescape(sent.headers["Location"])
    page = client.get(sent.headers["Location"])
    assert b"Confirm it is you" in page.data and b'name="reauth-code"' not in page.data
    wrong = client.post("/auth/confirm", data={"reauth-password": "nope", "reauth-next": "/auth/two-factor/enrol"})
    assert wrong.status_code == 200 and b"That password is not correct" in wrong.data
    back = client.post("/auth/confirm", data={"reauth-password": PASSWORD, "reauth-next": "/auth/two-factor/enrol"})
    assert back.headers["Location"] == "/auth/two-factor/enrol"
    assert client.get("/auth/two-factor/enrol").status_code == 200


def test_the_confirmation_page_never_sends_elsewhere(client, db, login):
    login(UserFactory())
    make_stale(client)
    back = client.post("/auth/confirm", data={"reauth-password": PASSWORD, "reauth-next": "https://evil.example/"})
    assert back.status_code == 302 and "evil" not in back.headers["Location"]


def test_creating_an_api_token_needs_a_recent_sign_in(client, db, login):
    login(UserFactory())
    make_stale(client)
    form = {"token-name": "nightly", "token-password": PASSWORD, "token-expires_in_days": "30", "token-scopes": "read"}
    asked = client.post("/auth/profile/api-tokens", data=form)
    assert b"Confirm it is you" in asked.data and db.session.scalar(select(ApiToken)) is None
    made = client.post("/auth/profile/api-tokens", data={**carried(asked), "reauth-password": PASSWORD})
    assert made.status_code == 200 and db.session.scalar(select(ApiToken)).name == "nightly"


def test_deciding_needs_a_recent_sign_in_and_loses_nothing(client, db, login, admin):
    call = CallFactory(closed=True, budget_envelope_minor=50_000_00, min_award_minor=5_000_00,
                       max_award_minor=40_000_00, reviews_required=2)
    RubricCriterionFactory(call=call, weight=1, max_score=10)
    application = reviewed_application(call, scores=(8, 6), requested_amount_minor=30_000_00)
    login(admin)
    make_stale(client)
    url = f"/admin/applications/{application.id}/decision"
    assert client.get(url).status_code == 200  # looking needs nothing more
    typed = {"outcome": "award", "amount": "20000", "feedback": "A clear plan, typed with care.",
             "rationale": "Ranked first."}
    asked = client.post(url, data=typed)
    assert b"Confirm it is you" in asked.data and db.session.scalar(select(Decision)) is None
    assert carried(asked) == typed
    done = client.post(url, data={**carried(asked), "reauth-password": PASSWORD})
    assert done.status_code == 302
    decision = db.session.scalar(select(Decision))
    assert (decision.amount_minor, decision.feedback) == (20_000_00, "A clear plan, typed with care.")


@pytest.mark.parametrize("url", ["/admin/calls/{call}/release"])
def test_releasing_needs_a_recent_sign_in(client, db, login, admin, url):
    call = CallFactory(closed=True)
    login(admin)
    make_stale(client)
    asked = client.post(url.format(call=call.id), data={"confirm": "1", "expected": "0"})
    assert b"Confirm it is you" in asked.data


def test_wrong_confirmations_count_towards_the_lock(app, client, db, login):
    user = login(UserFactory())
    make_stale(client)
    for _ in range(app.config.get("SIGN_IN_LOCK_AFTER", 5)):
        client.post("/auth/profile/password", data={**CHANGE, "reauth-password": "guess"})
    refused = client.post("/auth/profile/password", data={**CHANGE, "reauth-password": PASSWORD})
    assert b"Too many wrong attempts" in refused.data and password_is(user.id, PASSWORD)
