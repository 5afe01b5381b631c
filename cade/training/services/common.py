"""What the training services share: the admin check, loading, and counting seats."""

from sqlalchemy import func, select

from cade.core.errors import PermissionDenied
from cade.extensions import db
from cade.training.constants import SEATED_STATUSES, EnrolmentStatus
from cade.training.models import Enrolment
from cade.training.permissions import can_manage_training


def require_admin(actor) -> None:
    if not can_manage_training(actor):
        raise PermissionDenied()


def seated_count(session_id: int) -> int:
    """How many enrolments hold a seat in the session (what `seats` caps)."""
    return db.session.scalar(select(func.count(Enrolment.id)).where(
        Enrolment.session_id == session_id, Enrolment.status.in_(SEATED_STATUSES))) or 0


def seat_counts(session_ids) -> dict[int, tuple[int, int]]:
    """(seated, waiting) per session id, in one grouped query; sessions without enrolments are left out."""
    ids = list(session_ids)
    if not ids:
        return {}
    seated = func.sum(func.cast(Enrolment.status.in_(SEATED_STATUSES), db.Integer))
    waiting = func.sum(func.cast(Enrolment.status == EnrolmentStatus.WAITLISTED, db.Integer))
    rows = db.session.execute(select(Enrolment.session_id, seated, waiting)
                              .where(Enrolment.session_id.in_(ids)).group_by(Enrolment.session_id))
    return {session_id: (int(s or 0), int(w or 0)) for session_id, s, w in rows}
