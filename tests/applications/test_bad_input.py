"""Bad input from a tired applicant or an attacker: a clear error, a 4xx, and nothing lost."""

import io
from datetime import timedelta

import pytest
import time_machine
from sqlalchemy import event, func, select

from cade.applications import services
from cade.applications.constants import MAX_BUDGET_LINES
from cade.applications.models import Application, Attachment
from cade.core.db import utcnow
from cade.core.errors import DeadlinePassed, ValidationFailed
from cade.extensions import db as _db
from cade.programmes.constants import QuestionKind
from tests.applications.files import make_pdf
from tests.applications.test_views import edit_data, reload, upload
from tests.factories import ApplicationFactory, BudgetLineFactory, CallFactory, QuestionFactory


# --- numbers and amounts --------------------------------------------------------------

@pytest.mark.parametrize("typed, message", [
    ("Infinity", "Enter a number"), ("-Infinity", "Enter a number"), ("NaN", "Enter a number"),
    ("sNaN", "Enter a number"), ("1e309", "too large"), ("99999999999999999999999", "too large"),
    ("1e999999999", "too large"),
])
def test_impossible_amounts_get_a_clear_error_and_change_nothing(client, login, draft, member, call,
                                                                typed, message):
    number = QuestionFactory(call=call, kind=QuestionKind.NUMBER, word_limit=None)
    login(member)
    for field in ["requested_amount", "budget_lines-0-amount", f"q_{number.id}"]:
        response = client.post(f"/applications/{draft.id}/edit",
                               data=edit_data(draft, title="Not saved", **{field: typed}))
        assert response.status_code == 422, field
        page = response.get_data(as_text=True)
        assert message in page and f'value="{typed}"' in page
    saved = reload(draft)
    assert saved.title != "Not saved" and saved.requested_amount_minor == 20_000_00 and not saved.answers


def test_a_french_applicant_types_amounts_the_french_way(client, login, draft, member):
    member.locale = "fr"
    _db.session.commit()
    login(member)
    response = client.post(f"/applications/{draft.id}/edit", data=edit_data(
        draft, requested_amount="20 000,50", **{"budget_lines-0-amount": "20\u202f000,50"}))
    assert response.status_code == 302
    saved = reload(draft)
    assert saved.requested_amount_minor == 20_000_50
    assert [line.amount_minor for line in saved.budget_lines] == [20_000_50]


def test_grouped_amounts_are_read_in_the_readers_language_only(client, login, draft, member):
    login(member)  # English
    assert client.post(f"/applications/{draft.id}/edit",
                       data=edit_data(draft, requested_amount="20,000.50")).status_code == 302
    assert reload(draft).requested_amount_minor == 20_000_50
    # In English a comma groups thousands: "20 000,50" is not a number one can be sure of.
    response = client.post(f"/applications/{draft.id}/edit", data=edit_data(draft, requested_amount="20 000,50"))
    assert response.status_code == 422 and "Enter a number" in response.get_data(as_text=True)
    assert reload(draft).requested_amount_minor == 20_000_50


def test_number_answers_are_refused_rather_than_rounded_or_overflowed(draft, member, call):
    from decimal import Decimal

    question = QuestionFactory(call=call, kind=QuestionKind.NUMBER, word_limit=None)
    for value, message in [(Decimal("1.23456"), "decimal places"), (Decimal("1e14"), "too large"),
                           (Decimal("Infinity"), "Enter a number"), (True, "Enter a number")]:
        with pytest.raises(ValidationFailed) as info:
            services.save_draft(member, draft.id, services.DraftInput.from_input({"answers": {question.id: value}}, currency="USD"))
        assert message in str(info.value.errors[f"q_{question.id}"][0])
        _db.session.rollback()
    services.save_draft(member, draft.id, services.DraftInput.from_input({"answers": {question.id: Decimal("-12.3456")}}, currency="USD"))
    assert draft.answers[0].number == Decimal("-12.3456")


def test_amounts_beyond_any_grant_are_refused_before_the_service(draft, member):
    for amount in ["10000000000000.01", 2**70, True, "NaN"]:
        with pytest.raises(ValidationFailed) as info:
            services.save_draft(member, draft.id, services.DraftInput.from_input(
                {"requested_amount": amount, "budget_lines": [{"category": "other", "description": "x",
                                                               "amount": amount}]}, currency="USD"))
        assert set(info.value.errors) == {"requested_amount", "budget_lines-0-amount"}
        _db.session.rollback()


# --- budget lines ---------------------------------------------------------------------

def lines_data(application, count):
    data = edit_data(application)
    for index in range(count):
        data.update({f"budget_lines-{index}-category": "other", f"budget_lines-{index}-description": f"Item {index}",
                     f"budget_lines-{index}-amount": "1"})
    return data


def test_hundreds_of_budget_lines_are_refused_with_a_clear_error(client, login, draft, member):
    login(member)
    response = client.post(f"/applications/{draft.id}/edit", data=lines_data(draft, 600))
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and f"at most {MAX_BUDGET_LINES} budget lines" in page
    assert len(reload(draft).budget_lines) == 1
    assert client.post(f"/applications/{draft.id}/edit",
                       data=lines_data(draft, MAX_BUDGET_LINES)).status_code == 302
    assert len(reload(draft).budget_lines) == MAX_BUDGET_LINES


@pytest.mark.parametrize("data", [
    {"action": "remove_line:" + "9" * 5000}, {"action": "remove_line:\u00b2"}, {"action": "remove_line:-1"},
    {"budget_lines-\u00b2-amount": "5"}, {"budget_lines-" + "9" * 5000 + "-amount": "5"},
    {"attach_to": "\u00b2"},
])
def test_row_numbers_no_browser_sends_are_harmless(client, login, draft, member, data):
    login(member)
    response = client.post(f"/applications/{draft.id}/edit", data=edit_data(draft) | data)
    assert response.status_code in (200, 302, 303, 422)
    assert [line.description for line in reload(draft).budget_lines] == ["Routers"] or response.status_code not in (302, 303)


# --- autosave ---------------------------------------------------------------------------

def test_autosave_of_some_fields_leaves_the_others_alone(client, login, draft, member, call):
    question = QuestionFactory(call=call, kind=QuestionKind.LONG_TEXT, word_limit=None)
    login(member)
    client.post(f"/applications/{draft.id}/edit",
                data=edit_data(draft, summary="My summary", **{f"q_{question.id}": "My answer"}))
    response = client.post(f"/applications/{draft.id}/autosave", data={"title": "Only the title"})
    assert response.status_code == 200 and response.json["saved"] is True
    saved = reload(draft)
    assert saved.title == "Only the title" and saved.summary == "My summary"
    assert [answer.text for answer in saved.answers] == ["My answer"]
    assert saved.requested_amount_minor == 20_000_00 and len(saved.budget_lines) == 1


def test_autosave_answers_json_to_the_signed_out_and_to_non_members(client, login, draft, member, admin):
    response = client.post(f"/applications/{draft.id}/autosave", data={"title": "Lost?"})
    assert response.status_code == 401 and response.json["saved"] is False and "sign in" in response.json["error"]
    login(admin)
    response = client.post(f"/applications/{draft.id}/autosave", data={"title": "Admin"})
    assert response.status_code == 403 and response.json["saved"] is False
    login(member)
    response = client.post(f"/applications/{draft.id + 1000}/autosave", data={"title": "x"})
    assert response.status_code == 404 and set(response.json) == {"saved", "error"}
    assert reload(draft).title not in ("Lost?", "Admin")


def test_autosave_and_submit_ignore_server_owned_fields(client, login, draft, member):
    login(member)
    owned = {"status": "awarded", "organisation_id": "999", "reference": "X-1", "call_id": "999",
             "created_by_id": "999", "submitted_at": "2020-01-01", "requested_amount_minor": "1"}
    client.post(f"/applications/{draft.id}/autosave", data=edit_data(draft, title="Autosaved") | owned)
    saved = reload(draft)
    assert (saved.title, saved.status, saved.reference, saved.requested_amount_minor) == (
        "Autosaved", "draft", None, 20_000_00)
    client.post(f"/applications/{draft.id}/submit", data=edit_data(draft) | owned)
    saved = reload(draft)
    assert saved.status == "submitted" and saved.reference == "CN-2026-0001"
    assert saved.organisation_id == draft.organisation_id and saved.call_id == draft.call_id
    assert saved.created_by_id == member.id and saved.submitted_at.year != 2020


# --- the file chosen on the edit page is never dropped ------------------------------------

def test_a_file_chosen_before_pressing_submit_is_attached_then_submitted(client, login, draft, member):
    login(member)
    form = edit_data(draft)
    form["file"] = (io.BytesIO(make_pdf()), "plan.pdf")
    response = client.post(f"/applications/{draft.id}/submit", data=form, content_type="multipart/form-data")
    assert response.status_code == 302
    saved = reload(draft)
    assert saved.status == "submitted" and [a.original_name for a in saved.attachments] == ["plan.pdf"]


def test_a_refused_file_stops_the_submission_and_says_why(client, login, draft, member):
    login(member)
    form = edit_data(draft, title="Typed before submitting")
    form["file"] = (io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100), "plan.pdf")
    response = client.post(f"/applications/{draft.id}/submit", data=form, content_type="multipart/form-data")
    assert response.headers["Location"].endswith(f"/applications/{draft.id}/edit")
    assert "not attached" in client.get(response.headers["Location"]).get_data(as_text=True)
    saved = reload(draft)
    assert saved.status == "draft" and saved.title == "Typed before submitting" and not saved.attachments


def test_removing_a_file_keeps_what_was_typed(client, login, draft, member):
    login(member)
    upload(client, draft, make_pdf(), "plan.pdf")
    attachment = _db.session.scalars(select(Attachment)).one()
    response = client.post(f"/applications/{draft.id}/attachments/{attachment.id}/delete",
                           data=edit_data(draft, title="Typed, then a file removed"))
    assert response.status_code == 302
    saved = reload(draft)
    assert saved.title == "Typed, then a file removed" and not saved.attachments


# --- downloads --------------------------------------------------------------------------

def test_a_unicode_file_name_survives_the_download(client, login, draft, member):
    login(member)
    upload(client, draft, make_pdf(), "Propuesta año 2026 – خطة.pdf")
    attachment = _db.session.scalars(select(Attachment)).one()
    response = client.get(f"/applications/{draft.id}/attachments/{attachment.id}")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Propuesta%20a%C3%B1o%202026%20%E2%80%93%20%D8%AE%D8%B7%D8%A9.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_polyglot_is_saved_under_the_extension_of_what_it_was_recognised_as(client, login, draft, member):
    polyglot = make_pdf() + b"<html><script>alert(document.cookie)</script></html>"
    login(member)
    upload(client, draft, polyglot, "page.html")
    attachment = _db.session.scalars(select(Attachment)).one()
    response = client.get(f"/applications/{draft.id}/attachments/{attachment.id}")
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"] in ('attachment; filename=page.html.pdf',
                                                       'attachment; filename="page.html.pdf"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- the deadline ---------------------------------------------------------------------------

def test_after_the_deadline_the_draft_can_still_be_saved_but_not_submitted(member, organisation):
    """Decided: the draft is the organisation's own work, so it stays editable and is never
    lost; only submitting is refused, naming the deadline in the call's time zone."""
    call = CallFactory(closed=True, timezone="Pacific/Fiji")
    application = ApplicationFactory(call=call, organisation=organisation, requested_amount_minor=20_000_00)
    BudgetLineFactory(application=application, amount_minor=20_000_00)
    services.save_draft(member, application.id, services.DraftInput(title="Finished too late"))
    services.add_attachment(member, application.id, io.BytesIO(make_pdf()), "late.pdf")
    _db.session.commit()
    with pytest.raises(DeadlinePassed, match="Pacific/Fiji"):
        services.submit_application(member, application.id)
    _db.session.rollback()
    kept = _db.session.get(Application, application.id)
    assert kept.status == "draft" and kept.title == "Finished too late" and len(kept.attachments) == 1


def test_a_submission_is_timed_when_it_is_checked_even_if_it_commits_after_the_deadline(member, organisation):
    """A request that reaches the check a second before the deadline, then waits two minutes for the row lock
    (a colleague saving) and commits after the deadline, is on time: what counts is when it was checked."""
    closes = utcnow().replace(microsecond=0) + timedelta(minutes=5)
    call = CallFactory(opens_at=closes - timedelta(days=10), closes_at=closes)
    application = ApplicationFactory(call=call, organisation=organisation, requested_amount_minor=20_000_00)
    BudgetLineFactory(application=application, amount_minor=20_000_00)
    _db.session.commit()
    checked = closes - timedelta(seconds=1)

    with time_machine.travel(checked, tick=False) as clock:
        def the_lock_takes_two_minutes(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().upper().startswith("UPDATE APPLICATIONS SET UPDATED_AT"):  # lock_draft
                clock.move_to(closes + timedelta(minutes=2))

        event.listen(_db.engine, "before_cursor_execute", the_lock_takes_two_minutes)
        try:
            submitted = services.submit_application(member, application.id)
            _db.session.commit()
            committed_at = utcnow()
        finally:
            event.remove(_db.engine, "before_cursor_execute", the_lock_takes_two_minutes)

    assert committed_at > closes  # the commit itself happened after the deadline
    assert submitted.submitted_at == checked and submitted.submitted_at <= call.closes_at
    _db.session.expire_all()
    stored = _db.session.get(Application, application.id)
    assert stored.status == "submitted" and stored.submitted_at == checked
    assert _db.session.scalar(select(func.count()).select_from(Application).where(
        Application.reference.is_not(None))) == 1
