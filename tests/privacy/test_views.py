"""The /account/data pages: the download, the erasure form and the page after it, in English and French."""

import json

import pytest
from sqlalchemy import select

from cade.accounts.models import User
from cade.core.audit import AuditEvent
from tests.factories import PASSWORD, UserFactory
from tests.privacy.helpers import open_grant_for, person_with_everything


def signed_in(client) -> bool:
    return client.get("/account/data").status_code == 200


def test_every_page_needs_sign_in(db, client):
    for path in ("/account/data", "/account/data/erase"):
        response = client.get(path)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post("/account/data/export").status_code == 302


def test_the_download_is_an_attachment_never_cached(db, client, login):
    amina = person_with_everything()
    login(amina.user)
    response = client.post("/account/data/export")

    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="cade-personal-data-')
    assert "no-store" in response.headers["Cache-Control"]
    data = json.loads(response.get_data(as_text=True))
    assert data["profile"]["email"] == "amina@example.org" and data["applications"]
    assert db.session.scalar(select(AuditEvent.actor_id).where(AuditEvent.verb == "user.data_exported")) == \
        amina.user.id


def test_the_download_refuses_a_post_from_another_site(csrf_app, db, client, login):
    login(UserFactory())
    response = client.post("/account/data/export")
    assert response.status_code in (200, 400) and response.mimetype != "application/json"


def test_erasure_signs_out_for_good_and_shows_what_was_kept(db, client, login, auth):
    amina = person_with_everything()
    login(amina.user)  # (their second factor is on: the sign-in page would ask for a code)
    copied = client.get_cookie("session").value
    assert signed_in(client)
    page = client.get("/account/data/erase").get_data(as_text=True)
    assert "What is kept, and why" in page and "You are the only owner of" in page

    response = client.post("/account/data/erase", data={"password": PASSWORD, "understood": "y"})

    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your account has been erased" in text
    assert "The applications you wrote" in text and "append-only" in text
    assert f"Erased person {amina.user.id}" in text
    assert not signed_in(client)
    client.set_cookie("session", copied)  # a copy of the old cookie is worthless too
    assert not signed_in(client)
    # Neither the old address nor the pseudonymous one signs in again.
    for address in ("amina@example.org", f"erased-{amina.user.id}@invalid"):
        auth.login(address)
        assert not signed_in(client)


def test_a_wrong_password_keeps_the_form_and_the_account(db, client, login):
    user = login(UserFactory(name="Amina Diallo"))
    response = client.post("/account/data/erase", data={"password": "not my password at all", "understood": "y"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Your password is not correct." in text
    assert '<input checked id="understood" name="understood" type="checkbox"' in text
    assert db.session.get(User, user.id).name == "Amina Diallo" and signed_in(client)


def test_no_tick_is_refused_with_a_clear_message(db, client, login):
    user = login(UserFactory())
    response = client.post("/account/data/erase", data={"password": PASSWORD})
    assert "Tick the box to confirm" in response.get_data(as_text=True)
    assert db.session.get(User, user.id).erased_at is None


def test_the_only_owner_with_an_open_grant_is_told_what_to_do(db, client, login):
    amina = person_with_everything()
    open_grant_for(amina.organisation)
    login(amina.user)
    assert "which has a grant still open" in client.get("/account/data").get_data(as_text=True)

    response = client.post("/account/data/erase", data={"password": PASSWORD, "understood": "y"})
    text = response.get_data(as_text=True)
    assert response.status_code == 200 and "Make another member an owner" in text
    assert db.session.get(User, amina.user.id).erased_at is None and signed_in(client)


@pytest.mark.parametrize("path", ["/account/data", "/account/data/erase"])
def test_the_pages_render_in_french(db, client, login, path):
    amina = person_with_everything()
    amina.user.locale = "fr"
    db.session.commit()
    login(amina.user)
    response = client.get(path)
    assert response.status_code == 200 and '<html lang="fr"' in response.get_data(as_text=True)


def test_the_page_after_erasure_renders_in_french(db, client, login):
    user = UserFactory(locale="fr")
    login(user)
    with client.session_transaction() as session:
        session["locale"] = "fr"
    response = client.post("/account/data/erase", data={"password": PASSWORD, "understood": "y"})
    assert response.status_code == 200 and '<html lang="fr"' in response.get_data(as_text=True)
    assert db.session.get(User, user.id).erased_at is not None
