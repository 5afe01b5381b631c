"""An organisation with an overdue report from an earlier grant cannot submit a new application (issue 11, item 6)."""

import html
from datetime import timedelta
from urllib.parse import urlsplit

from flask_babel import force_locale

from cade.applications.eligibility import assess_eligibility, check_eligibility
from cade.core.db import utcnow
from cade.core.rules import registered_rules
from cade.extensions import db as _db
from cade.grants.constants import ReportStatus
from cade.grants.eligibility import OverdueReportRule, report_link
from cade.applications.models import Application
from tests.factories import ApplicationFactory, BudgetLineFactory, CallFactory, OrganisationFactory
from tests.grants.lifecycle_helpers import opened_grant, report

START = "Start my application"


def overdue_grant(days_late=3, **kwargs):
    """An open grant whose final report, due `days_late` days ago, is still a draft; (grant, report, owner)."""
    grant, owner = opened_grant(**kwargs)
    final = report(grant, due_on=utcnow().date() - timedelta(days=days_late))
    return grant, final, owner


def long_date(day, locale="en"):
    from babel.dates import format_date

    return format_date(day, "long", locale=locale)


def test_the_rule_is_registered_through_the_registry(db):
    assert isinstance(registered_rules().get("no_overdue_report"), OverdueReportRule)


def test_an_overdue_report_blocks_and_names_the_report_its_call_and_due_date(db):
    grant, final, _owner = overdue_grant()
    reasons = check_eligibility(CallFactory(), grant.organisation)
    assert len(reasons) == 1
    assert "Final report" in reasons[0] and f"“{grant.call.title}”" in reasons[0]
    assert long_date(final.due_on) in reasons[0]


def test_the_due_date_is_written_in_the_readers_language(db, app):
    grant, final, _owner = overdue_grant()
    with app.test_request_context(), force_locale("fr"):
        [reason] = check_eligibility(CallFactory(), grant.organisation)
    assert long_date(final.due_on, "fr") in reason and long_date(final.due_on, "en") not in reason


def test_a_report_not_yet_late_or_handed_in_does_not_block(db):
    grant, final, _owner = overdue_grant(days_late=0)  # due today: still in time
    call = CallFactory()
    assert check_eligibility(call, grant.organisation) == []
    report(grant, due_on=utcnow().date() - timedelta(days=30), status=ReportStatus.SUBMITTED)
    assert check_eligibility(call, grant.organisation) == []
    report(grant, due_on=utcnow().date() - timedelta(days=30), status=ReportStatus.DRAFT)
    assert check_eligibility(call, grant.organisation)


def test_another_organisations_overdue_report_does_not_block_mine(db):
    overdue_grant()
    assert check_eligibility(CallFactory(), OrganisationFactory()) == []


def test_the_remedy_links_the_report(db):
    grant, final, _owner = overdue_grant()
    result = assess_eligibility(CallFactory(), grant.organisation)
    [finding] = result.blocking
    [remedy] = finding.remedies
    assert (remedy.endpoint, dict(remedy.values)) == ("grants.report", {"grant_id": grant.id, "report_id": final.id})
    assert report_link(final) == ("grants.report", {"grant_id": grant.id, "report_id": final.id})


def test_the_apply_page_says_which_report_and_its_due_date_and_offers_no_start(client, login, db):
    grant, final, owner = overdue_grant()
    call = CallFactory()
    login(owner)
    response = client.get(f"/calls/{call.id}/apply")
    page = html.unescape(response.get_data(as_text=True))
    assert response.status_code == 200
    assert START not in page
    assert "Final report" in page and f"“{grant.call.title}”" in page and long_date(final.due_on) in page
    assert f'href="/grants/{grant.id}/reports/{final.id}"' in page
    # Once the report is submitted, the organisation may start again.
    report(grant, due_on=final.due_on, status=ReportStatus.SUBMITTED)
    assert START in client.get(f"/calls/{call.id}/apply").get_data(as_text=True)


def test_submitting_a_draft_is_refused_while_a_report_is_overdue_and_the_draft_is_kept(client, login, db):
    grant, final, owner = overdue_grant()
    call = CallFactory(min_award_minor=1_000_00, max_award_minor=40_000_00)
    draft = ApplicationFactory(call=call, organisation=grant.organisation, created_by=owner,
                               requested_amount_minor=20_000_00, title="Second phase of the mesh")
    BudgetLineFactory(application=draft, amount_minor=20_000_00)
    login(owner)
    response = client.post(f"/applications/{draft.id}/submit")
    assert response.status_code in (302, 303)
    assert urlsplit(response.headers["Location"]).path == f"/applications/{draft.id}/edit"
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Final report" in page and long_date(final.due_on) in page
    kept = _db.session.get(Application, draft.id)
    assert kept.status == "draft" and kept.reference is None and kept.title == "Second phase of the mesh"
    # Submitted report: the same draft goes through.
    report(grant, due_on=final.due_on, status=ReportStatus.SUBMITTED)
    client.post(f"/applications/{draft.id}/submit")
    _db.session.expire_all()
    assert _db.session.get(Application, draft.id).status == "submitted"


def test_the_call_page_states_the_condition_and_the_call_form_shows_it_always_applies(client, db, app):
    call = CallFactory()
    page = html.unescape(client.get(f"/calls/{call.id}").get_data(as_text=True))
    assert "The organisation has no overdue report from an earlier grant." in page
    with app.test_request_context():
        from cade.programmes.forms import call_form

        form = call_form("EUR", meta={"csrf": False})
        rendered = str(form.no_overdue_report())
    assert "disabled" in rendered and "checked" in rendered


def test_saving_a_call_sets_nothing_for_the_rule(db):
    from cade.programmes.services.calls import CallInput

    rule = registered_rules().get("no_overdue_report")
    assert rule.columns == () and rule.settings(rule.cleaner.clean("n", None)) == {}
    from tests.programmes.test_services import call_data

    command = CallInput.from_input({**call_data(), "no_overdue_report": "n"}, currency="USD")
    assert "no_overdue_report" not in command.columns()
