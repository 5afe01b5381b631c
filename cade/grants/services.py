"""Opening a grant when an offer is accepted, and finding grants for the pages."""

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, select, tuple_
from sqlalchemy.orm import aliased, joinedload

from cade.accounts.models import User
from cade.awards.constants import DecisionOutcome
from cade.awards.models import Decision
from cade.core.audit import record_event
from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, NotFound
from cade.core.storage import get_storage
from cade.extensions import db
from cade.grants.agreement import agreement_language, agreement_pdf
from cade.grants.constants import GrantStatus
from cade.grants.agreement_versions import record_version, store_pdf
from cade.grants.models import Grant, GrantBudgetLine
from cade.organisations.models import Membership


def grant_for_decision(decision_id: int) -> Grant | None:
    return db.session.scalar(select(Grant).where(Grant.decision_id == decision_id))


def accepting_owner(decision) -> User | None:
    """Who accepted the offer (awards' accepted_by where it records one), else the organisation's first owner."""
    owner = getattr(decision, "accepted_by", None)
    owner_id = getattr(decision, "accepted_by_id", None)
    if owner is None and owner_id is not None:
        owner = db.session.get(User, owner_id)
    if owner is None:
        owner = db.session.scalar(
            select(User).join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == decision.application.organisation_id, Membership.role == "owner")
            .order_by(Membership.id).limit(1))
    return owner


def open_grant(decision, actor=None) -> Grant:
    """Open the grant of an accepted award: the Grant row, its budget (the application's lines copied) and its
    agreement PDF, stored and recorded as version 1; audited `grant.opened`.

    Safe to call twice (also at once: the decision's row is locked first): a
    second call returns the grant that exists and stores no second file. The stored PDF is deleted if the
    transaction rolls back. Flushes, never commits. Raises InvalidTransition
    when the decision is not an accepted award.
    """
    # Two acceptances' hooks at once: the second waits here, then finds the first one's grant.
    lock_row(Decision, decision.id)
    existing = grant_for_decision(decision.id)
    if existing is not None:
        return existing
    if decision.outcome != DecisionOutcome.AWARD or getattr(decision, "accepted_at", None) is None:
        raise InvalidTransition(_l("Only an accepted award opens a grant."))
    owner = accepting_owner(decision)
    pdf, language = agreement_pdf(decision, owner, agreement_language(decision, owner))
    stored = store_pdf(pdf)  # a grant rolled back leaves no file behind
    grant = Grant(decision_id=decision.id, organisation_id=decision.application.organisation_id,
                  call_id=decision.call_id, amount_minor=decision.amount_minor, currency=decision.currency,
                  agreement_stored_name=stored.name, agreement_size=stored.size, agreement_sha256=stored.sha256,
                  agreement_language=language)
    db.session.add(grant)
    db.session.flush()
    from cade.grants.reports import create_reports
    from cade.grants.tranches import create_tranches

    _copy_budget(grant, decision.application)
    record_version(grant, stored, language)
    create_tranches(grant)
    create_reports(grant)
    record_event(actor or owner, "grant.opened", grant, None,
                 {"decision_id": decision.id, "amount_minor": grant.amount_minor, "currency": grant.currency,
                  "agreement_language": language, "agreement_sha256": stored.sha256})
    return grant


def _copy_budget(grant: Grant, application) -> None:
    """The grant's own budget: the application's lines in their order, numbered from 1 (as reports number them)."""
    lines = sorted(application.budget_lines, key=lambda line: (line.position, line.id))
    db.session.add_all(GrantBudgetLine(grant_id=grant.id, budget_line_id=line.id, position=position,
                                       category=line.category, description=line.description,
                                       amount_minor=line.amount_minor)
                       for position, line in enumerate(lines, start=1))
    db.session.flush()


def budget_of(grant: Grant) -> list[GrantBudgetLine]:
    """The grant's budget lines in order (as amended by reallocations)."""
    return list(db.session.scalars(select(GrantBudgetLine).where(GrantBudgetLine.grant_id == grant.id)
                                   .order_by(GrantBudgetLine.position)))


def _listed():
    return (select(Grant).options(joinedload(Grant.decision).joinedload(Decision.application),
                                  joinedload(Grant.organisation), joinedload(Grant.call))
            .order_by(Grant.created_at.desc(), Grant.id.desc()))


def grants_of_user(user) -> list[Grant]:
    """The grants of every organisation `user` belongs to, newest first, in one query."""
    member = exists().where(Membership.organisation_id == Grant.organisation_id, Membership.user_id == user.id)
    return list(db.session.scalars(_listed().where(member)))


ADMIN_PAGE_SIZE = 50  # grants on a page of the admins' list
LARGEST_ID = 2**31 - 1  # ids are 32-bit on PostgreSQL: a larger number names no row (and overflows SQLite)


@dataclass(frozen=True)
class GrantPage:
    """One page of the admins' list and the grants its neighbours start from (None: no page that way)."""

    grants: list[Grant]
    newer_than: int | None = None  # the first grant shown: the newer page is what comes `after` it
    older_than: int | None = None  # the last grant shown: the older page is what comes `before` it


def all_grants(*, status: str | None = None, call_id: int | None = None, need: str | None = None,
               today: date | None = None, before: int | None = None, after: int | None = None,
               size: int = ADMIN_PAGE_SIZE) -> GrantPage:
    """One page of every grant, newest first, optionally of one status, one call, and needing one thing
    (overview.NEEDS: an overdue report, a report to review, a tranche to pay); an unknown status or need is no
    filter.

    Pages are keyset, not offset, so the thousandth page costs what the first does: `before` (a grant's id) gives
    the `size` grants listed just after that grant, `after` the `size` listed just before it (`before` wins when
    both are given), neither the first page. One statement: it picks size + 1 ids by the filters and the
    (created_at, id) index, the extra one saying whether there is a page beyond, and only then joins their
    decision, application, organisation and call. An id that is no grant gives an empty page.
    """
    if not all(value is None or 0 < value <= LARGEST_ID for value in (before, after, call_id)):
        return GrantPage([])  # no grant or call has such an id
    upwards = before is None and after is not None  # the newer page: read up from `after`
    place = tuple_(Grant.created_at, Grant.id)
    ids = _filtered(status, call_id, need, today or utcnow().date())
    if upwards:
        ids = ids.where(place > _place_of(after)).order_by(Grant.created_at, Grant.id)
    else:
        ids = ids.where(place < _place_of(before)) if before is not None else ids
        ids = ids.order_by(Grant.created_at.desc(), Grant.id.desc())
    picked = ids.limit(size + 1).subquery()
    rows = list(db.session.scalars(_listed().join(picked, picked.c.id == Grant.id)))  # newest first
    more = len(rows) > size
    if upwards:  # the extra row is the newest
        shown = rows[1:] if more else rows
        return GrantPage(shown, newer_than=shown[0].id if more else None, older_than=shown[-1].id if shown else None)
    shown = rows[:size]
    return GrantPage(shown, newer_than=shown[0].id if before is not None and shown else None,
                     older_than=shown[-1].id if more else None)


def _filtered(status: str | None, call_id: int | None, need: str | None, today: date):
    """The ids of the grants the filters keep (a query to order and limit)."""
    from cade.grants.overview import needs_clause

    stmt = select(Grant.id)
    if status in set(GrantStatus):
        stmt = stmt.where(Grant.status == status)
    if call_id is not None:
        stmt = stmt.where(Grant.call_id == call_id)
    clause = needs_clause(need, today) if need else None
    return stmt if clause is None else stmt.where(clause)


def _place_of(grant_id: int):
    """Where a grant stands in the list, (created_at, id), as a row value: one index lookup inside the page's
    statement, so a link need only carry the id."""
    other = aliased(Grant)
    return tuple_(select(other.created_at).where(other.id == grant_id).scalar_subquery(), grant_id)


def get_grant(grant_id: int) -> Grant:
    """The grant, with its decision, application, organisation and call. Raises NotFound."""
    grant = db.session.scalar(_listed().where(Grant.id == grant_id))
    if grant is None:
        raise NotFound()
    return grant


def open_agreement(grant):
    """The agreement PDF as a binary stream (the caller closes it). Raises NotFound when the file is gone."""
    try:
        return get_storage().open(grant.agreement_stored_name)
    except FileNotFoundError:
        raise NotFound() from None
