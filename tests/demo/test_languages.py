"""The demo's call text in other languages (issue 14, part 6): the open CADE 2026 call wholly in French, partly in
Spanish, written through the services, and seeded once."""

import pytest
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.translations import localized
from cade.demo import data
from cade.demo import languages as demo
from cade.demo.seed import _Seeder
from cade.programmes.call_languages import call_languages
from cade.programmes.models import Call


def _seed_languages(db):
    """What seed_demo runs for this part (it may already do so: seeding is idempotent either way)."""
    seeder = _Seeder(utcnow())
    calls = {spec["key"]: seeder.calls[spec["title"]] for spec in data.CALLS}
    demo.seed_languages(seeder, calls, {})
    db.session.commit()
    return seeder.report


@pytest.fixture()
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    _seed_languages(db)
    db.session.expire_all()
    return db.session.scalar(select(Call).where(Call.title == demo.CALL["title"]))


def test_the_open_call_reads_wholly_in_french_and_partly_in_spanish(db, seeded):
    call = seeded
    assert call.phase(utcnow()) == "open"
    assert call_languages(call) == ["en", "fr"]
    assert localized(call, "title", "fr").text == demo.FRENCH[call.title]
    for row in [call, *call.questions, *call.criteria]:
        for name in row.translatable_fields:
            french = localized(row, name, "fr")
            assert not french.fallback, (row, name)  # every written text has its French
    spanish = [localized(q, "label", "es") for q in call.questions]
    assert not spanish[0].fallback and spanish[0].text.startswith("Describa")
    assert any(text.fallback for text in spanish)  # not every question: English, marked
    assert localized(call.questions[0], "help_text", "es").fallback
    assert localized(call.criteria[0], "label", "es").fallback


def test_seeding_twice_adds_nothing(db, seeded):
    audits = db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.verb == "text.translated"))
    # French: the call, its 8 questions and 5 criteria; Spanish: the call and 5 questions.
    assert audits == (1 + len(seeded.questions) + len(seeded.criteria)) + (1 + 5)
    before = {row.id: row.translations for row in seeded.questions}
    report = _seed_languages(db)
    assert not report.anything_created
    assert db.session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.verb == "text.translated")) == audits
    db.session.expire_all()
    assert {row.id: row.translations for row in seeded.questions} == before
