"""A refused submission (issue 8, item 9): what was typed is saved, the errors are shown beside their fields
at the edit page's own address, and reloading that page sends nothing again."""

import io
from urllib.parse import urlsplit

from sqlalchemy import func, select

from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.programmes.constants import QuestionKind
from tests.applications.files import make_pdf
from tests.applications.test_views import edit_data, reload
from tests.factories import QuestionFactory


def test_an_incomplete_submission_is_saved_and_shown_at_the_edit_address(client, login, draft, member, call):
    question = QuestionFactory(call=call, kind=QuestionKind.SHORT_TEXT, label="Where?", required=True)
    login(member)
    data = edit_data(draft, title="Typed before submitting") | {"file": (io.BytesIO(make_pdf()), "plan.pdf")}
    response = client.post(f"/applications/{draft.id}/submit", data=data, content_type="multipart/form-data")
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == f"/applications/{draft.id}/edit"
    saved = reload(draft)
    assert saved.status == "draft" and saved.title == "Typed before submitting"
    assert [a.original_name for a in saved.attachments] == ["plan.pdf"]

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'class="error-summary"' in page and f'href="#q_{question.id}"' in page
    assert f'id="q_{question.id}-error"' in page and "Answer this question" in page
    assert "not complete" in page and 'value="Typed before submitting"' in page
    # A reload of that address shows the same errors: they are read from the saved draft.
    again = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="q_{question.id}-error"' in again


def test_a_submission_posted_from_elsewhere_is_refused_the_same_way(client, login, draft, member, call):
    question = QuestionFactory(call=call, kind=QuestionKind.SHORT_TEXT, label="Where?", required=True)
    login(member)
    response = client.post(f"/applications/{draft.id}/submit")
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == f"/applications/{draft.id}/edit"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f'id="q_{question.id}-error"' in page
    assert reload(draft).status == "draft"


def test_the_edit_page_shows_no_errors_until_a_submission_is_refused(client, login, draft, member, call):
    question = QuestionFactory(call=call, kind=QuestionKind.SHORT_TEXT, required=True)
    login(member)
    page = client.get(f"/applications/{draft.id}/edit").get_data(as_text=True)
    assert "error-summary" not in page and f'id="q_{question.id}-error"' not in page


def test_a_budget_that_does_not_add_up_is_shown_beside_the_budget(client, login, draft, member):
    login(member)
    response = client.post(f"/applications/{draft.id}/submit", data=edit_data(draft, requested_amount="30000"))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'href="#budget"' in page and "add up to" in page
    assert reload(draft).requested_amount_minor == 30_000_00


def test_a_refused_submission_clicked_twice_changes_nothing_twice(client, login, draft, member, call):
    QuestionFactory(call=call, kind=QuestionKind.SHORT_TEXT, required=True)
    login(member)
    first = client.post(f"/applications/{draft.id}/submit", data=edit_data(draft, title="Twice"))
    second = client.post(f"/applications/{draft.id}/submit", data=edit_data(draft, title="Twice"))
    assert first.status_code == second.status_code == 303
    assert first.headers["Location"] == second.headers["Location"]
    saved = reload(draft)
    assert saved.status == "draft" and saved.reference is None and saved.title == "Twice"
    assert _db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_complete_submission_still_goes_to_the_application(client, login, draft, member):
    login(member)
    response = client.post(f"/applications/{draft.id}/submit", data=edit_data(draft))
    assert response.status_code in (302, 303)
    assert urlsplit(response.headers["Location"]).path == f"/applications/{draft.id}"
    assert reload(draft).reference == "CN-2026-0001"


def test_the_edit_page_submits_to_its_own_address_so_even_malformed_typing_stays_there(client, login, draft, member):
    login(member)
    page = client.get(f"/applications/{draft.id}/edit").get_data(as_text=True)
    assert 'formaction="/applications/' not in page.split("Submit application")[0].rsplit("<button", 1)[-1]
    assert 'name="action" value="submit"' in page

    # "lots" is no amount: nothing can be saved, so the page is shown again, at the edit address it was sent to.
    response = client.post(f"/applications/{draft.id}/edit",
                           data=edit_data(draft, title="Kept", requested_amount="lots") | {"action": "submit"})
    assert response.status_code == 422
    shown = response.get_data(as_text=True)
    assert 'value="Kept"' in shown and 'value="lots"' in shown
    assert reload(draft).status == "draft"


def test_submitting_from_the_edit_address_submits(client, login, draft, member):
    login(member)
    response = client.post(f"/applications/{draft.id}/edit", data=edit_data(draft) | {"action": "submit"})
    assert response.status_code in (302, 303)
    assert urlsplit(response.headers["Location"]).path == f"/applications/{draft.id}"
    assert reload(draft).status == "submitted"
