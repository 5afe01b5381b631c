"""The ranking, decision, release and outcome pages, as each kind of visitor sees them."""

import re
from html import unescape

import pytest
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.awards.models import Decision
from cade.core.db import utcnow
from cade.extensions import db as _db
from cade.notifications.models import Notification
from cade.reviews.models import CallReviewSettings
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    DecisionFactory,
    MembershipFactory,
    OrganisationFactory,
    RubricCriterionFactory,
    UserFactory,
    reviewed_application,
)
from tests.querycount import count_statements


@pytest.fixture()
def call(db):
    call = CallFactory(closed=True, title="Mesh networks 2026", budget_envelope_minor=50_000_00,
                       min_award_minor=5_000_00, max_award_minor=40_000_00, reviews_required=2)
    RubricCriterionFactory(call=call, weight=1, max_score=10)
    return call


@pytest.fixture()
def application(call):
    """Reviews of 8/10 and 6/10 (mean 70.0), 30,000.00 requested, from Kenya (Africa)."""
    return reviewed_application(call, scores=(8, 6), requested_amount_minor=30_000_00,
                                title="Solar mesh for three villages")


@pytest.fixture()
def applicant(application):
    return MembershipFactory(organisation=application.organisation).user


def text_of(response) -> str:
    return text_of_html(response.get_data(as_text=True))


def admin_pages(call, application):
    return [
        ("get", f"/admin/calls/{call.id}/ranking"),
        ("post", f"/admin/calls/{call.id}/ranking"),
        ("get", f"/admin/applications/{application.id}/decision"),
        ("post", f"/admin/applications/{application.id}/decision"),
        ("get", f"/admin/calls/{call.id}/release"),
        ("post", f"/admin/calls/{call.id}/release"),
    ]


def decision_post(**overrides):
    data = {"outcome": "award", "amount": "20000", "feedback": "A clear plan.", "rationale": "Ranked first."}
    data.update(overrides)
    return data


# ---------------------------------------------------------------- who may see what


def test_anonymous_visitors_are_sent_to_sign_in(client, call, application):
    for method, url in [*admin_pages(call, application), ("get", f"/applications/{application.id}/decision")]:
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url


@pytest.mark.parametrize("who", ["applicant", "reviewer"])
def test_applicants_and_reviewers_do_not_find_the_admin_pages(client, login, call, application, applicant, who):
    user = applicant if who == "applicant" else UserFactory(roles=["reviewer"])
    login(user)
    for method, url in admin_pages(call, application):
        data = decision_post() if "decision" in url else {"action": "targets"}
        assert getattr(client, method)(url, data=data).status_code == 404, url
    assert _db.session.scalar(select(Decision.id)) is None


def test_admins_open_the_ranking_and_the_decision_page(client, login, admin, call, application):
    login(admin)
    assert client.get(f"/admin/calls/{call.id}/ranking").status_code == 200
    page = client.get(f"/admin/applications/{application.id}/decision")
    assert page.status_code == 200
    text = text_of(page)
    # Admins read both comments and who wrote them; reviews of 8/10 and 6/10 → mean 70.0.
    assert "Reviewer " in text and "Comment 0 on Solar mesh" in text and "70.0 / 100" in text


def test_the_outcome_is_hidden_from_members_until_release_and_never_shown_to_others(
        client, login, admin, call, application, applicant):
    DecisionFactory(application=application, amount_minor=20_000_00, feedback="Well argued.")
    url = f"/applications/{application.id}/decision"
    login(applicant)
    assert client.get(url).status_code == 404
    assert "Read the decision" not in text_of(client.get(f"/applications/{application.id}"))

    login(admin)
    client.post(f"/admin/calls/{call.id}/release", data={"confirm": "1", "expected": "1"})

    login(applicant)
    page = client.get(url)
    assert page.status_code == 200
    text = text_of(page)
    assert "$20,000.00" in text and "Well argued." in text and "Comment 1 on Solar mesh" in text
    assert '<span class="status status-awarded">Awarded</span>' in page.get_data(as_text=True)
    assert "Reviewer " not in text and "Strong team" not in text  # neither names nor confidential comments
    assert "Read the decision and feedback" in text_of(client.get(f"/applications/{application.id}"))
    for stranger in (UserFactory(), UserFactory(roles=["reviewer"])):
        login(stranger)
        assert client.get(url).status_code == 404


def test_an_outcome_page_without_a_decision_is_not_found_even_for_admins(client, login, admin, application):
    login(admin)
    assert client.get(f"/applications/{application.id}/decision").status_code == 404


# ---------------------------------------------------------------- the ranking


def test_the_ranking_shows_scores_the_envelope_and_narrows_by_filters(client, login, admin, call, application):
    second = reviewed_application(call, scores=(10, 10), requested_amount_minor=30_000_00, title="Andes link",
                                  organisation=OrganisationFactory(country="BR", stakeholder_group="academia"))
    reviewed_application(call, reviews=0, requested_amount_minor=30_000_00, title="Unreviewed idea")
    DecisionFactory(application=second, amount_minor=25_000_00)
    login(admin)

    page = client.get(f"/admin/calls/{call.id}/ranking")
    text = text_of(page)
    assert page.status_code == 200
    # Best first (100.0, then 70.0), the unreviewed one last; running total of requested amounts.
    assert text.index("Andes link") < text.index("Solar mesh") < text.index("Unreviewed idea")
    assert "Awarded $25,000.00 Remaining $25,000.00" in text
    assert "$90,000.00" in text and "beyond the envelope" in text
    assert "2 of 2" in text and "0 of 2" in text
    assert '<span class="status status-awarded">Award</span>' in page.get_data(as_text=True)

    americas = client.get(f"/admin/calls/{call.id}/ranking?region=019")
    assert "Andes link" in text_of(americas) and "Solar mesh" not in text_of(americas)
    undecided = text_of(client.get(f"/admin/calls/{call.id}/ranking?flag=undecided&sort=reference&direction=asc"))
    assert "Andes link" not in undecided and "Solar mesh" in undecided and "Unreviewed idea" in undecided


def test_the_ranking_shows_the_running_total_awarded_beside_the_requested_against_the_envelope(
        client, login, admin, call, application):
    second = reviewed_application(call, scores=(10, 10), requested_amount_minor=30_000_00, title="Andes link")
    third = reviewed_application(call, scores=(4, 4), requested_amount_minor=30_000_00, title="Delta radio")
    DecisionFactory(application=second, amount_minor=25_000_00)
    DecisionFactory(application=application, outcome="reject", amount_minor=None)
    DecisionFactory(application=third, amount_minor=25_000_00)
    login(admin)

    html = client.get(f"/admin/calls/{call.id}/ranking").get_data(as_text=True)
    table = text_of_html(html[html.index('id="ranking"'):html.index("</table>", html.index('id="ranking"'))])
    assert "Running total requested Running total awarded (envelope $50,000.00)" in table
    # Andes (award 25 000), Solar mesh (rejected), Delta (award 25 000): requested, then awarded, per row.
    assert "$30,000.00 $25,000.00" in table
    assert "$60,000.00 beyond the envelope $25,000.00" in table
    assert "$90,000.00 beyond the envelope $50,000.00" in table
    assert table.count("beyond the envelope") == 2  # the awards reach the envelope, never beyond


def test_bad_filters_are_marked_and_the_ranking_still_shows(client, login, admin, call, application):
    login(admin)
    page = client.get(f"/admin/calls/{call.id}/ranking?score_min=lots&sort=chaos&score_max=120")
    assert page.status_code == 200
    text = text_of(page)
    assert "Please correct the following" in text and "Solar mesh" in text
    upside_down = text_of(client.get(f"/admin/calls/{call.id}/ranking?score_min=60&score_max=20"))
    assert "must not be below the lowest" in upside_down and "Solar mesh" in upside_down


def test_sortable_headers_keep_the_filters_and_turn_the_order_round(client, login, admin, call, application):
    login(admin)
    html = client.get(f"/admin/calls/{call.id}/ranking?region=002&sort=score&direction=desc").get_data(as_text=True)
    header = re.search(r'<th scope="col" class="num" aria-sort="descending">\s*<a href="([^"]+)"', html)
    assert header and "region=002" in header.group(1) and "direction=asc" in unescape(header.group(1))


def test_targets_are_saved_and_shown_against_the_awarded_shares(client, login, admin, call, application):
    DecisionFactory(application=application, amount_minor=20_000_00)
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/ranking", data={
        "action": "targets", "targets-region_002": "40", "targets-region_019": "", "targets-stakeholder_academia": "25"})
    assert response.status_code == 302
    settings = _db.session.scalar(select(CallReviewSettings).where(CallReviewSettings.call_id == call.id))
    assert settings.region_targets == {"002": 40} and settings.stakeholder_targets == {"academia": 25}

    html = client.get(response.headers["Location"]).get_data(as_text=True)
    shares = text_of_fragment(html, "region-shares")
    assert "Africa $20,000.00 100.0 % 40 %" in shares
    stakeholders = text_of_fragment(html, "stakeholder-shares")
    assert "Academia $0.00 0.0 % 25 % (below target)" in stakeholders
    assert 'name="targets-region_002" type="number" value="40"' in html


def test_targets_over_100_percent_are_refused_and_what_was_typed_stays(client, login, admin, call, application):
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/ranking", data={
        "action": "targets", "targets-region_002": "70", "targets-region_142": "50", "targets-region_150": "x"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "add up to more than 100%" in text_of(response) or "Enter a whole percentage" in text_of(response)
    assert 'value="70"' in html and 'value="50"' in html and 'value="x"' in html
    response = client.post(f"/admin/calls/{call.id}/ranking", data={
        "action": "targets", "targets-region_002": "70", "targets-region_142": "50"})
    assert response.status_code == 422 and "add up to more than 100%" in text_of(response)
    assert _db.session.scalar(select(CallReviewSettings.id)) is None


# ---------------------------------------------------------------- deciding


def test_a_decision_is_saved_and_the_admin_returns_to_the_ranking(client, login, admin, call, application):
    login(admin)
    response = client.post(f"/admin/applications/{application.id}/decision", data=decision_post(amount="20,000.50"))
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/calls/{call.id}/ranking#application-{application.id}")
    decision = _db.session.scalar(select(Decision))
    assert (decision.outcome, decision.amount_minor, decision.decided_by_id) == ("award", 20_000_50, admin.id)
    assert "Decision saved" in text_of(client.get(response.headers["Location"]))
    assert _db.session.get(type(application), application.id).status == ApplicationStatus.UNDER_REVIEW


@pytest.mark.parametrize("amount, message", [
    ("45000", "Award between $5,000.00 and $40,000.00"),
    ("35000", "more than the $30,000.00 requested"),
    ("20000.005", "Use at most 2 decimal places"),
    ("lots", "Enter a number"),
])
def test_a_refused_amount_is_marked_and_nothing_typed_is_lost(client, login, admin, application, amount, message):
    login(admin)
    response = client.post(f"/admin/applications/{application.id}/decision",
                           data=decision_post(amount=amount, feedback="Typed feedback <kept>",
                                              rationale="Typed rationale"))
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in unescape(html)
    assert 'id="amount-error"' in html and f'value="{amount}"' in html
    assert "Typed feedback &lt;kept&gt;</textarea>" in html and "Typed rationale</textarea>" in html
    assert re.search(r'<input checked [^>]*value="award"', html)
    assert _db.session.scalar(select(Decision.id)) is None


def test_an_award_beyond_the_envelope_shows_what_remains(client, login, admin, call, application):
    DecisionFactory(application=reviewed_application(call, scores=(8, 6)), amount_minor=40_000_00)
    login(admin)
    response = client.post(f"/admin/applications/{application.id}/decision", data=decision_post(amount="15000"))
    assert response.status_code == 422
    assert "$10,000.00 remains" in text_of(response) and 'value="15000"' in response.get_data(as_text=True)


def test_too_few_reviews_ask_for_an_override_reason(client, login, admin, call):
    thin = reviewed_application(call, scores=(7,), title="Thinly reviewed")
    login(admin)
    page = client.get(f"/admin/applications/{thin.id}/decision")
    assert "Why decide with fewer reviews than required?" in text_of(page)
    response = client.post(f"/admin/applications/{thin.id}/decision", data=decision_post(outcome="reject", amount=""))
    assert response.status_code == 422
    assert 'id="override_reason-error"' in response.get_data(as_text=True)
    assert "1 submitted review and the call requires 2" in text_of(response)
    response = client.post(f"/admin/applications/{thin.id}/decision",
                           data=decision_post(outcome="reject", amount="", override_reason="Reviewer fell ill."))
    assert response.status_code == 302
    assert _db.session.scalar(select(Decision.override_reason)) == "Reviewer fell ill."


def test_a_released_decision_is_shown_but_cannot_be_changed(client, login, admin, application):
    DecisionFactory(application=application, outcome="reject", amount_minor=None, released_at=utcnow())
    _db.session.get(type(application), application.id).status = ApplicationStatus.REJECTED
    _db.session.commit()
    login(admin)
    page = client.get(f"/admin/applications/{application.id}/decision")
    assert "can no longer change" in text_of(page) and 'name="feedback"' not in page.get_data(as_text=True)
    response = client.post(f"/admin/applications/{application.id}/decision", data=decision_post())
    assert response.status_code == 302
    assert "can no longer change" in text_of(client.get(response.headers["Location"]))
    assert _db.session.scalar(select(Decision.outcome)) == "reject"


def test_a_draft_has_no_decision_page(client, login, admin, call):
    login(admin)
    draft = ApplicationFactory(call=call)
    assert client.get(f"/admin/applications/{draft.id}/decision").status_code == 404


# ---------------------------------------------------------------- release


def test_release_tells_how_many_went_out_and_a_second_click_sends_nothing(client, login, admin, call, application,
                                                                           applicant):
    DecisionFactory(application=application, amount_minor=20_000_00)
    login(admin)
    assert "1 decision has not been released yet" in text_of(client.get(f"/admin/calls/{call.id}/ranking"))

    response = client.post(f"/admin/calls/{call.id}/release", data=CONFIRM_ONE)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/calls/{call.id}/ranking")
    assert "1 decision released" in text_of(client.get(response.headers["Location"]))
    response = client.post(f"/admin/calls/{call.id}/release", data=CONFIRM_ONE)  # the second click
    assert response.status_code == 302
    assert "nothing new to release" in text_of(client.get(response.headers["Location"]))
    assert _db.session.scalar(select(Notification.recipient_id)) == applicant.id
    assert len(_db.session.scalars(select(Notification)).all()) == 1


CONFIRM_ONE = {"confirm": "1", "expected": "1"}


def test_the_release_button_first_says_what_will_go_out_and_to_how_many_people(client, login, admin, call,
                                                                                application, applicant):
    DecisionFactory(application=application, amount_minor=20_000_00)
    second = reviewed_application(call, scores=(8, 6), members=2, title="Andes link")
    DecisionFactory(application=second, outcome="reject", amount_minor=None)
    login(admin)

    ranking = client.get(f"/admin/calls/{call.id}/ranking").get_data(as_text=True)
    # Without JavaScript: the ranking's button is a plain GET form to the confirmation.
    assert re.search(rf'<form method="get" action="/admin/calls/{call.id}/release"', ranking)
    for page in (client.get(f"/admin/calls/{call.id}/release"),
                 client.post(f"/admin/calls/{call.id}/release")):  # an old page's POST without `confirm`
        assert page.status_code == 200
        text = text_of(page)
        assert "2 decisions will be released and 3 people told" in text
        assert "Award 1 Waitlist 0 Reject 1" in text
        html = page.get_data(as_text=True)
        assert '<input type="hidden" name="expected" value="2">' in html
        assert "Release 2 decisions</button>" in html
        assert f'href="/admin/calls/{call.id}/ranking#release"' in html  # cancel
    assert _db.session.scalar(select(Notification.id)) is None
    assert _db.session.scalar(select(Decision.released_at)) is None

    response = client.post(f"/admin/calls/{call.id}/release", data={"confirm": "1", "expected": "2"})
    assert response.status_code == 302
    assert "2 decisions released" in text_of(client.get(response.headers["Location"]))
    assert len(_db.session.scalars(select(Notification)).all()) == 3


def test_a_changed_count_is_said_and_asked_again_rather_than_released(client, login, admin, call, application,
                                                                      applicant):
    DecisionFactory(application=application, amount_minor=20_000_00)
    login(admin)
    assert "Release 1 decision</button>" in client.get(f"/admin/calls/{call.id}/release").get_data(as_text=True)
    # Another admin decides one more before the confirmation arrives.
    DecisionFactory(application=reviewed_application(call, scores=(8, 6), members=1), outcome="reject",
                    amount_minor=None)

    response = client.post(f"/admin/calls/{call.id}/release", data=CONFIRM_ONE)
    assert response.status_code == 409
    text = text_of(response)
    assert "changed since you looked: 1 then, 2 now" in text
    assert "2 decisions will be released" in text
    assert '<input type="hidden" name="expected" value="2">' in response.get_data(as_text=True)
    assert _db.session.scalar(select(Notification.id)) is None
    assert _db.session.scalar(select(Decision.released_at)) is None

    response = client.post(f"/admin/calls/{call.id}/release", data={"confirm": "1", "expected": "2"})
    assert response.status_code == 302
    assert len(_db.session.scalars(select(Notification)).all()) == 2


@pytest.mark.parametrize("expected", ["", "many", "-1", "99999999999999999999"])
def test_a_confirmation_without_a_readable_count_is_asked_again(client, login, admin, call, application, expected):
    DecisionFactory(application=application, amount_minor=20_000_00)
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/release", data={"confirm": "1", "expected": expected})
    assert response.status_code == 400
    assert "Release 1 decision</button>" in response.get_data(as_text=True)
    assert _db.session.scalar(select(Decision.released_at)) is None


def test_with_nothing_to_release_the_confirmation_says_so(client, login, admin, call, application):
    login(admin)
    page = client.get(f"/admin/calls/{call.id}/release")
    assert page.status_code == 200
    assert "There is no decision to release." in text_of(page)
    assert 'name="confirm"' not in page.get_data(as_text=True)


def test_the_confirmation_page_runs_the_same_number_of_queries_for_few_and_many(client, login, admin, call):
    login(admin)

    def statements() -> int:
        response, count = count_statements(lambda: client.get(f"/admin/calls/{call.id}/release"))
        assert response.status_code == 200
        return count

    DecisionFactory(application=reviewed_application(call, reviews=0, members=1), outcome="reject", amount_minor=None)
    few = statements()
    for _ in range(4):
        DecisionFactory(application=reviewed_application(call, reviews=0, members=2), outcome="reject",
                        amount_minor=None)
    assert statements() == few


# ---------------------------------------------------------------- what the applicant was told stays told


def test_the_outcome_page_shows_what_was_released_not_what_was_changed_later(client, login, admin, call,
                                                                            application, applicant):
    from sqlalchemy import update

    from cade.reviews.models import Review

    DecisionFactory(application=application, amount_minor=20_000_00, feedback="Well argued.")
    login(admin)
    assert client.post(f"/admin/calls/{call.id}/release", data=CONFIRM_ONE).status_code == 302
    # What a later edit would do, straight in the database.
    _db.session.execute(update(Decision).values(feedback="Rewritten after the release."))
    _db.session.execute(update(Review).values(comment_to_applicant="Rewritten comment."))
    _db.session.commit()

    login(applicant)
    text = text_of(client.get(f"/applications/{application.id}/decision"))
    assert "Well argued." in text and "Comment 0 on Solar mesh" in text and "Comment 1 on Solar mesh" in text
    assert "Rewritten" not in text


def test_before_release_an_admin_previews_the_text_a_release_would_send(client, login, admin, application):
    DecisionFactory(application=application, amount_minor=20_000_00, feedback="Well argued.")
    login(admin)
    text = text_of(client.get(f"/applications/{application.id}/decision"))
    assert "Not released yet" in text and "Well argued." in text and "Comment 1 on Solar mesh" in text


# ---------------------------------------------------------------- a fixed number of queries


def test_the_ranking_runs_the_same_number_of_queries_for_few_and_many_applications(client, login, admin, call):
    login(admin)

    def statements_for_page() -> int:
        response, statements = count_statements(lambda: client.get(f"/admin/calls/{call.id}/ranking"))
        assert response.status_code == 200
        return statements

    reviewed_application(call, scores=(8, 6))
    few = statements_for_page()
    for _ in range(4):
        DecisionFactory(application=reviewed_application(call, scores=(8, 6)), outcome="reject", amount_minor=None)
    assert statements_for_page() == few


def text_of_fragment(html: str, element_id: str) -> str:
    start = html.index(f'id="{element_id}"')
    return text_of_html(html[start:html.index("</table>", start)])


def text_of_html(html: str) -> str:
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))).strip()
