"""Which e-mail recipients stay discreet: the people of organisations at risk (cade/notifications/discretion.py).

Registered on notifications' `discretion_checks` from cade/wiring.py
(`register`), as notifications may not import this domain.
"""

from sqlalchemy import exists, or_, select

from cade.accounts.services import get_user_by_email
from cade.extensions import db
from cade.organisations.models import Membership, Organisation


def is_discreet_notification(row) -> bool:
    """Whether an outbox row goes to someone an organisation at risk would not want seen receiving it.

    True when its recipient is a member of an organisation at risk: the account
    it is addressed to, or, for an e-mail sent to an address only (an
    invitation, a traveller's), the account that holds that address; and, for
    such an address, when the e-mail is about an organisation at risk
    (`organisation_id` in its context: an invitation to join it). An account's
    e-mail about an organisation it does not belong to (an administrator's
    about a document to check) keeps its subject: its reader is not at risk.
    One query, two for an address.
    """
    conditions = []
    user_id = row.recipient_id
    if user_id is None and row.recipient_email:
        holder = get_user_by_email(row.recipient_email)
        user_id = holder.id if holder is not None else None
        organisation_id = (row.context or {}).get("organisation_id")
        if isinstance(organisation_id, int) and not isinstance(organisation_id, bool):
            conditions.append(Organisation.id == organisation_id)
    if user_id is not None:
        conditions.append(Organisation.id.in_(select(Membership.organisation_id).where(Membership.user_id == user_id)))
    if not conditions:
        return False
    return bool(db.session.scalar(select(exists().where(Organisation.at_risk.is_(True), or_(*conditions)))))


def register(checks: list) -> None:
    """Add this domain's check to notifications' `discretion_checks` (once, however often it is called)."""
    if is_discreet_notification not in checks:
        checks.append(is_discreet_notification)
