"""Adding and removing budget lines without JavaScript (issue 8, item 9): the button saves the draft, with
the file chosen on the same page, then shows the form again at its own address with the new row."""

import io
from urllib.parse import urlsplit

from cade.applications.constants import MAX_BUDGET_LINES
from tests.applications.files import make_pdf
from tests.applications.test_bad_input import lines_data
from tests.applications.test_views import edit_data, reload
from tests.factories import QuestionFactory
from cade.programmes.constants import QuestionKind


def post_edit(client, application, data, file=None):
    if file is not None:
        data = data | {"file": (io.BytesIO(file[1]), file[0])}
    return client.post(f"/applications/{application.id}/edit", data=data, content_type="multipart/form-data")


def test_adding_a_line_saves_the_draft_and_the_chosen_file_then_shows_the_new_row(client, login, draft, member):
    login(member)
    response = post_edit(client, draft, edit_data(draft, title="Typed, then a line added", action="add_line"),
                         file=("plan.pdf", make_pdf()))
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/applications/{draft.id}/edit" and location.query == "rows=2"
    assert not location.fragment  # the new row takes the focus; browsers skip autofocus on a fragment
    saved = reload(draft)
    assert saved.title == "Typed, then a line added"
    assert [line.description for line in saved.budget_lines] == ["Routers"]
    assert [a.original_name for a in saved.attachments] == ["plan.pdf"]

    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'value="Typed, then a line added"' in page and 'value="Routers"' in page and "plan.pdf" in page
    assert 'id="budget-row-2"' in page and 'name="budget_lines-1-amount"' in page
    assert 'name="budget_lines-2-amount"' not in page
    # The new row's first field has the focus, so the keyboard carries on where the row is.
    new_category = page.split('id="budget-row-2"', 1)[1].split("</tr>", 1)[0]
    assert "autofocus" in new_category and "autofocus" not in page.split('id="budget-row-2"', 1)[0]


def test_adding_to_an_empty_budget_shows_two_rows(client, login, member, organisation, call):
    from tests.factories import ApplicationFactory

    draft = ApplicationFactory(call=call, organisation=organisation, title="")
    login(member)
    data = {"title": "First words", "summary": "", "requested_amount": "", "action": "add_line",
            "budget_lines-0-category": "", "budget_lines-0-description": "", "budget_lines-0-amount": ""}
    response = post_edit(client, draft, data)
    assert response.status_code == 303 and response.headers["Location"].endswith("?rows=2")
    assert reload(draft).title == "First words" and not reload(draft).budget_lines
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="budget_lines-1-amount"' in page and 'name="budget_lines-2-amount"' not in page


def test_reloading_after_adding_a_line_posts_nothing_again(client, login, draft, member):
    login(member)
    first = post_edit(client, draft, edit_data(draft, action="add_line"))
    again = client.get(first.headers["Location"])
    assert again.status_code == 200 and 'name="budget_lines-1-amount"' in again.get_data(as_text=True)
    assert len(reload(draft).budget_lines) == 1


def test_adding_a_line_at_the_limit_saves_every_row_and_says_so(client, login, draft, member):
    login(member)
    data = lines_data(draft, MAX_BUDGET_LINES) | {"title": "Typed", "action": "add_line"}
    response = post_edit(client, draft, data)
    assert response.status_code == 303
    assert urlsplit(response.headers["Location"]).path == f"/applications/{draft.id}/edit"
    saved = reload(draft)
    assert saved.title == "Typed" and len(saved.budget_lines) == MAX_BUDGET_LINES
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"at most {MAX_BUDGET_LINES} budget lines" in page
    assert f'name="budget_lines-{MAX_BUDGET_LINES - 1}-amount"' in page
    assert f'name="budget_lines-{MAX_BUDGET_LINES}-amount"' not in page


def test_a_silly_row_count_in_the_address_is_harmless(client, login, draft, member):
    login(member)
    for rows in ["99999999999", "-3", "\u00b2", "abc", str(MAX_BUDGET_LINES + 50)]:
        response = client.get(f"/applications/{draft.id}/edit?rows={rows}")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert f'name="budget_lines-{MAX_BUDGET_LINES}-amount"' not in page


def test_removing_a_line_saves_what_was_typed_without_it(client, login, draft, member):
    login(member)
    data = edit_data(draft, title="Typed, then a line removed", action="remove_line:0")
    data.update({"budget_lines-1-category": "travel", "budget_lines-1-description": "Bus fares",
                 "budget_lines-1-amount": "12.50"})
    response = post_edit(client, draft, data, file=("plan.pdf", make_pdf()))
    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == f"/applications/{draft.id}/edit" and location.fragment == "budget"
    saved = reload(draft)
    assert saved.title == "Typed, then a line removed"
    assert [(line.description, line.amount_minor) for line in saved.budget_lines] == [("Bus fares", 12_50)]
    assert [a.original_name for a in saved.attachments] == ["plan.pdf"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Bus fares" in page and 'value="Routers"' not in page


def test_removing_the_only_line_empties_the_budget(client, login, draft, member):
    login(member)
    response = post_edit(client, draft, edit_data(draft, action="remove_line:0"))
    assert response.status_code == 303
    assert reload(draft).budget_lines == []
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'name="budget_lines-0-amount"' in page and 'value="Routers"' not in page


def test_a_typing_mistake_keeps_the_rows_and_still_attaches_the_chosen_file(client, login, draft, member, call):
    number = QuestionFactory(call=call, kind=QuestionKind.NUMBER, word_limit=None)
    login(member)
    data = edit_data(draft, title="Not saved yet", action="add_line", **{f"q_{number.id}": "many"})
    response = post_edit(client, draft, data, file=("plan.pdf", make_pdf()))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Not saved yet"' in page and 'value="many"' in page and 'value="Routers"' in page
    assert 'name="budget_lines-1-amount"' in page  # the row asked for is there to fill in
    saved = reload(draft)
    assert saved.title != "Not saved yet"  # a draft is saved whole or not at all
    assert [a.original_name for a in saved.attachments] == ["plan.pdf"]  # but the file chosen is not lost
    assert "plan.pdf" in page
