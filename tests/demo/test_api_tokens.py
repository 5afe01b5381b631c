"""The demo's personal API tokens (issue 15): the administrator's and the applicant's, one revoked, made through the
services, and seeded once."""

import pytest
from sqlalchemy import func, select

from cade.accounts.api_tokens import is_live, token_has_scope
from cade.accounts.models import ApiToken, User
from cade.core.db import utcnow
from cade.demo import data
from cade.demo.api_tokens import seed_api_tokens
from cade.demo.seed import _Seeder
from cade.extensions import db as _db


def _seed_once_more() -> None:
    """seed_api_tokens as seed_demo calls it (once the lead adds its line there, this is a second, idle run)."""
    seeder = _Seeder(utcnow())
    seed_api_tokens(seeder, {}, {})
    _db.session.commit()


@pytest.fixture()
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    _seed_once_more()
    db.session.expire_all()


def test_the_demo_people_have_tokens_in_each_state(db, seeded):
    tokens = {token.name: token for token in db.session.scalars(select(ApiToken))}
    assert set(tokens) == {"Monthly funding report", "Spreadsheet sync", "Old laptop"}
    report = tokens["Monthly funding report"]
    assert report.user.email == "admin@cade.example" and token_has_scope(report, "admin-read") and is_live(report)
    assert tokens["Spreadsheet sync"].user.email == data.APPLICANT_EMAIL
    assert tokens["Spreadsheet sync"].last_used_at is not None and is_live(tokens["Spreadsheet sync"])
    assert tokens["Old laptop"].revoked_at is not None


def test_seeding_twice_adds_nothing(db, seeded):
    before = db.session.scalar(select(func.count(ApiToken.id)))
    _seed_once_more()
    assert db.session.scalar(select(func.count(ApiToken.id))) == before == 3
    applicant = db.session.scalar(select(User).where(User.email == data.APPLICANT_EMAIL))
    assert applicant is not None
