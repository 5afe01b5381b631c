"""Two admins deciding at the same moment never award more than the envelope.

Each action runs in its own thread, connection and transaction, as two web
workers would (tests.concurrency.run_side_by_side). Runs on whichever database
the suite uses; run it with TEST_DATABASE_URL pointing at PostgreSQL too.
"""

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.awards.models import Decision
from cade.awards.services import decisions
from cade.core.errors import BudgetExceeded
from cade.core.money import from_minor
from cade.extensions import db as _db
from tests.concurrency import run_side_by_side
from tests.factories import CallFactory, UserFactory, reviewed_application


@pytest.fixture()
def call(db):
    return CallFactory(closed=True, budget_envelope_minor=50_000_00, min_award_minor=5_000_00,
                       max_award_minor=40_000_00, reviews_required=1)


def _application_id(call) -> int:
    return reviewed_application(call, reviews=1, requested_amount_minor=30_000_00).id


def _award(admin_id, application_id, amount_minor):
    def action():
        command = decisions.DecisionInput.from_input(
            {"outcome": "award", "amount": from_minor(amount_minor, "USD"), "feedback": "Funded.",
             "rationale": "Top ranked."}, currency="USD")
        decisions.decide_application(_db.session.get(User, admin_id), application_id, command)
    return action


def _committed_awards(call_id):
    _db.session.expire_all()
    return _db.session.scalar(select(func.coalesce(func.sum(Decision.amount_minor), 0))
                              .where(Decision.call_id == call_id, Decision.outcome == "award"))


def test_two_awards_that_fit_alone_but_not_together_give_one_award_and_one_refusal(app, call):
    admins = [UserFactory(roles=["admin"]).id for _ in range(2)]
    first, second = _application_id(call), _application_id(call)

    outcomes = run_side_by_side(app, [_award(admins[0], first, 30_000_00), _award(admins[1], second, 30_000_00)],
                                pause_after="from applications")

    assert sorted(type(o).__name__ if o != "done" else o for o in outcomes) == ["BudgetExceeded", "done"]
    refusal = next(o for o in outcomes if isinstance(o, BudgetExceeded))
    assert "$20,000.00 remains" in str(refusal)
    assert _committed_awards(call.id) == 30_000_00 <= call.budget_envelope_minor
    assert _db.session.scalar(select(func.count(Decision.id))) == 1


def test_two_admins_deciding_the_same_application_at_once_leave_one_decision(app, call):
    admins = [UserFactory(roles=["admin"]).id for _ in range(2)]
    application_id = _application_id(call)

    outcomes = run_side_by_side(app, [_award(admins[0], application_id, 20_000_00),
                                      _award(admins[1], application_id, 25_000_00)],
                                pause_after="from applications")

    assert outcomes == ["done", "done"]  # the later one changed the earlier one's decision
    _db.session.expire_all()
    [decision] = _db.session.scalars(select(Decision)).all()
    assert decision.amount_minor in (20_000_00, 25_000_00)


def test_without_the_lock_both_awards_would_pass(app, call, monkeypatch):
    """The check above is not luck: with the call's row left unlocked, both read the same sum and overspend."""
    monkeypatch.setattr(decisions, "lock_row", lambda model, object_id: None)
    admins = [UserFactory(roles=["admin"]).id for _ in range(2)]
    first, second = _application_id(call), _application_id(call)

    outcomes = run_side_by_side(app, [_award(admins[0], first, 30_000_00), _award(admins[1], second, 30_000_00)],
                                pause_after="from decisions")

    assert outcomes == ["done", "done"]
    assert _committed_awards(call.id) == 60_000_00 > call.budget_envelope_minor
