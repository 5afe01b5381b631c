"""A travel call's events and caps, per diem rates, trips with their costs, visa letters, claims and post-trip
reports."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (BigInteger, Boolean, CheckConstraint, Date, ForeignKey, Integer, Numeric, String, Text,
                        UniqueConstraint)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.applications.models import Application
from cade.core.db import UTCDateTime, utcnow
from cade.core.questionnaires import Questionnaire
from cade.core.questionnaires.models import AnswerColumns
from cade.core.uploads import UploadedFileColumns
from cade.core.states import StateMachine
from cade.extensions import db
from cade.programmes.models import Call
from cade.travel.constants import (DEFAULT_DATE_MARGIN_DAYS, DEFAULT_POST_TRIP_DAYS, ClaimStatus, CostCategory,
                                   PostTripStatus, TravellerRole)


def _one_of(enum) -> str:
    return ", ".join(f"'{member.value}'" for member in enum)


class TravelSettings(db.Model):
    """What makes a call a travel call: the margin around event dates and the post-trip report it asks."""

    __tablename__ = "travel_settings"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    date_margin_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_DATE_MARGIN_DAYS)
    post_trip_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_POST_TRIP_DAYS)
    post_trip_questionnaire_id: Mapped[int | None] = mapped_column(ForeignKey("questionnaires.id"), unique=True)

    call: Mapped[Call] = relationship()
    post_trip_questionnaire: Mapped[Questionnaire | None] = relationship()

    __table_args__ = (
        CheckConstraint("date_margin_days >= 0 AND date_margin_days <= 30", name="margin_range"),
        CheckConstraint("post_trip_days > 0 AND post_trip_days <= 365", name="post_trip_range"),
    )


class TravelEvent(db.Model):
    """An event a travel call supports travel to (a call covering a year's series has several)."""

    __tablename__ = "travel_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(120))
    country: Mapped[str] = mapped_column(String(2))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    website: Mapped[str | None] = mapped_column(String(300))
    language: Mapped[str | None] = mapped_column(String(8))  # the visa letter is also written in it where we can

    __table_args__ = (CheckConstraint("ends_on >= starts_on", name="ends_after_start"),)


class CostCap(db.Model):
    """The most a travel call pays for one cost category (in the programme's currency)."""

    __tablename__ = "cost_caps"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    cap_minor: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (
        UniqueConstraint("call_id", "category"),
        CheckConstraint(f"category IN ({_one_of(CostCategory)})", name="category_known"),
        CheckConstraint("cap_minor >= 0", name="cap_not_negative"),
    )


class PerDiemRate(db.Model):
    """A daily allowance for a country (or one of its cities) over a validity period."""

    __tablename__ = "per_diem_rates"

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2), index=True)
    city: Mapped[str | None] = mapped_column(String(120))  # None: the rest of the country
    daily_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)  # None: until replaced
    is_example: Mapped[bool] = mapped_column(Boolean, default=False)  # the demo's rates, marked as examples
    source: Mapped[str | None] = mapped_column(String(300))

    __table_args__ = (
        CheckConstraint("daily_minor > 0", name="daily_positive"),
        CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name="valid_period"),
    )


class Trip(db.Model):
    """The travel part of a travel application: who travels, to which event, when, and the costs asked."""

    __tablename__ = "trips"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id", ondelete="CASCADE"), unique=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("travel_events.id", ondelete="RESTRICT"), index=True)
    # A member of the organisation, or a person the owner adds with their consent (no account needed).
    traveller_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    traveller_name: Mapped[str | None] = mapped_column(String(200))
    traveller_email: Mapped[str | None] = mapped_column(String(254), index=True)  # the person, across organisations
    consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the non-member's consent, as the owner records it
    role: Mapped[str | None] = mapped_column(String(16))
    origin_city: Mapped[str | None] = mapped_column(String(120))
    origin_country: Mapped[str | None] = mapped_column(String(2))
    departs_on: Mapped[date | None] = mapped_column(Date)
    returns_on: Mapped[date | None] = mapped_column(Date)
    wants_visa_letter: Mapped[bool] = mapped_column(Boolean, default=False)
    passport_country: Mapped[str | None] = mapped_column(String(2))  # only where a visa letter is wanted; private
    gender: Mapped[str | None] = mapped_column(String(60))  # optional and self-described; never required
    first_time: Mapped[bool | None] = mapped_column(Boolean)  # first time at this kind of event, as they say
    per_diem_rate_id: Mapped[int | None] = mapped_column(ForeignKey("per_diem_rates.id", ondelete="SET NULL"))
    post_trip_due_on: Mapped[date | None] = mapped_column(Date, index=True)  # set when the travel is approved

    application: Mapped[Application] = relationship()
    event: Mapped[TravelEvent | None] = relationship()
    traveller: Mapped[User | None] = relationship()
    per_diem_rate: Mapped[PerDiemRate | None] = relationship()
    costs: Mapped[list["TripCost"]] = relationship(back_populates="trip", cascade="all, delete-orphan",
                                                   order_by="TripCost.id")

    __table_args__ = (
        CheckConstraint(f"role IS NULL OR role IN ({_one_of(TravellerRole)})", name="role_known"),
        CheckConstraint("returns_on IS NULL OR departs_on IS NULL OR returns_on >= departs_on",
                        name="returns_after_departure"),
    )


class TripCost(db.Model):
    """One category of a trip: the estimate asked and the amount the decision approves (never above either cap)."""

    __tablename__ = "trip_costs"

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trips.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    estimate_minor: Mapped[int] = mapped_column(BigInteger)
    approved_minor: Mapped[int | None] = mapped_column(BigInteger)
    note: Mapped[str | None] = mapped_column(String(300))

    trip: Mapped[Trip] = relationship(back_populates="costs")

    __table_args__ = (
        UniqueConstraint("trip_id", "category"),
        CheckConstraint(f"category IN ({_one_of(CostCategory)})", name="category_known"),
        CheckConstraint("estimate_minor >= 0", name="estimate_not_negative"),
        CheckConstraint("approved_minor IS NULL OR (approved_minor >= 0 AND approved_minor <= estimate_minor)",
                        name="approved_within_estimate"),
    )


class VisaLetter(db.Model):
    """A visa support letter for an approved traveller: a PDF with a verification code and a public check page."""

    __tablename__ = "visa_letters"

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trips.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    language: Mapped[str] = mapped_column(String(8))
    stored_name: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)

    trip: Mapped[Trip] = relationship()


class Claim(db.Model):
    """The traveller's claim of actual costs after the event, and its review and payment."""

    __tablename__ = "travel_claims"

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trips.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=ClaimStatus.DRAFT, index=True)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    paid_on: Mapped[date | None] = mapped_column(Date)
    payment_reference: Mapped[str | None] = mapped_column(String(100))
    paid_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    trip: Mapped[Trip] = relationship()
    lines: Mapped[list["ClaimLine"]] = relationship(back_populates="claim", cascade="all, delete-orphan",
                                                    order_by="ClaimLine.id")

    __table_args__ = (
        CheckConstraint(f"status IN ({_one_of(ClaimStatus)})", name="status_known"),
        CheckConstraint("status <> 'paid' OR (paid_on IS NOT NULL AND payment_reference IS NOT NULL)",
                        name="paid_has_payment"),
    )

    def __init__(self, **kwargs):
        kwargs.setdefault("status", ClaimStatus.DRAFT)
        super().__init__(**kwargs)


CLAIM_MACHINE = StateMachine(
    noun="travel claim",
    model=Claim,
    statuses=ClaimStatus,
    initial=ClaimStatus.DRAFT,
    description=("The traveller's claim of actual costs: written with receipts, submitted, approved by an admin "
                 "(as claimed within the approved amounts, or adjusted with a reason), then paid once."),
    transitions={ClaimStatus.DRAFT: {ClaimStatus.SUBMITTED}, ClaimStatus.SUBMITTED: {ClaimStatus.APPROVED},
                 ClaimStatus.APPROVED: {ClaimStatus.PAID}, ClaimStatus.PAID: set()},
)


class ClaimLine(db.Model):
    """An actual cost of one category, in the currency paid, converted at the rate used; capped at the approval."""

    __tablename__ = "claim_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    claim_id: Mapped[int] = mapped_column(ForeignKey("travel_claims.id", ondelete="CASCADE"), index=True)
    category: Mapped[str] = mapped_column(String(20))
    description: Mapped[str | None] = mapped_column(String(300))
    paid_minor: Mapped[int] = mapped_column(BigInteger)  # in paid_currency
    paid_currency: Mapped[str] = mapped_column(String(3))
    rate: Mapped[Decimal] = mapped_column(Numeric(18, 8), default=Decimal(1))  # paid currency → programme currency
    rate_source: Mapped[str | None] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInteger)  # in the programme's currency
    reimbursable_minor: Mapped[int | None] = mapped_column(BigInteger)  # capped; the admin's adjusted figure
    adjustment_reason: Mapped[str | None] = mapped_column(Text)

    claim: Mapped[Claim] = relationship(back_populates="lines")
    receipts: Mapped[list["ClaimReceipt"]] = relationship(back_populates="line", cascade="all, delete-orphan",
                                                          order_by="ClaimReceipt.id")

    __table_args__ = (
        CheckConstraint(f"category IN ({_one_of(CostCategory)})", name="category_known"),
        CheckConstraint("paid_minor >= 0 AND amount_minor >= 0", name="amounts_not_negative"),
        CheckConstraint("rate > 0", name="rate_positive"),
    )


class ClaimReceipt(UploadedFileColumns, db.Model):
    """A receipt (PDF or image, checked by content) for one claim line."""

    __tablename__ = "claim_receipts"

    id: Mapped[int] = mapped_column(primary_key=True)
    line_id: Mapped[int] = mapped_column(ForeignKey("claim_lines.id", ondelete="CASCADE"), index=True)

    line: Mapped[ClaimLine] = relationship(back_populates="receipts")


class PostTripReport(db.Model):
    """What the traveller did, contributed and will follow up; without it the person cannot apply for travel again."""

    __tablename__ = "post_trip_reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    trip_id: Mapped[int] = mapped_column(ForeignKey("trips.id", ondelete="CASCADE"), unique=True)
    status: Mapped[str] = mapped_column(String(16), default=PostTripStatus.DRAFT)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    trip: Mapped[Trip] = relationship()
    answers: Mapped[list["PostTripAnswer"]] = relationship(back_populates="report", cascade="all, delete-orphan")

    __table_args__ = (CheckConstraint(f"status IN ({_one_of(PostTripStatus)})", name="status_known"),)

    def __init__(self, **kwargs):
        kwargs.setdefault("status", PostTripStatus.DRAFT)
        super().__init__(**kwargs)


class PostTripAnswer(AnswerColumns, db.Model):
    __tablename__ = "post_trip_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("post_trip_reports.id", ondelete="CASCADE"), index=True)

    report: Mapped[PostTripReport] = relationship(back_populates="answers")

    __table_args__ = (UniqueConstraint("report_id", "question_id"),)
