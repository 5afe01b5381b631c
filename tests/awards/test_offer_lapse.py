"""Offers past their deadline lapse (once, by the hourly task), free their money and propose the waitlist;
owners are reminded a week before."""

from datetime import timedelta

import pytest
import tasks  # noqa: F401  (registers the tasks)
from sqlalchemy import select

from cade.awards.constants import DecisionStatus
from cade.awards.models import Decision
from cade.awards.services import offers
from cade.awards.services.commitments import committed_total
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.extensions import db as _db
from cade.notifications.rendering import render_notification
from tests.factories import CallFactory, DecisionFactory, MembershipFactory, reviewed_application


@pytest.fixture()
def call(db):
    return CallFactory(closed=True, title="Mesh networks 2026", budget_envelope_minor=80_000_00)


def _offer(call, deadline_in, **kwargs):
    application = reviewed_application(call, reviews=0, members=1, status="awarded", **kwargs)
    MembershipFactory(organisation=application.organisation, role="owner")
    return DecisionFactory(application=application, amount_minor=10_000_00, released_at=utcnow() - timedelta(days=30),
                           offer_deadline_at=utcnow() + deadline_in)


def _status(decision):
    return _db.session.scalar(select(Decision.status).where(Decision.id == decision.id))


def test_the_task_lapses_only_offers_past_their_deadline_once_and_proposes_the_waitlist(app, admin, call, outbox):
    past = _offer(call, -timedelta(minutes=5), title="Past")
    future = _offer(call, timedelta(days=20), title="Future")
    accepted = _offer(call, -timedelta(days=1), title="Accepted already")
    accepted.status = DecisionStatus.ACCEPTED
    waiting = reviewed_application(call, reviews=0, status="waitlisted", title="Next in line")
    DecisionFactory(application=waiting, outcome="waitlist", amount_minor=None, released_at=utcnow())
    _db.session.commit()
    assert committed_total(call.id) == 30_000_00

    task = app.extensions["celery"].tasks["awards.offer_deadlines"]
    assert task.apply().get()["lapsed"] == 1
    assert task.apply().get()["lapsed"] == 0  # a second run finds nothing

    assert [_status(d) for d in (past, future, accepted)] == ["lapsed", "released", "accepted"]
    assert committed_total(call.id) == 20_000_00
    events = _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "decision.lapsed")).all()
    assert [(e.object_id, e.before["status"], e.after["status"]) for e in events] == [(past.id, "released", "lapsed")]
    [proposed] = outbox("awards.waitlist_proposed")
    assert (proposed.recipient_id, proposed.context["application_id"]) == (admin.id, waiting.id)
    subject, text, html = render_notification(proposed)
    assert "Next in line" in text and f"/admin/applications/{waiting.id}/decision" in text
    owner = next(m.user for m in past.application.organisation.memberships if m.role == "owner")
    with pytest.raises(Exception, match="lapsed"):
        offers.accept_offer(owner, past.id,
                            offers.AcceptOfferInput.from_input({"signatory_name": "A", "signatory_position": "B",
                                                                "confirmation": past.application.organisation.name}))


def test_a_release_without_a_deadline_never_lapses(call):
    legacy = _offer(call, timedelta(days=1))
    legacy.offer_deadline_at = None
    _db.session.commit()
    assert offers.lapse_offers(utcnow() + timedelta(days=400)) == []
    assert _status(legacy) == "released"


def test_owners_are_reminded_once_a_week_before_the_deadline(app, call, outbox):
    near = _offer(call, timedelta(days=6), title="Near")
    _offer(call, timedelta(days=12), title="Far")
    owner = next(m.user for m in near.application.organisation.memberships if m.role == "owner")
    _db.session.commit()
    assert offers.remind_offer_deadlines() == 1
    _db.session.commit()
    assert offers.remind_offer_deadlines() == 0
    [reminder] = outbox("awards.offer_deadline_near")
    assert reminder.recipient_id == owner.id  # owners only: the plain member is not asked to answer
    subject, text, html = render_notification(reminder)
    assert "Near" in subject + text and f"/applications/{near.application_id}/decision" in text
    assert "Africa/Nairobi" in text
