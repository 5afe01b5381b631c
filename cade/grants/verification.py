"""What waits for an admin before money can go out, for the verification queue page, in six queries.

Six lists, read by one query each (bank details: one for both lists; screenings: two) whatever their length:
documents waiting for verification, bank details waiting for a first check and those waiting for a second
admin, organisations whose screening keeps a payable tranche from being paid, amendments waiting for a
decision, and verified documents that have expired or expire within the first reminder's window where they
matter (money is still on its way: an active grant with a tranche not yet paid, or an award released and not
yet answered).

The queue reads the rows, not the services that change them (they are written alongside it); the one rule it
repeats, when a screening lets a tranche be paid, is the pay gate's, stated in `screening_due_reason`. Bank
details leave the database already cut to their last characters: the full account number never reaches the
page (issue 12: only the admin paying sees it whole).

It lives in grants, above diligence: it reads diligence's documents, payee accounts and screenings beside
grants' own tranches and amendments.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import aliased

from cade.accounts.models import User
from cade.applications.models import Application
from cade.awards.constants import DecisionOutcome, DecisionStatus
from cade.awards.models import Decision
from cade.diligence.constants import DOCUMENT_REMINDER_DAYS, DocumentKind, DocumentStatus, PayeeStatus, ScreeningResult
from cade.diligence.models import Document, PayeeAccount, Screening
from cade.extensions import db
from cade.grants.constants import AmendmentStatus, GrantStatus, TrancheStatus
from cade.grants.models import Grant, GrantAmendment, Tranche
from cade.organisations.models import Organisation
from cade.programmes.models import Call, Programme

EXPIRY_WINDOW_DAYS = max(DOCUMENT_REMINDER_DAYS)  # the first reminder: from then on an admin should know too
SHOWN_DIGITS = 4  # how much of an account number the queue shows (its end)


@dataclass(frozen=True)
class PendingDocument:
    id: int
    organisation_id: int
    organisation_name: str
    kind: str
    title: str | None
    year: int | None
    issued_on: date
    expires_on: date | None
    uploaded_at: datetime


@dataclass(frozen=True)
class PendingPayee:
    """Bank details waiting for an admin; `account_end` is the last characters of the account, never all of it."""

    id: int
    organisation_id: int
    organisation_name: str
    status: str
    account_holder: str
    bank_name: str
    currency: str
    account_end: str
    entered_by_id: int | None
    entered_by_name: str | None
    entered_at: datetime
    checked_by_id: int | None
    checked_by_name: str | None
    checked_at: datetime | None

    def can_be_checked_by(self, user_id: int) -> bool:
        """The first check is by an admin other than the one who entered the details (payees.check_payee)."""
        return self.status == PayeeStatus.PENDING and user_id != self.entered_by_id

    def can_be_confirmed_by(self, user_id: int) -> bool:
        """Four eyes: the second admin is neither the one who entered the details nor the one who checked them."""
        return self.status == PayeeStatus.CHECKED and user_id not in (self.entered_by_id, self.checked_by_id)


@dataclass(frozen=True)
class ScreeningDue:
    """An organisation with a payable tranche that cannot be paid for want of a screening: `reason` is one of
    SCREENING_REASONS (see screening_due_reason), `valid_days` the limit of the programme it is named for,
    `screened_on` the day of its latest screening (None: never screened)."""

    organisation_id: int
    organisation_name: str
    reason: str
    screened_on: date | None
    valid_days: int
    payable: int  # its payable tranches, in every programme


@dataclass(frozen=True)
class RequestedAmendment:
    id: int
    grant_id: int
    organisation_id: int
    organisation_name: str
    kind: str
    requested_at: datetime
    requested_by_name: str | None


@dataclass(frozen=True)
class ExpiringDocument:
    id: int
    organisation_id: int
    organisation_name: str
    kind: str
    title: str | None
    year: int | None
    expires_on: date
    expired: bool
    tranche_unpaid: bool  # an active grant of the organisation has a tranche not yet paid
    offer_open: bool  # an award to the organisation was released and not yet answered


@dataclass(frozen=True)
class Queue:
    documents: tuple[PendingDocument, ...]
    payees_to_check: tuple[PendingPayee, ...]
    payees_to_confirm: tuple[PendingPayee, ...]
    screenings: tuple[ScreeningDue, ...]
    amendments: tuple[RequestedAmendment, ...]
    expiring: tuple[ExpiringDocument, ...]

    @property
    def total(self) -> int:
        return (len(self.documents) + len(self.payees_to_check) + len(self.payees_to_confirm)
                + len(self.screenings) + len(self.amendments) + len(self.expiring))


def verification_queue(today: date) -> Queue:
    """Everything waiting for an admin on `today`, oldest first in each list (six queries; changes nothing)."""
    payees = _payees()
    return Queue(
        documents=_pending_documents(),
        payees_to_check=tuple(p for p in payees if p.status == PayeeStatus.PENDING),
        payees_to_confirm=tuple(p for p in payees if p.status == PayeeStatus.CHECKED),
        screenings=_screenings_due(today),
        amendments=_requested_amendments(),
        expiring=_expiring_documents(today),
    )


SCREENING_REASONS = ("match", "missing", "expired", "lists")  # most pressing first


def screening_due_reason(screenings, valid_days: int, lists, today: date) -> str | None:
    """Why a tranche of a programme cannot be paid for want of a screening on `today`, or None when it can.

    `screenings`: the organisation's screenings done by `today`, latest first (at least those of the last
    `valid_days` days and the latest one), as rows with `screened_on`, `result` and `lists`. The rule is the
    pay gate's (cade/diligence/screenings.recent_clear_screening and readiness.payment_readiness): a CLEAR
    screening covering every list the programme names, made on `today` or in the `valid_days - 1` days before,
    with no MATCH after it; and the latest screening is not a MATCH. The answer says what an admin must do:
    "match" (a possible match stops payment), "missing" (never screened), "expired" (no clear screening recent
    enough), "lists" (recent, but not against every list the programme names).
    """
    if not screenings:
        return "missing"
    if screenings[0].result == ScreeningResult.MATCH:
        return "match"
    since = today - timedelta(days=valid_days - 1)
    recent = False
    for screening in screenings:
        if screening.screened_on < since or screening.result == ScreeningResult.MATCH:
            break
        recent = True
        if _covers(screening.lists, lists):
            return None
    return "lists" if recent else "expired"


def _covers(checked, named) -> bool:
    # The programme's lists as the screening service compares them: whitespace and case do not count.
    def norm(name):
        return " ".join(name.split()).casefold()

    done = {norm(name) for name in checked or []}
    return all(norm(name) in done for name in named or [])


def _pending_documents() -> tuple[PendingDocument, ...]:
    rows = db.session.execute(
        select(Document.id, Document.organisation_id, Organisation.name, Document.kind, Document.title,
               Document.year, Document.issued_on, Document.expires_on, Document.uploaded_at)
        .join(Organisation, Organisation.id == Document.organisation_id)
        .where(Document.status == DocumentStatus.PENDING)
        .order_by(Document.uploaded_at, Document.id))
    return tuple(PendingDocument(*row) for row in rows)


def _account_end():
    """The last SHOWN_DIGITS characters of the IBAN or account number, cut in SQL; nothing for a shorter one."""
    number = func.coalesce(PayeeAccount.iban, PayeeAccount.account_number)
    length = func.length(number)
    return case((length > SHOWN_DIGITS, func.substr(number, length - (SHOWN_DIGITS - 1))), else_="")


def _payees() -> list[PendingPayee]:
    entered_by, checked_by = aliased(User), aliased(User)
    rows = db.session.execute(
        select(PayeeAccount.id, PayeeAccount.organisation_id, Organisation.name, PayeeAccount.status,
               PayeeAccount.account_holder, PayeeAccount.bank_name, PayeeAccount.currency, _account_end(),
               PayeeAccount.entered_by_id, entered_by.name, PayeeAccount.entered_at,
               PayeeAccount.checked_by_id, checked_by.name, PayeeAccount.checked_at)
        .join(Organisation, Organisation.id == PayeeAccount.organisation_id)
        .outerjoin(entered_by, entered_by.id == PayeeAccount.entered_by_id)
        .outerjoin(checked_by, checked_by.id == PayeeAccount.checked_by_id)
        .where(PayeeAccount.status.in_([PayeeStatus.PENDING, PayeeStatus.CHECKED]))
        .order_by(PayeeAccount.entered_at, PayeeAccount.id))
    return [PendingPayee(*row) for row in rows]


def _screenings_due(today: date) -> tuple[ScreeningDue, ...]:
    # Per organisation and programme with something to pay: how many tranches wait, and the programme's rule.
    payable = (select(Grant.organisation_id, Organisation.name.label("name"), Call.programme_id,
                      func.count(Tranche.id).label("payable"))
               .join(Grant, Grant.id == Tranche.grant_id)
               .join(Organisation, Organisation.id == Grant.organisation_id)
               .join(Call, Call.id == Grant.call_id)
               .where(Tranche.status == TrancheStatus.PAYABLE)
               .group_by(Grant.organisation_id, Organisation.name, Call.programme_id).subquery())
    waiting = db.session.execute(
        select(payable.c.organisation_id, payable.c.name, payable.c.payable, Programme.screening_valid_days,
               Programme.screening_lists)
        .join(Programme, Programme.id == payable.c.programme_id)
        .order_by(payable.c.name, payable.c.organisation_id, Programme.id)).all()
    if not waiting:
        return ()
    # Their screenings up to today: those young enough to count for any of their programmes, and the latest.
    since = today - timedelta(days=max(row.screening_valid_days for row in waiting))
    ranked = (select(Screening.organisation_id, Screening.screened_on, Screening.result, Screening.lists,
                     Screening.id,
                     func.row_number().over(partition_by=Screening.organisation_id,
                                            order_by=(Screening.screened_on.desc(), Screening.id.desc()))
                     .label("rank"))
              .where(Screening.organisation_id.in_({row.organisation_id for row in waiting}),
                     Screening.screened_on <= today).subquery())
    screenings = {}
    for row in db.session.execute(select(ranked).where(or_(ranked.c.rank == 1, ranked.c.screened_on >= since))
                                  .order_by(ranked.c.organisation_id, ranked.c.rank)):
        screenings.setdefault(row.organisation_id, []).append(row)
    per_organisation: dict[int, dict] = {}
    for row in waiting:
        item = per_organisation.setdefault(row.organisation_id, {"name": row.name, "payable": 0, "answers": []})
        item["payable"] += row.payable
        reason = screening_due_reason(screenings.get(row.organisation_id, []), row.screening_valid_days,
                                      row.screening_lists, today)
        if reason:
            item["answers"].append((SCREENING_REASONS.index(reason), row.screening_valid_days, reason))
    due = []
    for organisation_id, item in per_organisation.items():
        if item["answers"]:  # several programmes: the most pressing answer, then the strictest limit
            _rank, valid_days, reason = min(item["answers"])
            history = screenings.get(organisation_id)
            due.append(ScreeningDue(organisation_id, item["name"], reason, history[0].screened_on if history else None,
                                    valid_days, item["payable"]))
    return tuple(due)


def _requested_amendments() -> tuple[RequestedAmendment, ...]:
    rows = db.session.execute(
        select(GrantAmendment.id, GrantAmendment.grant_id, Grant.organisation_id, Organisation.name,
               GrantAmendment.kind, GrantAmendment.requested_at, User.name)
        .join(Grant, Grant.id == GrantAmendment.grant_id)
        .join(Organisation, Organisation.id == Grant.organisation_id)
        .outerjoin(User, User.id == GrantAmendment.requested_by_id)
        .where(GrantAmendment.status == AmendmentStatus.REQUESTED)
        .order_by(GrantAmendment.requested_at, GrantAmendment.id))
    return tuple(RequestedAmendment(*row) for row in rows)


def _expiring_documents(today: date) -> tuple[ExpiringDocument, ...]:
    horizon = today + timedelta(days=EXPIRY_WINDOW_DAYS)
    tranche_unpaid = (exists().where(Grant.organisation_id == Document.organisation_id,
                                     Grant.status == GrantStatus.ACTIVE, Tranche.grant_id == Grant.id,
                                     Tranche.status != TrancheStatus.PAID))
    offer_open = (exists().where(Application.organisation_id == Document.organisation_id,
                                 Decision.application_id == Application.id,
                                 Decision.outcome == DecisionOutcome.AWARD,
                                 Decision.status == DecisionStatus.RELEASED))
    newer = aliased(Document)
    # A verified document of the same kind (the same year's accounts, the same named other document) valid
    # beyond the window has taken its place: the old one no longer matters.
    replaced = exists().where(
        newer.organisation_id == Document.organisation_id, newer.id != Document.id, newer.kind == Document.kind,
        newer.status == DocumentStatus.VERIFIED, newer.year.is_not_distinct_from(Document.year),
        or_(Document.kind != DocumentKind.OTHER, newer.title == Document.title),
        or_(newer.expires_on.is_(None), newer.expires_on > horizon))
    rows = db.session.execute(
        select(Document.id, Document.organisation_id, Organisation.name, Document.kind, Document.title,
               Document.year, Document.expires_on, tranche_unpaid.label("tranche_unpaid"),
               offer_open.label("offer_open"))
        .join(Organisation, Organisation.id == Document.organisation_id)
        .where(Document.status == DocumentStatus.VERIFIED, Document.expires_on <= horizon,
               or_(tranche_unpaid, offer_open), ~replaced)
        .order_by(Document.expires_on, Document.id))
    return tuple(ExpiringDocument(id=row.id, organisation_id=row.organisation_id, organisation_name=row.name,
                                  kind=row.kind, title=row.title, year=row.year, expires_on=row.expires_on,
                                  expired=row.expires_on < today, tranche_unpaid=bool(row.tranche_unpaid),
                                  offer_open=bool(row.offer_open))
                 for row in rows)
