"""Reading the audit trail in tests: what was recorded about one object."""

from sqlalchemy import select

from cade.core.audit import AuditEvent
from cade.extensions import db


def audit_verbs(obj) -> list[str]:
    """The verbs of the audit events about `obj`, oldest first."""
    return list(db.session.scalars(
        select(AuditEvent.verb).where(AuditEvent.object_type == type(obj).__name__, AuditEvent.object_id == obj.id)
        .order_by(AuditEvent.id)))
