"""Report pages: the organisation's form (save, submit, files), the read-only report, and the admin's review."""

import io

from sqlalchemy import select

from cade.extensions import db as _db
from cade.grants.constants import ReportStatus, TrancheStatus
from cade.grants.models import GrantReport
from cade.grants.tranches import tranches_of
from tests.factories import MembershipFactory, UserFactory
from tests.grants.report_helpers import complete_form, opened_grant
from tests.grants.test_reports import PDF


def url(report) -> str:
    return f"/grants/{report.grant_id}/reports/{report.id}"


def admin_url(report) -> str:
    return f"/admin/grants/{report.grant_id}/reports/{report.id}"


def fresh(report) -> GrantReport:
    _db.session.expire_all()
    return _db.session.get(GrantReport, report.id)


def test_the_grantee_sees_the_form_with_budget_target_and_next_step(db, client, login):
    opened = opened_grant()
    login(opened.owner)
    grant_page = client.get(f"/grants/{opened.grant.id}").get_data(as_text=True)
    assert "Interim report" in grant_page and "Final report" in grant_page
    assert "Next step:" in grant_page and "Its approval unlocks tranche 2 ($4,938.00)." in grant_page
    assert f'href="{url(opened.interim)}"' in grant_page

    page = client.get(url(opened.interim)).get_data(as_text=True)
    line = opened.interim.spend_lines[0]
    assert "Routers and solar panels" in page and "$8,000.00" in page
    assert f'<label for="actual-{line.id}"' in page and f'<label for="explanation-{line.id}"' in page
    assert "s target: 3 networks." in page
    assert "What did the community learn?" in page
    assert 'name="action" value="submit"' in page and '<label for="file">' in page


def test_a_refused_save_shows_each_error_by_its_field_and_keeps_what_was_typed(db, client, login):
    opened = opened_grant()
    report = opened.interim
    line = report.spend_lines[0]
    login(opened.owner)
    response = client.post(url(report), data={"action": "save", "narrative": "Typed with care, not to be lost",
                                              f"actual-{line.id}": "eight thousand",
                                              f"indicator-{opened.people.id}": "-3"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "Typed with care, not to be lost" in page and 'value="eight thousand"' in page and 'value="-3"' in page
    assert f'href="#actual-{line.id}"' in page and f'href="#indicator-{opened.people.id}"' in page
    assert "Enter a number." in page and "Enter zero or more." in page
    assert fresh(report).narrative == ""

    response = client.post(url(report), data={"action": "save", "narrative": "Half written",
                                              f"actual-{line.id}": "7999.50"})
    assert response.status_code == 302
    report = fresh(report)
    assert report.narrative == "Half written" and report.spend_lines[0].actual_minor == 7_999_50
    page = client.get(url(report)).get_data(as_text=True)
    assert "Your report was saved." in page and 'value="7999.5"' in page


def test_a_refused_submission_keeps_the_draft_and_names_both_figures(db, client, login, outbox):
    opened = opened_grant()
    report = opened.interim
    login(opened.owner)
    form = complete_form(opened, report, action="submit", total_spent="12000")
    response = client.post(url(report), data=form)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The spend lines add up to $12,345.00 but the total spent says $12,000.00." in page
    assert 'href="#total_spent"' in page and 'value="12000"' in page
    report = fresh(report)
    assert report.status == ReportStatus.DRAFT and report.narrative == "Three villages are connected."

    response = client.post(url(report), data={**form, "total_spent": "12345"})
    assert response.status_code == 302
    assert fresh(report).status == ReportStatus.SUBMITTED
    page = client.get(url(report)).get_data(as_text=True)
    assert "Your report was submitted." in page and 'name="action"' not in page  # read-only now
    again = client.post(url(report), data={**form, "total_spent": "12345"})  # a double click
    assert again.status_code == 302
    assert "can no longer be changed" in client.get(again.headers["Location"]).get_data(as_text=True)
    assert len(outbox("grants.report_submitted")) == 0  # no admin in this test; nothing sent twice either


def test_a_file_that_is_not_what_it_claims_is_refused_and_nothing_typed_is_lost(db, client, login):
    opened = opened_grant()
    report = opened.interim
    login(opened.owner)
    response = client.post(url(report), content_type="multipart/form-data", data={
        "action": "save", "narrative": "With a fake invoice",
        "file": (io.BytesIO(b"<html><script>alert(1)</script></html>"), "invoice.pdf")})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "by its content" in page and "With a fake invoice" in page and 'href="#file"' in page
    assert fresh(report).attachments == [] and fresh(report).narrative == ""

    response = client.post(url(report), content_type="multipart/form-data", data={
        "action": "save", "narrative": "With the site list", "file": (io.BytesIO(PDF), "sites.pdf")})
    assert response.status_code == 302
    attachment = fresh(report).attachments[0]
    download = client.get(f"{url(report)}/files/{attachment.id}")
    assert download.status_code == 200 and download.data == PDF
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    response = client.post(url(report), data={"action": f"remove_file:{attachment.id}", "narrative": "Kept"})
    assert response.status_code == 302
    assert fresh(report).attachments == [] and fresh(report).narrative == "Kept"


def test_another_organisations_report_and_another_grants_report_are_not_found(db, client, login):
    opened = opened_grant()
    second = opened_grant(organisation=opened.grant.organisation)  # the same organisation's other grant
    stranger = MembershipFactory(user=UserFactory(name="Someone Else")).user
    _db.session.commit()
    login(stranger)
    assert client.get(url(opened.interim)).status_code == 404
    assert client.post(url(opened.interim), data={"narrative": "Not mine"}).status_code == 404
    assert client.get(admin_url(opened.interim)).status_code == 404
    login(opened.owner)
    mismatched = f"/grants/{opened.grant.id}/reports/{second.interim.id}"
    assert client.get(mismatched).status_code == 404
    assert client.post(mismatched, data={"narrative": "Wrong grant"}).status_code == 404
    assert fresh(opened.interim).narrative == "" and fresh(second.interim).narrative == ""


def test_the_admin_approves_and_the_interim_tranche_can_be_paid(db, client, login, admin):
    opened = opened_grant()
    report = opened.interim
    login(opened.owner)
    client.post(url(report), data=complete_form(opened, report, action="submit"))
    login(admin)
    assert client.get(url(report)).headers["Location"].endswith(admin_url(report))
    page = client.get(admin_url(report)).get_data(as_text=True)
    assert "Three villages are connected." in page and "Site visit photos" in page
    assert "Approve the report" in page and "Send the report back" in page

    response = client.post(f"{admin_url(report)}/approve", data={"comments": "Well documented."})
    assert response.status_code == 302
    assert [t.status for t in tranches_of(opened.grant)] == [TrancheStatus.PAYABLE, TrancheStatus.PAYABLE,
                                                             TrancheStatus.DUE]
    again = client.post(f"{admin_url(report)}/changes", data={"comments": "Too late"})
    assert again.status_code == 409 and "already approved" in again.get_data(as_text=True)
    grant_page = client.get(f"/grants/{opened.grant.id}").get_data(as_text=True)
    assert "Interim report submitted" in grant_page and "Interim report approved" in grant_page


def test_changes_requested_need_comments_and_reach_the_grantee(db, client, login, admin):
    opened = opened_grant()
    report = opened.interim
    login(opened.owner)
    client.post(url(report), data=complete_form(opened, report, action="submit"))
    login(admin)
    response = client.post(f"{admin_url(report)}/changes", data={"comments": ""})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert 'href="#changes-comments"' in page and "Say what needs to change" in page
    assert client.post(f"{admin_url(report)}/changes",
                       data={"comments": "Please add the list of sites."}).status_code == 302

    login(opened.owner)
    page = client.get(url(report)).get_data(as_text=True)
    assert "Please add the list of sites." in page and 'value="submit"' in page  # editable again
    grant_page = client.get(f"/grants/{opened.grant.id}").get_data(as_text=True)
    assert "the programme team asked for changes" in grant_page
    assert client.post(url(report), data=complete_form(opened, report, action="submit")).status_code == 302
    assert fresh(report).status == ReportStatus.SUBMITTED


def test_members_may_not_review_their_own_report(db, client, login):
    opened = opened_grant()
    report = opened.interim
    login(opened.owner)
    client.post(url(report), data=complete_form(opened, report, action="submit"))
    assert client.get(admin_url(report)).status_code == 404
    assert client.post(f"{admin_url(report)}/approve", data={}).status_code == 404
    assert _db.session.scalar(select(GrantReport.status).where(GrantReport.id == report.id)) == "submitted"


def test_report_pages_run_a_fixed_number_of_queries_and_are_light(db, client, login, admin):
    from cade.grants.models import Indicator, IndicatorValue, ReportAttachment, SpendLine
    from tests.querycount import count_statements
    from tests.quality.conftest import assert_pages_are_light

    opened = opened_grant()
    report = opened.interim
    login(opened.owner)
    before = [count_statements(lambda: client.get(path))[1] for path in (url(report), f"/grants/{report.grant_id}")]
    for n in range(5):  # more of everything a report holds
        _db.session.add(SpendLine(report_id=report.id, position=10 + n, category="other", description=f"Line {n}",
                                  budget_minor=100_00))
        _db.session.add(ReportAttachment(report_id=report.id, stored_name=f"{n:032x}", original_name=f"f{n}.pdf",
                                         content_type="application/pdf", size=10, sha256="0" * 64))
        indicator = Indicator(programme_id=opened.networks.programme_id, position=10 + n, code=f"extra{n}",
                              label=f"Extra {n}", unit="things")
        _db.session.add(indicator)
        _db.session.flush()
        _db.session.add(IndicatorValue(report_id=report.id, indicator_id=indicator.id, value=n))
    _db.session.commit()
    after = [count_statements(lambda: client.get(path))[1] for path in (url(report), f"/grants/{report.grant_id}")]
    assert after == before
    assert_pages_are_light(client, login, [(opened.owner, [url(report), f"/grants/{report.grant_id}"]),
                                           (admin, [admin_url(report)])], "fr")


def test_a_late_report_is_marked_overdue_and_a_sent_back_one_says_when_to_send_it_again(db, client, login, admin):
    from datetime import date, timedelta

    from cade.core.db import utcnow
    from cade.grants.reports import request_changes

    opened = opened_grant()
    report = opened.interim
    report.due_on = date(2026, 1, 15)
    _db.session.commit()
    login(opened.owner)
    assert "Overdue" in client.get(f"/grants/{opened.grant.id}").get_data(as_text=True)
    assert "Overdue" in client.get(url(report)).get_data(as_text=True)

    client.post(url(report), data=complete_form(opened, report, action="submit"))
    request_changes(admin, report.id, "Add the site list.")
    _db.session.commit()
    page = client.get(url(report)).get_data(as_text=True)
    again_by = utcnow().date() + timedelta(days=14)
    assert "Send it again by" in page and f'datetime="{again_by.isoformat()}"' in page
    assert "Overdue" not in page  # the grantee has fourteen days to fix it, even past the due date
