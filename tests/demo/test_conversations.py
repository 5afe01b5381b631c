"""The demo's clarification requests (issue 14): one answered with its history, one waiting for the demo applicant,
and a thread with a message from each side, through the services; seeding twice adds nothing."""

import pytest
from sqlalchemy import func, select

from cade.applications.constants import ApplicationStatus
from cade.conversations.constants import ClarificationStatus, MessageSide
from cade.conversations.history import clarification_history
from cade.conversations.models import ClarificationRequest, Message
from cade.core.db import utcnow
from cade.demo import conversations as demo
from cade.demo import data
from cade.demo.seed import _Seeder


def _seed_conversations(db):
    """seed_conversations as seed_demo calls it (until cade/demo/seed.py does), then committed."""
    seeder = _Seeder(utcnow())
    calls = {spec["key"]: seeder.calls[spec["title"]] for spec in data.CALLS if spec["title"] in seeder.calls}
    organisations = {spec["key"]: seeder.organisations[spec["name"]] for spec in data.ORGANISATIONS}
    demo.seed_conversations(seeder, calls, organisations)
    db.session.commit()
    return seeder.report


@pytest.fixture()
def seeded(app, db):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    _seed_conversations(db)
    db.session.expire_all()


OURS = ("clarification_requests", "message_threads", "messages", "message_attachments")


def _counts(db) -> dict[str, int]:
    return {table.name: db.session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables if table.name in OURS}


def test_one_request_answered_with_its_history_and_one_waiting_with_a_thread(db, seeded, admin):
    requests = {r.application.organisation.name: r for r in db.session.scalars(select(ClarificationRequest))}
    answered, waiting = requests["Teranga Numérique"], requests["Kijiji Connect Community Network"]
    assert answered.status == ClarificationStatus.ANSWERED
    assert answered.application.status in (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW)
    [entry] = clarification_history(admin, answered.application)
    assert entry.changes[0].changed and entry.changes[0].after == demo.ANSWERED_SUMMARY
    assert waiting.status == ClarificationStatus.OPEN
    assert waiting.application.status == ApplicationStatus.INFO_REQUESTED
    assert waiting.fields == ["budget_lines", "requested_amount"]
    sides = db.session.scalars(select(Message.side).where(Message.clarification_id.is_(None))
                               .order_by(Message.id)).all()
    assert sides == [MessageSide.ORGANISATION, MessageSide.PROGRAMME]
    owner_emails = {m.user.email for m in waiting.application.organisation.memberships}
    assert "applicant@cade.example" in owner_emails


def test_seeding_twice_adds_nothing(app, db, seeded):
    before = _counts(db)
    report = _seed_conversations(db)
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert not report.anything_created
    assert _counts(db) == before
