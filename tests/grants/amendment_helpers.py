"""A grant to amend: report_helpers' grant (budget 8,000.00 equipment + 4,345.00 training, a 40/40/20 schedule,
an interim report due after 90 days, the final after 365), a second admin, and the inputs the pages would send."""

from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.extensions import db as _db
from cade.grants.amendments import ExtensionInput, ReallocationInput, SignatoryInput
from cade.grants.models import AgreementVersion, GrantBudgetLine
from tests.grants.report_helpers import opened_grant  # noqa: F401  (the grant every amendment test starts from)

REASON = "The rainy season delayed the installation."


def lines(grant) -> list[GrantBudgetLine]:
    _db.session.expire_all()
    return list(_db.session.scalars(select(GrantBudgetLine).where(GrantBudgetLine.grant_id == grant.id)
                                    .order_by(GrantBudgetLine.position)))


def amounts(grant) -> list[int]:
    return [line.amount_minor for line in lines(grant)]


def versions(grant) -> list[int]:
    return list(_db.session.scalars(select(AgreementVersion.version).where(AgreementVersion.grant_id == grant.id)
                                    .order_by(AgreementVersion.version)))


def count(verb: str) -> int:
    return _db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == verb))


def reallocation(*moves, reason=REASON) -> ReallocationInput:
    """moves: (from line, to line, "800.00") each."""
    rows = [{"from": getattr(a, "id", a), "to": getattr(b, "id", b), "amount": amount} for a, b, amount in moves]
    return ReallocationInput.from_input({"moves": rows, "reason": reason}, currency="USD")


def extension(days=90, reason=REASON) -> ExtensionInput:
    return ExtensionInput.from_input({"days": days, "reason": reason})


def signatory(name="Fatou Ndiaye", position="Présidente", reason="Amina Diallo has left the organisation.") \
        -> SignatoryInput:
    return SignatoryInput.from_input({"name": name, "position": position, "reason": reason})
