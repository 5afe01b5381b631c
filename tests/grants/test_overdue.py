"""Which reports are overdue: a draft past its due date; a report sent back and not resubmitted in time."""

from datetime import date, timedelta

import pytest

from cade.extensions import db as _db
from cade.grants.constants import REPORT_RESUBMIT_DAYS, GrantStatus, ReportStatus
from cade.grants.models import GrantReport
from cade.grants.overdue import (deadline_of, is_overdue, overdue_grant_ids, overdue_reports,
                                 overdue_reports_of_organisation)
from tests.grants.lifecycle_helpers import opened_grant, report, sent_back_on
from tests.querycount import count_statements

DUE = date(2027, 6, 30)


def overdue_ids(today):
    return [r.id for r in overdue_reports(today)]


def test_a_draft_is_overdue_the_day_after_its_due_date(db):
    grant, _owner = opened_grant()
    final = report(grant, due_on=DUE)
    assert overdue_ids(DUE - timedelta(days=1)) == []
    assert overdue_ids(DUE) == []  # the due day itself is still in time
    assert overdue_ids(DUE + timedelta(days=1)) == [final.id]
    assert is_overdue(final, DUE + timedelta(days=1)) and not is_overdue(final, DUE)


@pytest.mark.parametrize("status", [ReportStatus.SUBMITTED, ReportStatus.APPROVED])
def test_a_report_handed_in_is_never_overdue(db, status):
    grant, _owner = opened_grant()
    handed_in = report(grant, due_on=DUE, status=status, reviewed_at=sent_back_on(DUE - timedelta(days=40)))
    assert overdue_ids(DUE + timedelta(days=400)) == []
    assert not is_overdue(handed_in, DUE + timedelta(days=400))


def test_a_report_sent_back_after_its_due_date_gets_the_resubmission_time(db):
    grant, _owner = opened_grant()
    sent_back = DUE + timedelta(days=10)
    changes = report(grant, due_on=DUE, status=ReportStatus.CHANGES_REQUESTED, reviewed_at=sent_back_on(sent_back))
    last_day = sent_back + timedelta(days=REPORT_RESUBMIT_DAYS)
    assert deadline_of(changes) == last_day
    assert overdue_ids(last_day) == []
    assert overdue_ids(last_day + timedelta(days=1)) == [changes.id]
    assert not is_overdue(changes, last_day) and is_overdue(changes, last_day + timedelta(days=1))


def test_a_report_sent_back_early_is_overdue_only_after_its_due_date(db):
    grant, _owner = opened_grant()
    changes = report(grant, due_on=DUE, status=ReportStatus.CHANGES_REQUESTED,
                     reviewed_at=sent_back_on(DUE - timedelta(days=60)))
    assert deadline_of(changes) == DUE
    assert overdue_ids(DUE) == []
    assert overdue_ids(DUE + timedelta(days=1)) == [changes.id]


def test_nothing_of_a_closed_grant_is_overdue(db):
    grant, _owner = opened_grant()
    final = report(grant, due_on=DUE)
    grant.status = GrantStatus.CLOSED
    _db.session.commit()
    assert overdue_ids(DUE + timedelta(days=1)) == []
    assert not is_overdue(final, DUE + timedelta(days=1))


def test_an_organisations_overdue_reports_are_its_own_and_the_grant_ids_are_listed_once(db):
    mine, _owner = opened_grant()
    theirs, _other = opened_grant()
    report(mine, "interim", due_on=DUE - timedelta(days=30))
    report(mine, "final", due_on=DUE)
    report(theirs, "final", due_on=DUE + timedelta(days=30))
    later = DUE + timedelta(days=1)
    assert [(r.grant_id, r.kind) for r in overdue_reports_of_organisation(mine.organisation_id, later)] == [
        (mine.id, "interim"), (mine.id, "final")]
    assert overdue_reports_of_organisation(theirs.organisation_id, later) == []
    assert overdue_grant_ids(later) == {mine.id}
    assert overdue_grant_ids(DUE + timedelta(days=31)) == {mine.id, theirs.id}


def test_the_questions_run_a_fixed_number_of_queries(db):
    for _ in range(3):
        grant, _owner = opened_grant()
        report(grant, "interim", due_on=DUE - timedelta(days=30))
        report(grant, "final", due_on=DUE)
    _db.session.expire_all()
    later = DUE + timedelta(days=1)
    found, statements = count_statements(lambda: [r.grant.status for r in overdue_reports(later)])
    assert len(found) == 6 and statements == 1
    organisation_id = _db.session.scalars(_db.select(GrantReport)).first().grant.organisation_id
    _db.session.expire_all()
    found, statements = count_statements(
        lambda: [r.grant.call.title for r in overdue_reports_of_organisation(organisation_id, later)])
    assert len(found) == 2 and statements == 1
    _ids, statements = count_statements(lambda: overdue_grant_ids(later))
    assert statements == 1
