"""Organisations (CSO profiles), their memberships and invitations."""

from datetime import datetime

from sqlalchemy import BigInteger, JSON, ForeignKey, String, Text, UniqueConstraint, and_, false
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from cade.accounts.models import User
from cade.core.countries import get_country
from cade.core.db import TimestampMixin, UTCDateTime
from cade.extensions import db


class Organisation(TimestampMixin, db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    acronym: Mapped[str | None] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(2), index=True)
    # Derived from the country by the services; stored so reports group in SQL.
    region_code: Mapped[str] = mapped_column(String(3), index=True)
    subregion_code: Mapped[str] = mapped_column(String(3))
    city: Mapped[str | None] = mapped_column(String(120))
    website: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    organisation_type: Mapped[str] = mapped_column(String(32))
    stakeholder_group: Mapped[str] = mapped_column(String(32))
    year_founded: Mapped[int | None]
    staff_band: Mapped[str | None] = mapped_column(String(8))
    annual_budget_minor: Mapped[int | None] = mapped_column(BigInteger)
    annual_budget_currency: Mapped[str | None] = mapped_column(String(3))
    focus_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    registration_number: Mapped[str | None] = mapped_column(String(80))
    verified: Mapped[bool] = mapped_column(default=False)
    publish_consent: Mapped[bool] = mapped_column(default=False)
    # Marked by the organisation itself: never named in open data or on public pages, e-mails to it keep the
    # funder out of their subject lines, and reviewers see nothing that identifies it beyond its answers.
    at_risk: Mapped[bool] = mapped_column(default=False, server_default=false())
    # Set when its owner asked for erasure: the identifying fields now hold a pseudonym.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    memberships: Mapped[list["Membership"]] = relationship(
        back_populates="organisation", cascade="all, delete-orphan", order_by="Membership.id"
    )

    @hybrid_property
    def may_be_named(self) -> bool:
        """Whether open data and public pages may name the organisation: it consented, and is not at risk.

        The one answer to that question, in Python and in SQL (open data selects it; the public check
        pages ask it of one organisation). An organisation that marked itself at risk is anonymised
        whatever its consent says.
        """
        return bool(self.publish_consent) and not self.at_risk

    @may_be_named.inplace.expression
    @classmethod
    def _may_be_named_expression(cls):
        return and_(cls.publish_consent.is_(True), cls.at_risk.is_(False))

    @property
    def country_info(self):
        return get_country(self.country)

    @property
    def display_name(self) -> str:
        return f"{self.name} ({self.acronym})" if self.acronym else self.name

    def __repr__(self) -> str:
        return f"<Organisation {self.id} {self.name}>"


class Membership(TimestampMixin, db.Model):
    __tablename__ = "memberships"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(16), default="member")

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship(back_populates="memberships")

    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)


class Invitation(TimestampMixin, db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16), default="member")
    # Only a hash of the token is kept: a database leak does not leak live invitations.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[User | None] = relationship()

    def is_expired(self, now: datetime) -> bool:
        return self.expires_at <= now
