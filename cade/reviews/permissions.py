"""Who may manage reviews, and which reviewer may open which assignment."""

from cade.core.permissions import REVIEWER, has_role, is_admin
from cade.organisations.services import is_member


def can_manage_reviews(user) -> bool:
    """Administrators run the reviewer pool, assignments and the ranking."""
    return is_admin(user)


def can_see_assignment(user, assignment) -> bool:
    """Only the assigned reviewer, and never for their own organisation's application (404 otherwise)."""
    return (assignment is not None and has_role(user, REVIEWER) and assignment.reviewer_id == user.id
            and not is_member(user, assignment.application.organisation_id))


def can_read_application_for_review(user, assignment, declaration) -> bool:
    """The application opens once the reviewer has declared no conflict with it."""
    # The declaration in hand first: the membership (a query) is read only when it decides.
    return (declaration is not None and not declaration.has_conflict
            and can_see_assignment(user, assignment))


def can_declare_conflict(user, assignment, declaration) -> bool:
    """The assigned reviewer answers the conflict question until they have declared a conflict; then it is closed."""
    return can_see_assignment(user, assignment) and (declaration is None or not declaration.has_conflict)
