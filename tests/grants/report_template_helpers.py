"""A grant of a call and a report of it using a template's questions: what freezes a report template."""

from datetime import date

from sqlalchemy import select

from cade.extensions import db
from cade.grants.constants import ReportStatus
from cade.grants.models import GrantReport
from cade.grants.services import open_grant
from tests.grants.helpers import accepted_decision


def grant_and_call():
    """An opened grant and its call (the call of an accepted award)."""
    decision, _owner = accepted_decision()
    grant = open_grant(decision)
    db.session.commit()
    return grant, grant.call


def report_using(grant, template, status=ReportStatus.DRAFT) -> GrantReport:
    """The grant's report of the template's kind, asking the template's questions, in `status`."""
    report = db.session.scalar(select(GrantReport).where(GrantReport.grant_id == grant.id,
                                                         GrantReport.kind == template.kind))
    if report is None:  # reports may or may not be made when the grant opens: either way there is one now
        report = GrantReport(grant_id=grant.id, kind=template.kind, due_on=date(2027, 5, 19))
        db.session.add(report)
    report.questionnaire_id = template.questionnaire_id
    report.status = status
    db.session.commit()
    return report
