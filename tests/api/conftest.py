"""Fixtures for the API tests: tokens made through the real service, and responses checked against the document."""

import re
import jsonschema
import pytest

from cade.accounts.api_tokens import TokenInput, create_api_token
from cade.api.openapi import build_document
from cade.api.registry import ENDPOINTS
from cade.extensions import db as _db
from tests.factories import PASSWORD


@pytest.fixture(scope="session")
def document(app):
    with app.test_request_context():
        return build_document(ENDPOINTS)


@pytest.fixture()
def make_token(db):
    """A raw token for `user` with `scopes`, made as the profile page makes it (committed)."""

    def make(user, scopes=("read",), days=30):
        _token, raw = create_api_token(user, TokenInput.from_input(
            {"name": f"token {len(scopes)} {id(scopes)}", "scopes": list(scopes), "expires_in_days": days}), PASSWORD)
        _db.session.commit()
        return raw

    return make


def bearer(raw: str) -> dict:
    return {"Authorization": f"Bearer {raw}"}


def _operation(document: dict, method: str, path: str) -> dict:
    for template, methods in document["paths"].items():
        pattern = "^" + re.sub(r"\\{\w+\\}", r"[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path) and method.lower() in methods:
            return methods[method.lower()]
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


@pytest.fixture()
def conforms(document):
    """Assert that `response` (to `method` `path`) is documented: its status, content type and body schema."""

    def check(response, method="GET", path=None):
        path = path or response.request.path
        operation = _operation(document, method, path)
        documented = operation["responses"].get(str(response.status_code))
        assert documented is not None, f"{response.status_code} is not documented for {method} {path}"
        content = documented.get("content")
        if not content:
            return response
        media = response.mimetype
        assert media in content, f"{media} is not documented for {response.status_code}"
        if media.endswith("json"):
            schema = {**content[media]["schema"], "components": document["components"]}
            jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(
                response.get_json())
        return response

    return check


def problem(response, status: int) -> dict:
    """The problem details body of `response`, which must have `status`."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["status"] == status and body["title"] and body["type"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body


@pytest.fixture()
def limited_app(app, db):
    """A second app on the same database with rate limiting on and tiny API limits (see tests/accounts/conftest.py:
    Flask-Limiter reads RATELIMIT_ENABLED only in init_app, on its one shared object)."""
    from cade import create_app
    from cade.extensions import limiter
    from config import TestConfig

    limited = create_app(TestConfig, SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
                         STORAGE_PATH=app.config["STORAGE_PATH"], MAILBOX_PATH=app.config["MAILBOX_PATH"],
                         RATELIMIT_ENABLED=True, RATELIMIT_STORAGE_URI="memory://",
                         API_RATE_LIMIT="3/minute", API_PUBLIC_RATE_LIMIT="2/minute")
    app.extensions["celery"].set_default()
    try:
        yield limited
    finally:
        limiter.reset()
        limiter.enabled = False
        with limited.app_context():
            _db.session.remove()
            _db.engine.dispose()
