"""Public call pages and admin pages, as each kind of visitor sees them."""

import re
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from cade.core.db import utcnow
from cade.extensions import db as _db
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call, Programme, Question, RubricCriterion
from cade.reviews.models import ReviewScore
from tests.factories import (
    CallFactory,
    ProgrammeFactory,
    QuestionFactory,
    ReviewFactory,
    RubricCriterionFactory,
    UserFactory,
)


@pytest.fixture()
def call(db):
    call = CallFactory(draft=True, title="Mesh networks 2030")
    QuestionFactory(call=call, label="Describe your community", position=0)
    RubricCriterionFactory(call=call, label="Relevance", position=0)
    return call


def admin_pages(call):
    """Every admin page as (method, url): one row per handler."""
    q, c = call.questions[0], call.criteria[0]
    return [
        ("get", "/admin/"),
        ("get", "/admin/programmes/new"),
        ("post", "/admin/programmes/new"),
        ("get", f"/admin/programmes/{call.programme_id}/edit"),
        ("post", f"/admin/programmes/{call.programme_id}/edit"),
        ("get", f"/admin/programmes/{call.programme_id}/calls/new"),
        ("post", f"/admin/programmes/{call.programme_id}/calls/new"),
        ("get", f"/admin/calls/{call.id}"),
        ("get", f"/admin/calls/{call.id}/edit"),
        ("post", f"/admin/calls/{call.id}/edit"),
        ("post", f"/admin/calls/{call.id}/publish"),
        ("post", f"/admin/calls/{call.id}/unpublish"),
        ("post", f"/admin/calls/{call.id}/questions"),
        ("get", f"/admin/questions/{q.id}/edit"),
        ("post", f"/admin/questions/{q.id}/edit"),
        ("post", f"/admin/questions/{q.id}/move"),
        ("post", f"/admin/questions/{q.id}/delete"),
        ("post", f"/admin/calls/{call.id}/criteria"),
        ("get", f"/admin/criteria/{c.id}/edit"),
        ("post", f"/admin/criteria/{c.id}/edit"),
        ("post", f"/admin/criteria/{c.id}/move"),
        ("post", f"/admin/criteria/{c.id}/delete"),
    ]


# ---------------------------------------------------------------- who may see the admin pages


def test_anonymous_visitors_are_sent_to_sign_in(client, call):
    for method, url in admin_pages(call):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert "/auth/login" in response.headers["Location"], url


@pytest.mark.parametrize("role_fixture", ["reviewer", "applicant"])
def test_non_admins_do_not_find_admin_pages(client, login, call, role_fixture, request):
    login(request.getfixturevalue(role_fixture))
    for method, url in admin_pages(call):
        assert getattr(client, method)(url).status_code == 404, url
    assert db_call(call.id).status == CallStatus.DRAFT
    assert len(db_call(call.id).questions) == 1


def test_admins_open_every_admin_page(client, login, admin, call):
    login(admin)
    for method, url in admin_pages(call):
        if method == "get":
            assert client.get(url).status_code == 200, url


def db_call(call_id):
    from cade.extensions import db

    db.session.expire_all()
    return db.session.get(Call, call_id)


def test_forms_refuse_posts_without_csrf_token(csrf_app, client, login, admin, call):
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/publish")
    assert response.status_code == 400
    assert db_call(call.id).status == CallStatus.DRAFT


# ---------------------------------------------------------------- public pages


def test_index_lists_only_published_open_calls_and_those_opening_soon(client, db):
    now = utcnow()
    CallFactory(title="Open call", closes_at=now + timedelta(days=3))
    CallFactory(title="Draft call", draft=True)
    CallFactory(title="Closed call", closed=True)
    CallFactory(title="Future call", opens_at=now + timedelta(days=5), closes_at=now + timedelta(days=60))
    page = client.get("/").get_data(as_text=True)
    assert "Open call" in page
    assert "Draft call" not in page and "Closed call" not in page
    open_part, soon_part = page.split("Opening soon")
    assert "Future call" in soon_part and "Future call" not in open_part
    assert "$5,000.00 to $40,000.00" in open_part
    assert "/calls/closed" in page


def test_recently_closed_page(client, db):
    CallFactory(title="Closed call", closed=True)
    CallFactory(title="Running call")
    page = client.get("/calls/closed").get_data(as_text=True)
    assert "Closed call" in page and "Running call" not in page


def test_index_shows_the_deadline_in_the_call_zone(client, db):
    CallFactory(timezone="America/Sao_Paulo", opens_at=utcnow() - timedelta(days=1),
                closes_at=datetime(2099, 6, 30, 2, 59, tzinfo=timezone.utc))
    page = client.get("/").get_data(as_text=True)
    assert "Jun 29, 2099, 11:59\u202fPM (America/Sao_Paulo)" in page


@pytest.mark.parametrize("role_fixture", [None, "reviewer", "applicant"])
def test_draft_call_is_not_found_for_the_public(client, login, call, role_fixture, request):
    if role_fixture:
        login(request.getfixturevalue(role_fixture))
    assert client.get(f"/calls/{call.id}").status_code == 404


def test_admin_previews_a_draft_call(client, login, admin, call):
    login(admin)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Preview: this call is a draft" in page
    assert "Mesh networks 2030" in page


def test_unknown_call_is_not_found(client, db):
    assert client.get("/calls/4242").status_code == 404


def test_call_page_escapes_html_in_the_description(client, db):
    call = CallFactory(description='<script>alert("x")</script><b>bold</b>', title="<i>Title</i>")
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "<script>alert" not in page and "<b>bold</b>" not in page and "<i>Title</i>" not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "&lt;i&gt;Title&lt;/i&gt;" in page


def test_call_page_gives_the_deadline_in_the_call_zone_and_the_visitor_zone(client, login, db):
    call = CallFactory(timezone="Europe/Paris", closes_at=datetime(2099, 7, 15, 15, 0, tzinfo=timezone.utc))
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Jul 15, 2099, 5:00\u202fPM (Europe/Paris)" in page
    assert '<time class="deadline" datetime="2099-07-15T15:00:00+00:00" data-local="deadline-local">' in page
    assert '<span id="deadline-local" hidden></span>' in page
    assert "In your time zone" not in page  # nothing known about an anonymous visitor

    login(UserFactory(timezone="Asia/Dhaka"))
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "In your time zone: Jul 15, 2099, 9:00\u202fPM (Asia/Dhaka)" in page


def test_call_page_counts_down_and_offers_to_apply_while_open(client, db):
    call = CallFactory(closes_at=utcnow() + timedelta(days=3, hours=1))
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Closes in 3 days" in page
    assert f'href="/calls/{call.id}/apply"' in page


def test_closed_and_upcoming_calls_offer_no_apply_button(client, db):
    closed = CallFactory(closed=True)
    upcoming = CallFactory(opens_at=utcnow() + timedelta(hours=30), closes_at=utcnow() + timedelta(days=30))
    closed_page = client.get(f"/calls/{closed.id}").get_data(as_text=True)
    assert "This call is closed" in closed_page and "/apply" not in closed_page
    upcoming_page = client.get(f"/calls/{upcoming.id}").get_data(as_text=True)
    assert "Opens in 30 hours" in upcoming_page and "/apply" not in upcoming_page


def test_call_page_states_eligibility_in_the_reader_language(client, db):
    call = CallFactory(eligible_countries=["EG", "KE"], eligible_country_lists=["LDC"],
                       eligible_organisation_types=["community_network"], max_annual_budget_minor=50_000_00)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Egypt, Kenya" in page
    assert "Least developed countries (LDC)" in page
    assert "Community network" in page
    assert "Annual budget of at most $50,000.00." in page
    with client.session_transaction() as session:
        session["locale"] = "fr"
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Égypte" in page


def test_call_page_lists_the_questions_to_prepare(client, db):
    call = CallFactory()
    QuestionFactory(call=call, label="Who will you connect?", help_text="Name the villages.", word_limit=250)
    QuestionFactory(call=call, kind="choice", label="Setting", choices=["Rural", "Urban"], word_limit=None,
                    required=False)
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Who will you connect?" in page and "Name the villages." in page and "at most 250 words" in page
    assert "Setting" in page and "<li>Rural</li>" in page and "optional" in page


# ---------------------------------------------------------------- admin flows


def test_admin_dashboard_lists_programmes_calls_and_phases(client, login, admin, call):
    CallFactory(programme=call.programme, title="Running call")
    login(admin)
    page = client.get("/admin/").get_data(as_text=True)
    assert call.programme.name in page
    assert "Mesh networks 2030" in page and "Running call" in page
    assert "Draft" in page and "Open" in page


def test_admin_creates_a_programme(client, login, admin):
    login(admin)
    response = client.post("/admin/programmes/new", data={
        "name": "Travel support", "kind": "travel_support", "funder_name": "CADE Foundation", "currency": "eur"})
    assert response.status_code == 302
    programme = db_programme("Travel support")
    assert programme.currency == "EUR"
    assert "Travel support" in client.get("/admin/").get_data(as_text=True)


def db_programme(name):
    from cade.extensions import db

    return db.session.scalar(select(Programme).where(Programme.name == name))


def test_programme_form_shows_errors_beside_fields(client, login, admin):
    login(admin)
    page = client.post("/admin/programmes/new", data={
        "name": "X", "kind": "travel_support", "funder_name": "F", "currency": "ABC"}).get_data(as_text=True)
    assert 'id="currency-error"' in page and "ISO 4217" in page
    assert db_programme("X") is None


def test_programme_currency_locked_once_it_has_a_call(client, login, admin, call):
    login(admin)
    programme = call.programme
    page = client.post(f"/admin/programmes/{programme.id}/edit", data={
        "name": programme.name, "kind": programme.kind, "funder_name": programme.funder_name,
        "currency": "EUR"}).get_data(as_text=True)
    assert "cannot change once the programme has a call" in page
    assert db_programme(programme.name).currency == "USD"


CALL_FORM = {
    "title": "Community networks 2030", "reference_prefix": "cn-2030", "description": "Grants for mesh networks.",
    "timezone": "Europe/Paris", "opens_at": "2030-01-10T09:00", "closes_at": "2030-07-15T17:00",
    "budget_envelope": "100000", "min_award": "5000", "max_award": "40000.50", "reviews_required": "3",
    "blind_review": "y", "eligible_countries": ["KE", "UG"], "eligible_country_lists": ["LDC"],
    "eligible_organisation_types": ["ngo"],
}


def test_admin_creates_a_call_with_local_times(client, login, admin):
    programme = ProgrammeFactory()
    login(admin)
    response = client.post(f"/admin/programmes/{programme.id}/calls/new", data=CALL_FORM)
    assert response.status_code == 302
    from cade.extensions import db

    created = db.session.scalar(select(Call).where(Call.title == "Community networks 2030"))
    assert response.headers["Location"].endswith(f"/admin/calls/{created.id}")
    assert created.status == CallStatus.DRAFT
    assert created.closes_at == datetime(2030, 7, 15, 15, 0, tzinfo=timezone.utc)  # CEST
    assert created.reference_prefix == "CN-2030"
    assert created.max_award_minor == 4_000_050
    assert (created.reviews_required, created.blind_review) == (3, True)
    assert created.eligible_countries == ["KE", "UG"] and created.eligible_country_lists == ["LDC"]

    # The edit form gives back the wall-clock times in the call's zone.
    page = client.get(f"/admin/calls/{created.id}/edit").get_data(as_text=True)
    assert 'value="2030-07-15T17:00"' in page


@pytest.mark.parametrize("change, shown", [
    ({"closes_at": "2030-01-01T09:00"}, ["The call must close after it opens.", 'id="closes_at-error"']),
    ({"min_award": "50000"}, ["cannot be more than the maximum award"]),
], ids=["closing_before_opening", "minimum_above_maximum"])
def test_call_form_refuses_inconsistent_values(client, login, admin, change, shown):
    programme = ProgrammeFactory()
    login(admin)
    page = client.post(f"/admin/programmes/{programme.id}/calls/new",
                       data={**CALL_FORM, **change}).get_data(as_text=True)
    for text in shown:
        assert text in page


def test_admin_edits_a_published_call(client, login, admin):
    live = CallFactory(title="Old title")
    login(admin)
    data = {**CALL_FORM, "title": "New title", "reference_prefix": live.reference_prefix}
    assert client.post(f"/admin/calls/{live.id}/edit", data=data).status_code == 302
    edited = db_call(live.id)
    assert edited.title == "New title" and edited.status == CallStatus.PUBLISHED


def test_questions_editor_without_javascript(client, login, admin, call):
    login(admin)
    url = f"/admin/calls/{call.id}/questions"
    response = client.post(url, data={"question-kind": "choice", "question-label": "Setting",
                                      "question-choices": "Rural\nUrban", "question-required": "y"})
    assert response.status_code == 302
    page = client.post(url, data={"question-kind": "choice", "question-label": "Bad",
                                  "question-choices": "Only one"}).get_data(as_text=True)
    assert "at least two different choices" in page
    labels = [q.label for q in db_call(call.id).questions]
    assert labels == ["Describe your community", "Setting"]

    setting = db_call(call.id).questions[1]
    client.post(f"/admin/questions/{setting.id}/move", data={"direction": "up"})
    assert [q.label for q in db_call(call.id).questions] == ["Setting", "Describe your community"]

    client.post(f"/admin/questions/{setting.id}/edit", data={"kind": "choice", "label": "Where do you work?",
                                                               "choices": "Rural\nUrban\nBoth"})
    assert db_call(call.id).questions[0].choices == ["Rural", "Urban", "Both"]

    client.post(f"/admin/questions/{setting.id}/delete")
    questions = db_call(call.id).questions
    assert [(q.label, q.position) for q in questions] == [("Describe your community", 0)]


def test_question_edit_page_shows_choices_one_per_line(client, login, admin):
    question = QuestionFactory(kind="choice", choices=["Rural", "Urban"], word_limit=None)
    login(admin)
    page = client.get(f"/admin/questions/{question.id}/edit").get_data(as_text=True)
    assert "Rural\nUrban</textarea>" in page


def test_rubric_editor_without_javascript(client, login, admin, call):
    login(admin)
    url = f"/admin/calls/{call.id}/criteria"
    assert client.post(url, data={"criterion-label": "Feasibility", "criterion-weight": "3",
                                  "criterion-max_score": "10"}).status_code == 302
    page = client.post(url, data={"criterion-label": "Impact", "criterion-weight": "0",
                                  "criterion-max_score": "5"}).get_data(as_text=True)
    assert 'id="criterion-weight-error"' in page
    page = client.post(url, data={"criterion-label": "relevance", "criterion-weight": "1",
                                  "criterion-max_score": "5"}).get_data(as_text=True)
    assert "already has a criterion with this label" in page

    feasibility = db_call(call.id).criteria[1]
    client.post(f"/admin/criteria/{feasibility.id}/move", data={"direction": "up"})
    client.post(f"/admin/criteria/{feasibility.id}/edit", data={"label": "Feasibility", "weight": "4",
                                                                  "max_score": "10"})
    criteria = db_call(call.id).criteria
    assert [(c.label, c.weight) for c in criteria] == [("Feasibility", 4), ("Relevance", 1)]
    client.post(f"/admin/criteria/{feasibility.id}/delete")
    assert [(c.label, c.position) for c in db_call(call.id).criteria] == [("Relevance", 0)]


def test_a_rubric_with_reviews_is_shown_fixed_and_keeps_its_criteria_and_scales(client, login, admin, call):
    relevance = call.criteria[0]
    ReviewFactory(assignment__application__call=call, submitted=True, scores={relevance: 5})
    login(admin)
    page = client.get(f"/admin/calls/{call.id}").get_data(as_text=True)
    assert "fixed: reviews exist" in page
    assert f"/admin/criteria/{relevance.id}/delete" not in page and f"/admin/calls/{call.id}/criteria" not in page

    page = client.post(f"/admin/criteria/{relevance.id}/delete", follow_redirects=True).get_data(as_text=True)
    assert "Criteria cannot be deleted once reviews exist" in page
    page = client.post(f"/admin/calls/{call.id}/criteria", data={"criterion-label": "Impact", "criterion-weight": "1",
                                                                  "criterion-max_score": "5"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Criteria cannot be added once reviews exist." in page

    edit = f"/admin/criteria/{relevance.id}/edit"
    assert "fixed: reviews exist" in client.get(edit).get_data(as_text=True)
    response = client.post(edit, data={"label": "Relevance", "weight": "1", "max_score": "2"})
    assert response.status_code == 200
    assert re.search(r'id="max_score-error">\s*This cannot change once reviews exist.', response.get_data(as_text=True))
    assert client.post(edit, data={"label": "Relevance to the village", "guidance": "Who gains?", "weight": "1",
                                   "max_score": "5"}).status_code == 302
    criteria = db_call(call.id).criteria
    assert [(c.label, c.guidance, c.weight, c.max_score) for c in criteria] == [
        ("Relevance to the village", "Who gains?", 1, 5)]
    scores = _db.session.scalars(select(ReviewScore.score).where(ReviewScore.criterion_id == relevance.id))
    assert scores.all() == [5]


def test_publish_shows_what_is_missing(client, login, admin):
    empty = CallFactory(draft=True)
    login(admin)
    page = client.get(f"/admin/calls/{empty.id}").get_data(as_text=True)
    assert "Before you can publish" in page and "Add at least one question." in page
    page = client.post(f"/admin/calls/{empty.id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "This call cannot be published yet." in page
    assert db_call(empty.id).status == CallStatus.DRAFT


def test_publish_and_unpublish(client, login, admin, call):
    login(admin)
    page = client.post(f"/admin/calls/{call.id}/publish", follow_redirects=True).get_data(as_text=True)
    assert "The call is published." in page
    assert db_call(call.id).status == CallStatus.PUBLISHED
    assert "Mesh networks 2030" in client.get("/").get_data(as_text=True)
    client.post(f"/admin/calls/{call.id}/unpublish")
    assert db_call(call.id).status == CallStatus.DRAFT


def test_deleted_question_and_criterion_leave_the_database(client, login, admin, call):
    login(admin)
    question_id, criterion_id = call.questions[0].id, call.criteria[0].id
    client.post(f"/admin/questions/{question_id}/delete")
    client.post(f"/admin/criteria/{criterion_id}/delete")
    from cade.extensions import db

    db.session.expire_all()
    assert db.session.get(Question, question_id) is None
    assert db.session.get(RubricCriterion, criterion_id) is None


def test_open_calls_come_a_page_at_a_time(client, db):
    from cade.programmes.services.queries import OPEN_CALLS_PER_PAGE

    now = utcnow()
    for days in range(OPEN_CALLS_PER_PAGE + 3):
        CallFactory(title=f"Call closing in {days + 1:02d} days", closes_at=now + timedelta(days=days + 1))
    first = client.get("/").get_data(as_text=True)
    second = client.get("/?page=2").get_data(as_text=True)
    assert "Call closing in 01 days" in first and f"Call closing in {OPEN_CALLS_PER_PAGE:02d} days" in first
    assert f"Call closing in {OPEN_CALLS_PER_PAGE + 1:02d} days" not in first
    assert f"Call closing in {OPEN_CALLS_PER_PAGE + 1:02d} days" in second
    assert 'rel="next"' in first and 'rel="prev"' in second
    assert client.get("/?page=99").status_code == 200  # past the end: an empty page, not an error


def test_the_admin_dashboard_comes_a_page_of_programmes_at_a_time(client, db, login, admin):
    from cade.programmes.services.queries import PROGRAMMES_PER_PAGE

    for n in range(PROGRAMMES_PER_PAGE + 1):
        ProgrammeFactory(name=f"Programme {n:02d}")
    login(admin)
    first = client.get("/admin/").get_data(as_text=True)
    second = client.get("/admin/?page=2").get_data(as_text=True)
    assert "Programme 00" in first and f"Programme {PROGRAMMES_PER_PAGE:02d}" not in first
    assert f"Programme {PROGRAMMES_PER_PAGE:02d}" in second


def test_a_programme_with_many_calls_shows_its_latest_and_links_to_all(client, db, login, admin):
    from cade.programmes.services.queries import LATEST_CALLS_SHOWN

    programme = ProgrammeFactory(name="Long-running fund")
    now = utcnow()
    for n in range(LATEST_CALLS_SHOWN + 2):
        CallFactory(programme=programme, title=f"Round {n:02d}", opens_at=now - timedelta(days=100 - n))
    login(admin)
    dashboard = client.get("/admin/").get_data(as_text=True)
    assert "Round 06" in dashboard and "Round 00" not in dashboard
    assert f"All {LATEST_CALLS_SHOWN + 2} calls of this programme" in dashboard
    every_call = client.get(f"/admin/programmes/{programme.id}").get_data(as_text=True)
    assert all(f"Round {n:02d}" in every_call for n in range(LATEST_CALLS_SHOWN + 2))
