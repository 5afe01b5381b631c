"""The tokens section of the profile page: list, make (shown once, never stored), revoke; per role."""

import re

import pytest
from sqlalchemy import func, select

from cade.accounts.api_tokens import TokenInput, authenticate_bearer, create_api_token
from cade.accounts.models import ApiToken
from tests.factories import PASSWORD, UserFactory

URL = "/auth/profile/api-tokens"


@pytest.fixture()
def user(db):
    return UserFactory(name="Olu Owner")


def post_token(client, name="laptop", scopes=("read",), days="30", password=PASSWORD, **extra):
    data = {"token-name": name, "token-scopes": list(scopes), "token-expires_in_days": days,
            "token-password": password, **extra}
    return client.post(URL, data=data)


def raw_token_in(html: str) -> str | None:
    found = re.search(r"cade_[A-Za-z0-9_-]{43}", html)
    return found.group(0) if found else None


def make(db, user, name="laptop"):
    token, raw = create_api_token(user, TokenInput.from_input({"name": name, "scopes": ["read"]}), PASSWORD)
    db.session.commit()
    return token, raw


def test_a_visitor_is_sent_to_sign_in(client, db, user):
    assert client.get("/auth/profile").status_code == 302
    response = post_token(client)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_the_profile_shows_the_section_and_no_admin_scope_to_a_person(client, db, user, login):
    login(user)
    html = client.get("/auth/profile").get_data(as_text=True)
    assert "Personal API tokens" in html and 'name="token-name"' in html and "/api/v1/docs" in html
    assert 'value="read"' in html and 'value="admin-read"' not in html
    assert 'autocomplete="current-password"' in html


def test_an_administrator_is_offered_admin_read(client, db, admin, login):
    login(admin)
    assert 'value="admin-read"' in client.get("/auth/profile").get_data(as_text=True)


def test_the_token_is_shown_once_with_how_to_use_it_and_is_never_kept(client, db, user, login):
    login(user)
    response = post_token(client)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "no-store" in response.headers["Cache-Control"]
    raw = raw_token_in(html)
    assert raw and authenticate_bearer(f"Bearer {raw}").user.id == user.id
    assert "Authorization: Bearer" in html and "/api/v1/docs" in html
    # Not in a cookie, a flash message or the next page.
    assert raw not in response.headers.get("Set-Cookie", "")
    with client.session_transaction() as session:
        assert raw not in repr(dict(session))
    again = client.get("/auth/profile").get_data(as_text=True)
    assert raw not in again and raw_token_in(again) is None
    assert "laptop" in again and raw[:12] in again


def test_the_list_shows_each_token_with_its_state(client, db, user, login):
    from cade.accounts.api_tokens import revoke_api_token

    make(db, user, "kept")
    gone, _raw = make(db, user, "gone")
    revoke_api_token(user, gone.id)
    db.session.commit()
    login(user)
    html = client.get("/auth/profile").get_data(as_text=True)
    assert "kept" in html and "gone" in html and "Revoked on" in html and "Never" in html
    assert html.count(">Revoke<") == 1


def test_errors_sit_beside_their_fields_and_keep_all_but_the_password(client, db, user, login):
    login(user)
    response = post_token(client, name="x" * 101, scopes=(), days="400", password="")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "no-store" in response.headers["Cache-Control"]
    for field in ("token-name", "token-scopes", "token-expires_in_days", "token-password"):
        assert f'id="{field}-error"' in html, field
    assert 'value="' + "x" * 101 + '"' in html and 'value="400"' in html
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_a_wrong_password_is_said_on_the_password_field_and_typed_values_stay(client, db, user, login):
    login(user)
    response = post_token(client, name="ci runner", password="not the right one")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="token-password-error"' in html and "not correct" in html
    assert 'value="ci runner"' in html and "not the right one" not in html
    assert raw_token_in(html) is None


def test_a_person_who_posts_admin_read_is_refused_on_scopes(client, db, user, login):
    login(user)
    response = post_token(client, scopes=("read", "admin-read"))
    assert response.status_code == 422 and 'id="token-scopes-error"' in response.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ApiToken.id))) == 0


def test_an_administrator_makes_an_admin_read_token(client, db, admin, login):
    login(admin)
    response = post_token(client, scopes=("read", "admin-read"))
    assert response.status_code == 200
    assert db.session.scalar(select(ApiToken.scopes)) == ["read", "admin-read"]


def test_posting_the_form_twice_makes_one_token(client, db, user, login):
    login(user)
    assert post_token(client).status_code == 200
    second = post_token(client)
    assert second.status_code == 422 and 'id="token-name-error"' in second.get_data(as_text=True)
    assert db.session.scalar(select(func.count(ApiToken.id))) == 1


def test_the_owner_revokes_a_token(client, db, user, login):
    token, raw = make(db, user)
    login(user)
    response = client.post(f"{URL}/{token.id}/revoke")
    assert response.status_code == 302 and response.headers["Location"].endswith("/auth/profile#api-tokens")
    assert db.session.get(ApiToken, token.id).revoked_at is not None
    assert client.post(f"{URL}/{token.id}/revoke").status_code == 302  # twice: nothing more happens


@pytest.mark.parametrize("who", ["other", "admin"])
def test_someone_else_cannot_revoke_a_token(client, db, user, admin, login, who):
    token, _raw = make(db, user)
    login(UserFactory() if who == "other" else admin)
    assert client.post(f"{URL}/{token.id}/revoke").status_code == 404
    assert client.post(f"{URL}/999999/revoke").status_code == 404
    assert db.session.get(ApiToken, token.id).revoked_at is None


def test_revoking_and_making_need_the_csrf_token(csrf_app, client, db, user, login):
    token, _raw = make(db, user)
    login(user)
    assert client.post(f"{URL}/{token.id}/revoke").status_code == 400
    response = post_token(client, name="no csrf")
    assert response.status_code in (400, 422)
    assert db.session.scalar(select(func.count(ApiToken.id))) == 1
    assert db.session.get(ApiToken, token.id).revoked_at is None
