"""Read-only queries for the public and admin lists of calls."""

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from cade.core.db import utcnow
from cade.extensions import db
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call, Programme

RECENTLY_CLOSED_DAYS = 90
OPEN_CALLS_PER_PAGE = 12
PROGRAMMES_PER_PAGE = 10
LATEST_CALLS_SHOWN = 5
CALLS_PER_PAGE = 20


def _published_calls():
    return select(Call).options(joinedload(Call.programme)).where(Call.status == CallStatus.PUBLISHED)


def _open_calls_query(now: datetime):
    return _published_calls().where(Call.opens_at <= now, Call.closes_at >= now).order_by(Call.closes_at, Call.id)


def open_calls(now: datetime | None = None) -> list[Call]:
    """Published calls taking applications at `now`, the nearest deadline first."""
    return list(db.session.scalars(_open_calls_query(now or utcnow())))


def open_calls_page(now: datetime | None = None, page: int = 1, per_page: int = OPEN_CALLS_PER_PAGE):
    """One page of open_calls(), for a list that stays small on a slow connection."""
    return db.paginate(_open_calls_query(now or utcnow()), page=page, per_page=per_page, error_out=False)


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


def programmes_page(page: int = 1, per_page: int = PROGRAMMES_PER_PAGE):
    """One page of programmes for the admin dashboard (calls come from latest_calls_by_programme)."""
    query = select(Programme).order_by(Programme.name, Programme.id)
    return db.paginate(query, page=page, per_page=per_page, error_out=False)


def latest_calls_by_programme(programme_ids, limit: int = LATEST_CALLS_SHOWN) -> dict[int, list[Call]]:
    """The `limit` most recently opened calls of each programme, in one query."""
    rank = func.row_number().over(partition_by=Call.programme_id, order_by=(Call.opens_at.desc(), Call.id.desc()))
    ranked = select(Call.id, rank.label("rank")).where(Call.programme_id.in_(list(programme_ids))).subquery()
    query = (select(Call).join(ranked, ranked.c.id == Call.id).where(ranked.c.rank <= limit)
             .order_by(Call.programme_id, Call.opens_at.desc(), Call.id.desc()))
    latest: dict[int, list[Call]] = {programme_id: [] for programme_id in programme_ids}
    for call in db.session.scalars(query):
        latest[call.programme_id].append(call)
    return latest


def call_counts_by_programme(programme_ids) -> dict[int, int]:
    query = (select(Call.programme_id, func.count(Call.id)).where(Call.programme_id.in_(list(programme_ids)))
             .group_by(Call.programme_id))
    counts = {programme_id: 0 for programme_id in programme_ids}
    counts.update(dict(db.session.execute(query).all()))
    return counts


def programme_calls_page(programme_id: int, page: int = 1, per_page: int = CALLS_PER_PAGE):
    """One page of a programme's calls, the most recently opened first."""
    query = select(Call).where(Call.programme_id == programme_id).order_by(Call.opens_at.desc(), Call.id.desc())
    return db.paginate(query, page=page, per_page=per_page, error_out=False)
