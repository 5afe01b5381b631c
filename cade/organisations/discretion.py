"""Which e-mail recipients stay discreet: the people of organisations at risk (cade/notifications/discretion.py).

Registered on notifications' `discretion_checks` from cade/wiring.py
(`register`), as notifications may not import this domain.
"""

from sqlalchemy import exists, or_, select

from cade.accounts.services import get_user_by_email
from cade.extensions import db
from cade.organisations.models import Membership, Organisation


def discreet_notifications(rows) -> list:
    """Of these outbox rows, those going to someone an organisation at risk would not want seen receiving them.

    A row is discreet when its recipient is a member of an organisation at
    risk: the account it is addressed to, or, for an e-mail sent to an
    address only (an invitation, a traveller's), the account that holds that
    address; and, for such an address, when the e-mail is about an
    organisation at risk (`organisation_id` in its context: an invitation to
    join it). An account's e-mail about an organisation it does not belong to
    (an administrator's about a document to check) keeps its subject: its
    reader is not at risk. One query for the rows addressed to accounts,
    whatever their number; two for each row addressed to an address only.
    """
    to_accounts = [row for row in rows if row.recipient_id is not None]
    at_risk_users = _members_at_risk({row.recipient_id for row in to_accounts})
    found = [row for row in to_accounts if row.recipient_id in at_risk_users]
    return found + [row for row in rows if row.recipient_id is None and _address_is_discreet(row)]


def _members_at_risk(user_ids: set[int]) -> set[int]:
    """Which of these users belong to an organisation at risk (one query)."""
    if not user_ids:
        return set()
    return set(db.session.scalars(
        select(Membership.user_id).distinct()
        .join(Organisation, Organisation.id == Membership.organisation_id)
        .where(Organisation.at_risk.is_(True), Membership.user_id.in_(user_ids))
    ))


def _address_is_discreet(row) -> bool:
    if not row.recipient_email:
        return False
    conditions = []
    holder = get_user_by_email(row.recipient_email)
    if holder is not None:
        conditions.append(Organisation.id.in_(select(Membership.organisation_id)
                                              .where(Membership.user_id == holder.id)))
    organisation_id = (row.context or {}).get("organisation_id")
    if isinstance(organisation_id, int) and not isinstance(organisation_id, bool):
        conditions.append(Organisation.id == organisation_id)
    if not conditions:
        return False
    return bool(db.session.scalar(select(exists().where(Organisation.at_risk.is_(True), or_(*conditions)))))


def register(checks: list) -> None:
    """Add this domain's check to notifications' `discretion_checks` (once, however often it is called)."""
    if discreet_notifications not in checks:
        checks.append(discreet_notifications)
