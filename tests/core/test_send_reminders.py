"""`flask --app wsgi send-reminders` runs every domain's reminder sweep, each sending nothing twice."""

from datetime import timedelta

from cade.core.db import utcnow
from cade.core.reminders import sweeps
from tests.factories import ApplicationFactory, CallFactory, MembershipFactory
from tests.grants.lifecycle_helpers import opened_grant, report


def test_every_domain_registers_its_sweep(app):
    assert list(sweeps) == ["calls closing", "reviews due", "offer deadlines", "training sessions",
                            "capacity follow-ups", "grantee reports", "post-trip reports", "expiring documents",
                            "clarifications due"]


def test_the_command_queues_each_reminder_due_now_once(app, db):
    call = CallFactory(closes_at=utcnow() + timedelta(days=3))
    MembershipFactory(organisation=ApplicationFactory(call=call).organisation)
    grant, _owner = opened_grant()
    report(grant, "final", due_on=utcnow().date() + timedelta(days=10))  # within the 14 days: one owner told

    runner = app.test_cli_runner()
    first = runner.invoke(args=["send-reminders"]).output
    assert "calls closing: 1" in first and "grantee reports: 1" in first and "Queued 2 reminder(s)." in first
    assert "Queued 0 reminder(s)." in runner.invoke(args=["send-reminders"]).output
