"""Read-only queries for the public and admin lists of calls."""

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from cade.core.db import utcnow
from cade.extensions import db
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call, Programme

RECENTLY_CLOSED_DAYS = 90


def _published_calls():
    return select(Call).options(joinedload(Call.programme)).where(Call.status == CallStatus.PUBLISHED)


def open_calls(now: datetime | None = None) -> list[Call]:
    """Published calls taking applications at `now`, the nearest deadline first."""
    now = now or utcnow()
    query = _published_calls().where(Call.opens_at <= now, Call.closes_at >= now).order_by(Call.closes_at, Call.id)
    return list(db.session.scalars(query))


def upcoming_calls(now: datetime | None = None) -> list[Call]:
    """Published calls that open after `now`, the soonest first."""
    now = now or utcnow()
    query = _published_calls().where(Call.opens_at > now).order_by(Call.opens_at, Call.id)
    return list(db.session.scalars(query))


def recently_closed_calls(now: datetime | None = None, days: int = RECENTLY_CLOSED_DAYS) -> list[Call]:
    """Published calls that closed within the last `days` days, the latest first."""
    now = now or utcnow()
    query = _published_calls().where(Call.closes_at < now, Call.closes_at >= now - timedelta(days=days))
    return list(db.session.scalars(query.order_by(Call.closes_at.desc(), Call.id)))


def programmes_with_calls() -> list[Programme]:
    """Every programme with its calls loaded, for the admin dashboard (two queries)."""
    query = select(Programme).options(selectinload(Programme.calls)).order_by(Programme.name, Programme.id)
    return list(db.session.scalars(query))
