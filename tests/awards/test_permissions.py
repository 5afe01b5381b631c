"""Whether a decision may still be made or changed: until release, and only for an application in review."""

import pytest

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.awards.constants import DecisionStatus
from cade.awards.models import Decision
from cade.awards.permissions import can_change_decision
from cade.core.db import utcnow


@pytest.mark.parametrize("status, decided, released, allowed", [
    (ApplicationStatus.SUBMITTED, False, False, True),
    (ApplicationStatus.UNDER_REVIEW, False, False, True),
    (ApplicationStatus.UNDER_REVIEW, True, False, True),
    (ApplicationStatus.AWARDED, True, True, False),
    (ApplicationStatus.UNDER_REVIEW, True, True, False),
    (ApplicationStatus.DRAFT, False, False, False),
    (ApplicationStatus.WITHDRAWN, True, False, False),
])
def test_a_decision_changes_until_release_while_the_application_is_in_review(status, decided, released, allowed):
    decision = Decision(outcome="reject", status=DecisionStatus.RELEASED if released else DecisionStatus.DECIDED,
                        released_at=utcnow() if released else None) if decided else None
    assert can_change_decision(Application(status=status), decision) is allowed


def test_a_new_decision_is_decided_before_it_is_stored_and_may_change():
    decision = Decision(outcome="award")
    assert decision.status == DecisionStatus.DECIDED and not decision.is_released
    assert can_change_decision(Application(status=ApplicationStatus.UNDER_REVIEW), decision)


def test_no_application_no_decision():
    assert can_change_decision(None, None) is False
