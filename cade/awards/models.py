"""Decisions on applications: outcome, amount, feedback, rationale, status and release."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import JSON, BigInteger, Date, ForeignKey, Index, Numeric, String, Text
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.applications.models import Application
from cade.awards.constants import DecisionStatus
from cade.core.db import TimestampMixin, UTCDateTime, utcnow
from cade.core.rates import RATE_DIGITS, RATE_PLACES
from cade.core.states import StateMachine
from cade.extensions import db


class Decision(TimestampMixin, db.Model):
    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    outcome: Mapped[str] = mapped_column(String(16))
    amount_minor: Mapped[int | None] = mapped_column(BigInteger)  # awards only
    # The currency the amount is in, kept with it (the call's at the time of the decision): reports read it.
    currency: Mapped[str | None] = mapped_column(String(3))
    feedback: Mapped[str] = mapped_column(Text, default="")  # for the applicant, sent at release
    rationale: Mapped[str] = mapped_column(Text, default="")  # for the record, never sent
    # Deciding with fewer submitted reviews than the call requires needs a stated reason.
    override_reason: Mapped[str | None] = mapped_column(Text)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(16), default=DecisionStatus.DECIDED)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # set by the move to released
    # What the applicant was sent at release, kept as sent: the decision's feedback and the reviewers'
    # comments may be edited later, what the applicant was told may not. None until released.
    released_feedback: Mapped[str | None] = mapped_column(Text)
    released_comments: Mapped[list[str] | None] = mapped_column(JSON)

    # The offer (a released award): answered by an owner of the applicant organisation before the deadline.
    offer_deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    signatory_name: Mapped[str | None] = mapped_column(String(200))
    signatory_position: Mapped[str | None] = mapped_column(String(200))
    declined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    declined_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decline_reason: Mapped[str | None] = mapped_column(Text)
    # The money fixed at award: the amount's rate to the reporting currency on the day of release, kept as it
    # was (set once, never changed). Null when the currencies are the same, or when no rate was recorded then.
    fx_currency: Mapped[str | None] = mapped_column(String(3))
    fx_rate: Mapped[Decimal | None] = mapped_column(Numeric(RATE_DIGITS, RATE_PLACES, asdecimal=True))
    fx_rate_date: Mapped[date | None] = mapped_column(Date)
    fx_source: Mapped[str | None] = mapped_column(String(200))

    application: Mapped[Application] = relationship()
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    accepted_by: Mapped[User | None] = relationship(foreign_keys=[accepted_by_id])
    declined_by: Mapped[User | None] = relationship(foreign_keys=[declined_by_id])

    __table_args__ = (Index("ix_decisions_call_outcome", "call_id", "outcome"),
                      # A call's decisions waiting for release (the ranking's and release page's count).
                      Index("ix_decisions_call_status", "call_id", "status"),
                      # The lapse and reminder sweeps: released offers by deadline.
                      Index("ix_decisions_status_offer_deadline_at", "status", "offer_deadline_at"))

    def __init__(self, **kwargs):
        # Decided from the moment it exists, not only once inserted: predicates read it before the flush.
        kwargs.setdefault("status", DecisionStatus.DECIDED)
        super().__init__(**kwargs)

    @property
    def is_offer(self) -> bool:
        """A released award: an offer, answered or not."""
        return self.outcome == "award" and self.is_released

    @hybrid_property
    def is_released(self) -> bool:
        """Whether the applicant has been told: every status after decided (accepted and declined, next, too)."""
        return self.status != DecisionStatus.DECIDED

    @is_released.inplace.expression
    @classmethod
    def _is_released_expression(cls):
        return cls.status != DecisionStatus.DECIDED


class CallAwardFigures(db.Model):
    """A call's award figures, kept up to date as its decisions change (cade/awards/services/figures.py).

    One row per call with a decision: the ranking reads it by key instead of
    adding up the call's awards and counting its decisions on every view.
    """

    __tablename__ = "call_award_figures"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    # Decisions a release would send now (release.unreleased_decision_count, counted as it counts).
    waiting_count: Mapped[int] = mapped_column(default=0)
    # Committed amounts in minor units (commitments.py), by region code and by stakeholder group code, as the
    # application recorded its organisation at submission; a code without an award has no entry.
    by_region: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    by_stakeholder_group: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)


# A call's applications by status (declared here, beside the questions that need it): the ranking's count and
# requested total read it alone (an index-only scan on PostgreSQL), as do its first waitlisted application and
# the count of decisions waiting for release.
Index("ix_applications_call_status", Application.call_id, Application.status,
      postgresql_include=["requested_amount_minor"])


DECISION_MACHINE = StateMachine(
    noun="decision",
    model=Decision,
    statuses=DecisionStatus,
    initial=DecisionStatus.DECIDED,
    description=("An administrator's decision on an application: award (with an amount), waitlist or reject. "
                 "It may change while decided; releasing the call's decisions tells the applicants and makes "
                 "it final. A released award is an offer: an owner of the applicant organisation accepts it "
                 "or declines it with a reason, or its acceptance deadline passes (lapsed); a declined or "
                 "lapsed offer frees its money in the call's envelope."),
    transitions={
        DecisionStatus.DECIDED: {DecisionStatus.RELEASED},
        DecisionStatus.RELEASED: {DecisionStatus.ACCEPTED, DecisionStatus.DECLINED, DecisionStatus.LAPSED},
        DecisionStatus.ACCEPTED: set(),
        DecisionStatus.DECLINED: set(),
        DecisionStatus.LAPSED: set(),
    },
)
