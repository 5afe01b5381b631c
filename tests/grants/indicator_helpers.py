"""Grants, reports and indicator values made directly (no agreement PDF), for the indicator and summary tests."""

from datetime import date, datetime, timezone
from decimal import Decimal

from cade.applications.snapshots import snapshot_applicant
from cade.awards.constants import DecisionStatus
from cade.extensions import db
from cade.grants.constants import ReportKind, ReportStatus, TrancheCondition, TrancheStatus
from cade.grants.models import Grant, GrantReport, Indicator, IndicatorValue, Tranche
from tests.factories import ApplicationFactory, DecisionFactory, OrganisationFactory


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=12, tzinfo=timezone.utc)


def grant_in(call, *, organisation=None, amount=10_000_00, submitted="2026-01-10", **org) -> Grant:
    """An accepted award of `amount` in `call` (submitted on `submitted`) and the grant it opened."""
    organisation = organisation or OrganisationFactory(**org)
    application = ApplicationFactory(organisation=organisation, call=call, under_review=True,
                                     submitted_at=at(submitted))
    snapshot_applicant(application)
    decision = DecisionFactory(application=application, amount_minor=amount, released_at=at(submitted),
                               status=DecisionStatus.ACCEPTED)
    grant = Grant(decision_id=decision.id, organisation_id=organisation.id, call_id=call.id, amount_minor=amount,
                  currency=decision.currency, agreement_stored_name=f"agreement-{decision.id}.pdf",
                  agreement_size=1, agreement_sha256="0" * 64, agreement_language="en")
    db.session.add(grant)
    db.session.flush()
    return grant


def indicator(programme, code: str, label: str | None = None, unit: str = "people", position: int = 0,
              **kwargs) -> Indicator:
    found = Indicator(programme_id=programme.id, code=code, label=label or code.replace("-", " ").capitalize(),
                      unit=unit, position=position, **kwargs)
    db.session.add(found)
    db.session.flush()
    return found


def report(grant, kind=ReportKind.INTERIM, *, status=ReportStatus.APPROVED, reviewed="2026-06-01",
           values: dict | None = None) -> GrantReport:
    """A report of `grant` in `status` (reviewed on `reviewed`) with `values` {indicator: number}."""
    found = GrantReport(grant_id=grant.id, kind=kind, due_on=date(2026, 6, 1), status=status,
                        reviewed_at=at(reviewed) if reviewed else None)
    db.session.add(found)
    db.session.flush()
    for item, value in (values or {}).items():
        db.session.add(IndicatorValue(report_id=found.id, indicator_id=item.id, value=Decimal(str(value))))
    db.session.flush()
    return found


def tranche(grant, position: int, amount: int, *, paid_on: str | None = None) -> Tranche:
    found = Tranche(grant_id=grant.id, position=position, amount_minor=amount, currency=grant.currency,
                    condition=TrancheCondition.ON_SIGNATURE, due_on=date(2026, 1, 1),
                    status=TrancheStatus.PAID if paid_on else TrancheStatus.PAYABLE,
                    paid_on=date.fromisoformat(paid_on) if paid_on else None,
                    payment_reference="WIRE" if paid_on else None)
    db.session.add(found)
    db.session.flush()
    return found
