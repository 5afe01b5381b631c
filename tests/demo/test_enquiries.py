"""The demo's questions and answers (issue 14): on the open CADE 2026 call, two published answers (the first also in
French), one question waiting, one corrigendum; the demo applicant's own question answered on the call page; made
through the services, and seeded once."""

import pytest
from sqlalchemy import func, select

from cade.core.db import utcnow
from cade.demo import data
from cade.demo.enquiries import CALL_KEY, seed_enquiries
from cade.demo.seed import _Seeder, seed_demo
from cade.enquiries.constants import EnquiryStatus
from cade.enquiries.models import CallNotice, CallQuestion
from cade.extensions import db as _db
from cade.programmes.models import Call


def _seed_once_more() -> None:
    """seed_enquiries as seed_demo calls it (the line the lead adds there makes this a second, idle run)."""
    seeder = _Seeder(utcnow())
    calls = {spec["key"]: seeder.calls[spec["title"]] for spec in data.CALLS}
    seed_enquiries(seeder, calls, {})
    _db.session.commit()


@pytest.fixture()
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    _seed_once_more()
    db.session.expire_all()


def _call() -> Call:
    title = next(spec["title"] for spec in data.CALLS if spec["key"] == CALL_KEY)
    return _db.session.scalar(select(Call).where(Call.title == title))


def _counts() -> tuple[int, int]:
    return (_db.session.scalar(select(func.count()).select_from(CallQuestion)),
            _db.session.scalar(select(func.count()).select_from(CallNotice)))


def test_the_open_call_has_two_answers_one_waiting_question_and_a_corrigendum(seeded, client):
    call = _call()
    questions = _db.session.scalars(select(CallQuestion).where(CallQuestion.call_id == call.id)
                                    .order_by(CallQuestion.asked_at)).all()
    assert [(q.status, q.number) for q in questions] == [
        (EnquiryStatus.PUBLISHED, 1), (EnquiryStatus.PUBLISHED, 2), (EnquiryStatus.PENDING, None)]
    assert set(questions[0].translations["fr"]) == {"public_question", "answer"}
    assert questions[1].asked_by.email == data.APPLICANT_EMAIL
    [notice] = _db.session.scalars(select(CallNotice).where(CallNotice.call_id == call.id)).all()
    assert notice.kind == "corrigendum" and notice.number == 1 and "fr" in notice.translations
    page = client.get(f"/calls/{call.id}", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Une organisation enregistrée depuis moins de deux ans peut-elle postuler ?" in page
    assert 'id="answer-2"' in page and 'id="notice-1"' in page
    assert "Amani" not in page and "Aminata" not in page


def test_seeding_again_adds_nothing(seeded):
    before = _counts()
    seed_demo()
    _seed_once_more()
    assert _counts() == before == (3, 1)
