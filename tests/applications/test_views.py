"""Applicant pages, one test per role for each permission rule, and bad input."""

import io
import re

import pytest
from sqlalchemy import event, func, select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application, Attachment
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.programmes.constants import QuestionKind
from tests.applications.files import make_pdf
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    MembershipFactory,
    OrganisationFactory,
    QuestionFactory,
    UserFactory,
)


def reload(application):
    _db.session.expire_all()
    return _db.session.get(Application, application.id)


@pytest.fixture()
def other_member(db):
    return MembershipFactory().user


def edit_data(application, **overrides):
    data = {"title": application.title, "summary": application.summary, "requested_amount": "20000.00",
            "budget_lines-0-category": "equipment", "budget_lines-0-description": "Routers",
            "budget_lines-0-amount": "20000.00", "action": "save"}
    data.update(overrides)
    return data


# --- dashboard and start -------------------------------------------------------

def test_dashboard_lists_only_my_organisations_applications(client, login, draft, member):
    ApplicationFactory(title="Someone else's plan")
    login(member)
    page = client.get("/applications/").get_data(as_text=True)
    assert draft.title in page and "Someone else" not in page
    assert 'class="status status-draft"' in page and "$20,000.00" in page


def test_anonymous_is_sent_to_sign_in(client, draft, call):
    for url in ["/applications/", f"/applications/{draft.id}", f"/applications/{draft.id}/edit",
                f"/calls/{call.id}/apply"]:
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    for url in [f"/applications/{draft.id}/submit", f"/applications/{draft.id}/withdraw"]:
        assert "/auth/login" in client.post(url).headers["Location"]
    assert reload(draft).status == ApplicationStatus.DRAFT


def test_start_shows_eligibility_before_anything_is_written(client, login, member, organisation):
    call = CallFactory(eligible_countries=["UG"])
    login(member)
    page = client.get(f"/calls/{call.id}/apply").get_data(as_text=True)
    assert "Not eligible" in page and "Kenya" in page
    response = client.post(f"/calls/{call.id}/apply", data={"organisation_id": organisation.id})
    assert "Kenya" in response.get_data(as_text=True)
    assert _db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_start_creates_a_draft_and_twice_goes_to_the_same(client, login, member, organisation, call):
    login(member)
    assert "Eligible" in client.get(f"/calls/{call.id}/apply").get_data(as_text=True)
    first = client.post(f"/calls/{call.id}/apply", data={"organisation_id": organisation.id})
    second = client.post(f"/calls/{call.id}/apply", data={"organisation_id": organisation.id})
    assert first.headers["Location"] == second.headers["Location"]
    assert re.search(r"/applications/\d+/edit$", first.headers["Location"])
    assert _db.session.scalar(select(func.count()).select_from(Application)) == 1


def test_the_start_page_of_a_one_organisation_member_names_that_organisation(client, login, member,
                                                                            organisation, call):
    # The hidden field is what a browser posts back: it must carry the organisation's id.
    login(member)
    page = client.get(f"/calls/{call.id}/apply").get_data(as_text=True)
    assert f'<input type="hidden" name="organisation_id" value="{organisation.id}">' in page


def test_start_for_someone_elses_organisation_is_refused(client, login, member, call):
    stranger_org = OrganisationFactory()
    login(member)
    response = client.post(f"/calls/{call.id}/apply", data={"organisation_id": stranger_org.id})
    assert response.status_code == 200  # invalid choice: the form shows again
    assert _db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_start_without_verified_email_explains_what_to_do(client, login, call):
    user = MembershipFactory(user=UserFactory(unverified=True)).user
    login(user)
    response = client.get(f"/calls/{call.id}/apply")
    assert response.status_code == 403 and "confirm your e-mail" in response.get_data(as_text=True)


def test_start_without_organisation_goes_to_create_one(client, login, call):
    login(UserFactory())
    response = client.get(f"/calls/{call.id}/apply")
    assert response.status_code == 302 and response.headers["Location"].endswith("/organisations/new")


def test_start_on_an_unpublished_call_is_404(client, login, member):
    login(member)
    assert client.get(f"/calls/{CallFactory(draft=True).id}/apply").status_code == 404


# --- view / edit per role -------------------------------------------------------

def test_member_edits_and_other_roles_cannot(client, login, draft, member, other_member, admin):
    login(other_member)
    assert client.get(f"/applications/{draft.id}/edit").status_code == 404
    assert client.post(f"/applications/{draft.id}/edit", data=edit_data(draft, title="Hijacked")).status_code == 404
    assert client.get(f"/applications/{draft.id}").status_code == 404
    login(admin)
    assert client.get(f"/applications/{draft.id}").status_code == 200
    assert client.post(f"/applications/{draft.id}/edit", data=edit_data(draft, title="Admin")).status_code == 302
    assert reload(draft).title != "Admin"
    login(member)
    page = client.get(f"/applications/{draft.id}/edit").get_data(as_text=True)
    assert f'data-autosave="/applications/{draft.id}/autosave"' in page and 'class="autosave"' in page
    response = client.post(f"/applications/{draft.id}/edit", data=edit_data(draft, title="New title"))
    assert response.status_code == 302
    assert reload(draft).title == "New title"


def test_server_owned_fields_are_ignored(client, login, draft, member):
    other_org = OrganisationFactory()
    login(member)
    client.post(f"/applications/{draft.id}/edit", data=edit_data(
        draft, status="submitted", organisation_id=other_org.id, reference="CN-2026-9999", call_id=999))
    saved = reload(draft)
    assert saved.status == "draft" and saved.organisation_id == draft.organisation_id
    assert saved.reference is None and saved.call_id == draft.call_id


def test_add_and_remove_budget_lines_save_what_was_typed(client, login, draft, member):
    # More in tests/applications/test_budget_rows.py.
    login(member)
    data = edit_data(draft, title="Typed, then a line added", action="add_line")
    response = client.post(f"/applications/{draft.id}/edit", data=data)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="budget_lines-1-amount"' in page and "Typed, then a line added" in page
    data.update({"budget_lines-1-category": "travel", "budget_lines-1-description": "Bus fares",
                 "budget_lines-1-amount": "12.50", "action": "remove_line:0"})
    response = client.post(f"/applications/{draft.id}/edit", data=data)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bus fares" in page and "Routers" not in page and "Typed, then a line added" in page
    assert [line.description for line in reload(draft).budget_lines] == ["Bus fares"]


def test_shape_errors_are_shown_with_the_input_kept(client, login, draft, member, call):
    number = QuestionFactory(call=call, kind=QuestionKind.NUMBER, word_limit=None)
    login(member)
    response = client.post(f"/applications/{draft.id}/edit", data=edit_data(
        draft, title="Kept title", requested_amount="lots", **{f"q_{number.id}": "many",
                                                               "budget_lines-0-amount": "1.234"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Kept title" in page and 'value="lots"' in page and 'value="many"' in page
    assert 'id="requested_amount-error"' in page and "decimal places" in page
    assert reload(draft).title != "Kept title"


def test_save_and_view_escape_html_in_answers(client, login, draft, member, call):
    question = QuestionFactory(call=call, kind=QuestionKind.LONG_TEXT)
    login(member)
    script = "<script>alert('x')</script>"
    client.post(f"/applications/{draft.id}/edit", data=edit_data(
        draft, title=f"<b>{script}</b>", **{f"q_{question.id}": f"Line one\n{script}"}))
    client.post(f"/applications/{draft.id}/submit")
    page = client.get(f"/applications/{draft.id}").get_data(as_text=True)
    assert script not in page and "&lt;script&gt;" in page
    assert 'class="prose"' in page


def test_autosave_saves_text_fields_and_answers_json(client, login, draft, member, other_member):
    login(member)
    response = client.post(f"/applications/{draft.id}/autosave",
                           data=edit_data(draft, title="Autosaved", requested_amount="1"))
    assert response.status_code == 200 and response.json["saved"] is True
    saved = reload(draft)
    assert saved.title == "Autosaved" and saved.requested_amount_minor == 20_000_00  # text only
    login(other_member)
    assert client.post(f"/applications/{draft.id}/autosave", data={"title": "x"}).status_code == 404


def test_autosave_without_csrf_is_refused(csrf_app, client, login, draft, member):
    login(member)
    response = client.post(f"/applications/{draft.id}/autosave", data={"title": "No token"})
    assert response.status_code == 400
    assert reload(draft).title != "No token"


def test_edit_without_csrf_is_refused(csrf_app, client, login, draft, member):
    login(member)
    assert client.post(f"/applications/{draft.id}/edit", data=edit_data(draft, title="x")).status_code == 400
    assert client.post(f"/applications/{draft.id}/submit").status_code == 400
    assert reload(draft).status == "draft"


# --- submit -----------------------------------------------------------------------

def test_member_submits_and_a_second_click_is_harmless(client, login, draft, member):
    login(member)
    first = client.post(f"/applications/{draft.id}/submit", follow_redirects=True)
    assert "CN-2026-0001" in first.get_data(as_text=True)
    second = client.post(f"/applications/{draft.id}/submit", data=edit_data(draft, title="Again"))
    assert second.status_code == 302 and second.headers["Location"].endswith(f"/applications/{draft.id}")
    follow = client.get(second.headers["Location"]).get_data(as_text=True)
    assert "already been submitted" in follow
    saved = reload(draft)
    assert saved.reference == "CN-2026-0001" and saved.title != "Again"
    assert _db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_submit_saves_what_was_typed_first(client, login, draft, member):
    login(member)
    client.post(f"/applications/{draft.id}/submit", data=edit_data(draft, title="Final title"))
    saved = reload(draft)
    assert saved.status == "submitted" and saved.title == "Final title"


def test_incomplete_submission_shows_errors_by_field(client, login, draft, member, call):
    # More in tests/applications/test_refused_submit.py.
    question = QuestionFactory(call=call, kind=QuestionKind.SHORT_TEXT, label="Where?")
    login(member)
    response = client.post(f"/applications/{draft.id}/submit", follow_redirects=True)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.request.path == f"/applications/{draft.id}/edit"
    assert f'id="q_{question.id}-error"' in page and "Answer this question" in page
    assert reload(draft).status == "draft"


def test_submit_refused_to_others(client, login, draft, other_member, admin):
    login(other_member)
    assert client.post(f"/applications/{draft.id}/submit").status_code == 404
    login(admin)
    assert client.post(f"/applications/{draft.id}/submit").status_code == 403
    assert reload(draft).status == "draft"


def test_late_submission_shows_the_deadline_in_the_call_zone(client, login, member, organisation):
    from tests.factories import BudgetLineFactory

    call = CallFactory(closed=True, timezone="America/Lima")
    application = ApplicationFactory(call=call, organisation=organisation)
    BudgetLineFactory(application=application)
    login(member)
    page = client.post(f"/applications/{application.id}/submit", follow_redirects=True).get_data(as_text=True)
    assert "America/Lima" in page and "deadline" in page
    assert reload(application).status == "draft"


# --- withdraw ------------------------------------------------------------------

def test_withdraw_by_role(client, login, draft, member, other_member, admin):
    login(other_member)
    assert client.post(f"/applications/{draft.id}/withdraw").status_code == 404
    login(admin)
    assert client.post(f"/applications/{draft.id}/withdraw").status_code == 403
    assert reload(draft).status == "draft"
    login(member)
    assert client.post(f"/applications/{draft.id}/withdraw").status_code == 302
    assert reload(draft).status == "withdrawn"


@pytest.mark.parametrize("status, offered", [
    (ApplicationStatus.DRAFT, True), (ApplicationStatus.SUBMITTED, True), (ApplicationStatus.UNDER_REVIEW, False),
    (ApplicationStatus.AWARDED, False), (ApplicationStatus.WITHDRAWN, False),
])
def test_the_withdraw_button_is_offered_exactly_when_withdrawal_is_allowed(client, login, member, organisation,
                                                                            call, status, offered):
    application = ApplicationFactory(call=call, organisation=organisation, status=status)
    login(member)
    page = client.get(f"/applications/{application.id}", follow_redirects=True).get_data(as_text=True)
    assert (f"/applications/{application.id}/withdraw" in page) is offered


def test_withdrawing_once_review_started_shows_why_and_changes_nothing(client, login, member, organisation, call):
    application = ApplicationFactory(call=call, organisation=organisation, under_review=True)
    login(member)
    page = client.post(f"/applications/{application.id}/withdraw", follow_redirects=True).get_data(as_text=True)
    assert "can no longer be withdrawn" in page
    assert reload(application).status == ApplicationStatus.UNDER_REVIEW


# --- attachments -----------------------------------------------------------------

def upload(client, application, data, name, **extra):
    form = edit_data(application, **extra)
    form["file"] = (io.BytesIO(data), name)
    return client.post(f"/applications/{application.id}/edit", data=form, content_type="multipart/form-data")


def test_upload_and_download_by_role(client, login, draft, member, other_member, admin):
    login(member)
    upload(client, draft, make_pdf(), "<img src=x onerror=alert(1)>plan.pdf")
    attachment = _db.session.scalars(select(Attachment)).one()
    page = client.get(f"/applications/{draft.id}/edit").get_data(as_text=True)
    assert "&lt;img src=x onerror=alert(1)&gt;plan.pdf" in page and "<img src=x" not in page
    url = f"/applications/{draft.id}/attachments/{attachment.id}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == make_pdf()
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert 'filename="_img src=x onerror=alert(1)_plan.pdf"' in response.headers["Content-Disposition"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    login(admin)
    assert client.get(url).status_code == 200
    login(other_member)
    assert client.get(url).status_code == 404
    other = ApplicationFactory(organisation=_db.session.get(Application, draft.id).organisation)
    login(member)
    assert client.get(f"/applications/{other.id}/attachments/{attachment.id}").status_code == 404


def test_rejected_upload_keeps_the_typed_text(client, login, draft, member):
    login(member)
    response = upload(client, draft, b"MZ\x90\x00" + b"\x00" * 100, "invoice.pdf", title="Saved anyway")
    assert response.status_code == 302
    assert "not attached" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert reload(draft).title == "Saved anyway"
    assert _db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_upload_over_the_request_limit_gets_the_413_page_and_the_draft_survives(app, client, login, draft,
                                                                                  member, monkeypatch):
    login(member)
    client.post(f"/applications/{draft.id}/edit", data=edit_data(draft, title="Saved before"))
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    response = upload(client, draft, make_pdf() + b"%" * 4096, "big.pdf", title="Lost with the request")
    assert response.status_code == 413
    assert "too large" in response.get_data(as_text=True)
    assert reload(draft).title == "Saved before"


def test_delete_attachment_by_role(client, login, draft, member, other_member):
    login(member)
    upload(client, draft, make_pdf(), "plan.pdf")
    attachment = _db.session.scalars(select(Attachment)).one()
    url = f"/applications/{draft.id}/attachments/{attachment.id}/delete"
    login(other_member)
    assert client.post(url).status_code == 404
    login(member)
    assert client.post(url).status_code == 302
    assert _db.session.scalar(select(func.count()).select_from(Attachment)) == 0


def test_the_application_page_loads_its_call_and_organisation_with_it(client, login, draft, member):
    draft.status, draft.reference = ApplicationStatus.SUBMITTED, "CN-2026-0001"
    _db.session.commit()
    login(member)
    member.id  # noqa: B018  (load the expired user first: only the page's own statements count)
    statements = []

    def record(conn, cursor, statement, *args):
        statements.append(statement.lstrip())

    event.listen(_db.engine, "before_cursor_execute", record)
    try:
        response = client.get(f"/applications/{draft.id}")
    finally:
        event.remove(_db.engine, "before_cursor_execute", record)
    assert response.status_code == 200 and "CN-2026-0001" in response.get_data(as_text=True)
    # One statement for the application, its call (and programme), organisation and assisted entry, not one each.
    loads = [table for table in ("applications", "calls", "programmes", "organisations", "assisted_entries")
             if any(statement.startswith(f"SELECT {table}.id") for statement in statements)]
    assert loads == ["applications"]
