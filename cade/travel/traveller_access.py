"""Who may write a trip's claim and post-trip report (its traveller and its organisation's owners), and whom
the travel messages about a trip go to. Everyone else is told the trip does not exist."""

from dataclasses import dataclass

from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications.models import Application
from cade.core.errors import NotFound
from cade.extensions import db
from cade.organisations.models import Membership
from cade.travel.models import Trip


def _same_email(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().lower() == b.strip().lower())


def is_traveller(user, trip: Trip) -> bool:
    """Whether `user` is the trip's traveller: the member named, or the person named by e-mail."""
    if user is None or not getattr(user, "is_authenticated", True) or getattr(user, "id", None) is None:
        return False
    return trip.traveller_user_id == user.id or _same_email(trip.traveller_email, user.email)


def is_owner(user, organisation_id: int) -> bool:
    if getattr(user, "id", None) is None:
        return False
    return db.session.scalar(select(Membership.id).where(
        Membership.user_id == user.id, Membership.organisation_id == organisation_id,
        Membership.role == "owner")) is not None


def can_write_for_trip(user, trip: Trip) -> bool:
    """The traveller and the owners of the applying organisation write the claim and the post-trip report."""
    return is_traveller(user, trip) or is_owner(user, trip.application.organisation_id)


def trip_for_writer(actor, trip_id: int) -> Trip:
    """The trip, if `actor` may write for it; NotFound otherwise (another organisation's trip does not exist)."""
    trip = db.session.get(Trip, trip_id)
    if trip is None or not can_write_for_trip(actor, trip):
        raise NotFound()
    return trip


def trip_or_404(trip_id: int) -> Trip:
    trip = db.session.get(Trip, trip_id)
    if trip is None:
        raise NotFound()
    return trip


def is_approved(trip: Trip) -> bool:
    """A trip is approved once its decision set an approved amount on its costs."""
    return any(cost.approved_minor is not None for cost in trip.costs)


@dataclass(frozen=True)
class Recipient:
    """Someone a travel message goes to: a user, or an e-mail address with the name the trip gives it."""

    user: User | None
    email: str
    name: str | None = None

    @property
    def key(self) -> str:
        return f"u{self.user.id}" if self.user is not None else f"e{self.email.lower()}"


def traveller_and_owners(trip: Trip) -> list[Recipient]:
    """The traveller (user, or the e-mail the owner gave) and the active owners of the organisation, once each."""
    owners = db.session.scalars(
        select(User).join(Membership, Membership.user_id == User.id)
        .join(Application, Application.organisation_id == Membership.organisation_id)
        .where(Application.id == trip.application_id, Membership.role == "owner", User.active.is_(True))
        .order_by(User.id)).all()
    found: list[Recipient] = []
    seen: set[str] = set()
    traveller = trip.traveller
    if traveller is None and trip.traveller_email:
        traveller = db.session.scalar(select(User).where(func.lower(User.email) == trip.traveller_email.lower()))
    if traveller is not None:
        if traveller.active:  # a disabled account is told nothing, by no address
            found.append(Recipient(traveller, traveller.email))
    elif trip.traveller_email:
        found.append(Recipient(None, trip.traveller_email, trip.traveller_name))
    seen.update(r.email.lower() for r in found)
    for owner in owners:
        if owner.email.lower() not in seen:
            seen.add(owner.email.lower())
            found.append(Recipient(owner, owner.email))
    return found


def traveller_name(trip: Trip) -> str:
    if trip.traveller is not None:
        return trip.traveller.name
    return trip.traveller_name or trip.traveller_email or ""
