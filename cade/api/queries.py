"""What the API reads: published calls, and the applications of the token holder's organisations.

Every list is read by keyset (rows after the cursor's id, in id order, one more than the page to know whether
another follows) in one statement whose joins load everything a page shows: a page costs the same number of
queries whatever its size or position.
"""

from sqlalchemy import select
from sqlalchemy.orm import contains_eager, joinedload

from cade.applications.models import Application
from cade.awards.models import Decision
from cade.core.errors import NotFound
from cade.extensions import db
from cade.organisations.models import Membership
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call


def _published_calls():
    return select(Call).options(joinedload(Call.programme)).where(Call.status == CallStatus.PUBLISHED)


def calls_after(last_id: int, limit: int) -> list[Call]:
    """Up to `limit` + 1 published calls after id `last_id`, in id order."""
    return list(db.session.scalars(_published_calls().where(Call.id > last_id).order_by(Call.id).limit(limit + 1)))


def published_call(call_id: int) -> Call:
    """A published call; NotFound for a draft or no call at all (a draft's existence is not public)."""
    call = db.session.scalar(_published_calls().where(Call.id == call_id))
    if call is None:
        raise NotFound()
    return call


def _applications_of(user_id: int):
    """Applications of the organisations `user_id` is a member of, with their call, organisation and decision.

    Membership is the only way in: an administrator's or a reviewer's role gives no more through the API.
    """
    member_of = select(Membership.organisation_id).where(Membership.user_id == user_id)
    return (select(Application)
            .join(Application.call).join(Call.programme).join(Application.organisation)
            .outerjoin(Decision, Decision.application_id == Application.id)
            .options(contains_eager(Application.call).contains_eager(Call.programme),
                     contains_eager(Application.organisation))
            .add_columns(Decision)
            .where(Application.organisation_id.in_(member_of)))


def applications_after(user_id: int, last_id: int, limit: int, *, status: str | None = None,
                       call_id: int | None = None) -> list[tuple[Application, Decision | None]]:
    """Up to `limit` + 1 of the user's applications (with their decisions) after id `last_id`, in id order."""
    statement = _applications_of(user_id).where(Application.id > last_id)
    if status:
        statement = statement.where(Application.status == status)
    if call_id:
        statement = statement.where(Application.call_id == call_id)
    return [tuple(row) for row in db.session.execute(statement.order_by(Application.id).limit(limit + 1))]


def application_of(user_id: int, application_id: int) -> tuple[Application, Decision | None]:
    """One of the user's applications with its decision; NotFound when it is not theirs (or does not exist)."""
    row = db.session.execute(_applications_of(user_id).where(Application.id == application_id)).first()
    if row is None:
        raise NotFound()
    return tuple(row)


