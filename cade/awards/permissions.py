"""Who may decide applications, and who may read a decision's outcome."""

from cade.applications.constants import IN_REVIEW_STATUSES
from cade.awards.constants import DecisionStatus
from cade.core.permissions import is_admin
from cade.organisations.services import is_member


def can_decide(user) -> bool:
    """Administrators decide, change unreleased decisions and release them."""
    return is_admin(user)


def can_change_decision(application, decision) -> bool:
    """Whether the application's decision may still be made or changed.

    While the decision is only decided (not yet released), and only while the
    application is in review: a draft or a withdrawn application is not
    decided, and a released decision is final.
    """
    if application is None:
        return False
    return ((decision is None or decision.status == DecisionStatus.DECIDED)
            and application.status in IN_REVIEW_STATUSES)


def can_view_outcome(user, application, decision) -> bool:
    """Administrators at any time; the applicant organisation's members once the decision is released.

    Before release the outcome does not exist for the applicant (their page is a 404).
    """
    if application is None or decision is None:
        return False
    if is_admin(user):
        return True
    return decision.is_released and is_member(user, application.organisation_id)


def can_answer_offer(user, application) -> bool:
    """Only an owner of the applicant organisation accepts or declines its offer (an administrator does not)."""
    from cade.organisations.constants import MembershipRole
    from cade.organisations.services import membership_of

    if application is None or user is None or getattr(user, "id", None) is None:
        return False
    membership = membership_of(user, application.organisation_id)
    return membership is not None and membership.role == MembershipRole.OWNER


def can_award_from_waitlist(user) -> bool:
    """Administrators award a waitlisted application once an offer frees money."""
    return is_admin(user)
