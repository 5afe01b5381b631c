"""A call's text in every language, the pages: the admin's languages pages per role, bad input kept as typed, and
applicants and reviewers reading their language where it exists, the call's otherwise, marked."""

import re
from datetime import timedelta

import pytest

from cade.core.db import utcnow
from cade.extensions import db as _db
from cade.programmes.call_languages import TranslationInput, call_texts, translate_call
from cade.programmes.models import Call
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    ConflictDeclarationFactory,
    MembershipFactory,
    QuestionFactory,
    RubricCriterionFactory,
    UserFactory,
)
from tests.querycount import count_statements

FR = {"Community networks 2026": "Réseaux communautaires 2026", "Describe your community": "Décrivez votre communauté",
      "Your plan": "Votre plan", "Relevance": "Pertinence"}


@pytest.fixture()
def call(db):
    call = CallFactory(title="Community networks 2026", description="Grants for community networks.")
    QuestionFactory(call=call, label="Describe your community", help_text="Who, where, how many.", position=0)
    QuestionFactory(call=call, label="Your plan", help_text=None, position=1)
    RubricCriterionFactory(call=call, label="Relevance", guidance="Does it fit the call?", position=0)
    return call


def keys(call) -> dict[str, str]:
    return {text.original: text.key for text in call_texts(call) if text.original}


def translate(call, language="fr", texts=FR):
    admin = UserFactory(roles=["admin"])
    translate_call(admin, call.id, TranslationInput.from_input(
        {"language": language, **{keys(call)[original]: value for original, value in texts.items()}}))
    _db.session.commit()


def page(response) -> str:
    return response.get_data(as_text=True)


def routes(call):
    base = f"/admin/calls/{call.id}/languages"
    return [("get", base), ("post", base), ("get", f"{base}/translate?language=fr"),
            ("post", f"{base}/translate?language=fr")]


# ---------------------------------------------------------------- who may see the admin pages


def test_visitors_sign_in_first_and_other_roles_do_not_find_the_pages(client, login, call):
    for method, url in routes(call):
        response = getattr(client, method)(url, data={"language": "fr", "call_title": "Piraté"})
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
    owner = MembershipFactory().user
    for user in (UserFactory(roles=["reviewer"]), owner, UserFactory(roles=["trainer"])):
        login(user)
        for method, url in routes(call):
            assert getattr(client, method)(url, data={"language": "fr", "call_title": "Piraté"}).status_code == 404
    _db.session.expire_all()
    assert _db.session.get(Call, call.id).translations == {} and _db.session.get(Call, call.id).language == "en"


def test_the_call_admin_page_links_to_its_languages(client, login, admin, call):
    login(admin)
    assert f'href="/admin/calls/{call.id}/languages"' in page(client.get(f"/admin/calls/{call.id}"))


def test_the_overview_shows_the_calls_language_and_how_far_each_other_is_translated(client, login, admin, call):
    translate(call, texts={"Relevance": "Pertinence"})
    login(admin)
    html = page(client.get(f"/admin/calls/{call.id}/languages"))
    assert re.search(r'<option selected value="en">|<option value="en" selected', html)
    assert "1 of 7 texts" in html and "0 of 7 texts" in html
    assert f"/admin/calls/{call.id}/languages/translate?language=fr" in html
    assert "language=en" not in html  # no page to translate into its own language
    assert 'Available to applicants in: <span lang="en">English</span></p>' in html


# ---------------------------------------------------------------- translating


def test_the_translation_page_shows_each_original_beside_its_field(client, login, admin, call):
    translate(call, texts={"Your plan": "Votre plan"})
    login(admin)
    html = page(client.get(f"/admin/calls/{call.id}/languages/translate?language=fr"))
    key = keys(call)["Your plan"]
    assert '<div class="prose" lang="en">Who, where, how many.</div>' in html
    assert re.search(rf'<input[^>]*id="{key}"[^>]*lang="fr"[^>]*value="Votre plan"', html) or \
        re.search(rf'<input[^>]*lang="fr"[^>]*id="{key}"', html)
    assert 'value="Votre plan"' in html
    assert 'name="reason"' not in html  # only a call in review asks why


@pytest.mark.parametrize("query", ["?language=de", "?language=", "", "?language=../en"])
def test_a_language_the_site_does_not_have_is_not_found(client, login, admin, call, query):
    login(admin)
    assert client.get(f"/admin/calls/{call.id}/languages/translate{query}").status_code == 404
    assert client.post(f"/admin/calls/{call.id}/languages/translate{query}", data={}).status_code == 404
    assert client.get(f"/admin/calls/{call.id + 99}/languages/translate?language=fr").status_code == 404


def test_the_calls_own_language_sends_back_to_the_overview(client, login, admin, call):
    login(admin)
    response = client.get(f"/admin/calls/{call.id}/languages/translate?language=en")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/calls/{call.id}/languages")
    # Posted all the same (the call's language changed while the page was open): said, and nothing typed lost.
    html = page(client.post(f"/admin/calls/{call.id}/languages/translate?language=en",
                            data={"call_title": "Mon titre"}))
    assert "own language" in html and 'value="Mon titre"' in html


def test_saving_a_language_and_saving_it_twice(client, login, admin, call):
    login(admin)
    url = f"/admin/calls/{call.id}/languages/translate?language=fr"
    data = {"call_title": "Réseaux communautaires 2026", keys(call)["Your plan"]: "Votre plan"}
    response = client.post(url, data=data, follow_redirects=True)
    assert "2 texts saved." in page(response) and response.request.path.endswith("/languages/translate")
    assert "Nothing to save" in page(client.post(url, data=data, follow_redirects=True))  # a double click
    _db.session.expire_all()
    assert _db.session.get(Call, call.id).translations == {"fr": {"title": "Réseaux communautaires 2026"}}


def test_too_long_a_text_is_refused_beside_its_field_and_nothing_typed_is_lost(client, login, admin, call):
    login(admin)
    key = keys(call)["Describe your community"]
    response = client.post(f"/admin/calls/{call.id}/languages/translate?language=fr",
                           data={"call_title": "Réseaux communautaires", key: "é" * 301})
    html = page(response)
    assert response.status_code == 200
    assert f'<p class="error" id="{key}-error">Use at most 300 characters.</p>' in html
    assert re.search(rf'id="{key}"[^>]*aria-invalid="true"|aria-invalid="true"[^>]*id="{key}"', html)
    assert 'value="Réseaux communautaires"' in html and "é" * 301 in html
    assert 'lang="en">Who, where, how many.</div>' in html  # the originals are still beside their fields
    _db.session.expire_all()
    assert _db.session.get(Call, call.id).translations == {}


def test_a_call_in_review_asks_why_its_title_changes(client, login, admin, call):
    call.opens_at, call.closes_at = utcnow() - timedelta(days=30), utcnow() - timedelta(days=1)
    _db.session.commit()
    login(admin)
    url = f"/admin/calls/{call.id}/languages/translate?language=fr"
    html = page(client.post(url, data={"call_title": "Réseaux"}))
    assert 'id="reason-error"' in html and 'value="Réseaux"' in html
    response = client.post(url, data={"call_title": "Réseaux", "reason": "For the French panel."})
    assert response.status_code == 302


def test_the_calls_language_is_changed_on_the_overview_and_refused_beside_its_field(client, login, admin, call):
    login(admin)
    url = f"/admin/calls/{call.id}/languages"
    assert client.post(url, data={"language": "es"}).status_code == 302
    _db.session.expire_all()
    assert _db.session.get(Call, call.id).language == "es"
    translate(_db.session.get(Call, call.id), "fr", {"Relevance": "Pertinence"})
    html = page(client.post(url, data={"language": "fr"}))
    assert 'id="language-error"' in html and "clear those translations first" in html
    html = page(client.post(url, data={"language": "xx"}))
    assert 'id="language-error"' in html


# ---------------------------------------------------------------- readers


def test_a_french_reader_of_the_call_page_gets_french_where_it_exists_and_english_marked(client, call):
    translate(call)
    html = page(client.get(f"/calls/{call.id}", headers={"Accept-Language": "fr"}))
    assert "<title>Réseaux communautaires 2026 ·" in html
    assert "<h1>Réseaux communautaires 2026 <span" in html
    assert '<div class="prose" lang="en">Grants for community networks.</div>' in html
    assert '<strong>Décrivez votre communauté</strong>' in html
    assert '<span lang="en">Who, where, how many.</span> <span class="muted fallback">' in html
    # Not in French yet: the description and one help text are English only.
    assert '<dd class="available-languages"><span lang="en">English</span></dd>' in html
    translate(call, texts={"Grants for community networks.": "Subventions.", "Who, where, how many.": "Qui ?"})
    html = page(client.get(f"/calls/{call.id}", headers={"Accept-Language": "en"}))
    assert '<span lang="en">English</span>, <span lang="fr">Français</span></dd>' in html
    assert "<h1>Community networks 2026 <span" in html and "fallback" not in html


def test_the_list_of_open_calls_shows_titles_in_the_readers_language(client, call):
    translate(call)
    html = page(client.get("/", headers={"Accept-Language": "fr"}))
    assert ">Réseaux communautaires 2026</a>" in html


def test_the_call_page_runs_as_many_queries_with_more_questions(client, call):
    translate(call)
    _, few = count_statements(lambda: client.get(f"/calls/{call.id}", headers={"Accept-Language": "fr"}))
    for position in range(2, 9):
        QuestionFactory(call=call, position=position, help_text="Help", translations={"fr": {"label": "Q"}})
    _, many = count_statements(lambda: client.get(f"/calls/{call.id}", headers={"Accept-Language": "fr"}))
    assert few == many


def test_an_applicant_reading_french_fills_in_french_labels_with_english_help_marked(client, login, call):
    QuestionFactory(call=call, kind="file", label="Letter of support", help_text="A scan is fine.", position=2,
                    required=False, translations={"fr": {"label": "Lettre de soutien"}})
    translate(call)
    membership = MembershipFactory(user__locale="fr")
    owner = membership.user
    draft = ApplicationFactory(call=call, organisation=membership.organisation, created_by=owner)
    login(owner)
    html = page(client.get(f"/applications/{draft.id}/edit"))
    question = call.questions[0]
    assert f'<label for="q_{question.id}">Décrivez votre communauté</label>' in html
    assert re.search(rf'<p class="hint" id="q_{question.id}-hint"><span lang="en">Who, where, how many.</span> '
                     r'<span class="muted fallback">', html)
    assert "<strong>Lettre de soutien</strong>" in html and '<span lang="en">A scan is fine.</span>' in html
    assert "<dd>Réseaux communautaires 2026</dd>" in html


def test_a_reviewer_reading_french_scores_against_the_french_rubric(client, login, call):
    translate(call)
    application = ApplicationFactory(call=call, under_review=True)
    assignment = AssignmentFactory(application=application, reviewer=UserFactory(roles=["reviewer"], locale="fr"))
    ConflictDeclarationFactory(assignment=assignment)
    login(assignment.reviewer)
    html = page(client.get(f"/review/assignments/{assignment.id}"))
    assert '<span lang="en">Does it fit the call?</span> <span class="muted fallback">' in html
