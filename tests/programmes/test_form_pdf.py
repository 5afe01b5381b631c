"""A call's blank form as a printable PDF (issue 14, part 5): "a call's form prints as a PDF in French"."""

import io
from decimal import Decimal

import pypdf
import pytest
from pypdf.generic import NameObject

from cade.extensions import db as _db
from cade.programmes.form_pdf import MAX_LINES, answer_lines, form_html
from cade.programmes.models import BudgetCategory, BudgetHeading
from tests.factories import CallFactory, QuestionFactory, UserFactory


def pdf_text(data: bytes) -> str:
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages)


@pytest.fixture()
def call(db):
    call = CallFactory(title="Community networks 2027", reference_prefix="CN-2027",
                       translations={"fr": {"title": "Réseaux communautaires 2027",
                                            "description": "Des subventions pour les réseaux communautaires."}})
    QuestionFactory(call=call, label="What problem will you solve?", help_text="Be concrete.", word_limit=300,
                    translations={"fr": {"label": "Quel problème allez-vous résoudre ?",
                                         "help_text": "Soyez concrets."}})
    QuestionFactory(call=call, kind="choice", label="What stage is the network at?", word_limit=None,
                    choices=["Planning", "Running"])
    return call


def test_a_calls_form_prints_as_a_pdf_in_french(client, call):
    response = client.get(f"/calls/{call.id}/form.pdf?lang=fr")

    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert "CN-2027-form-fr.pdf" in response.headers["Content-Disposition"]
    text = pdf_text(response.data)
    for french in ["Réseaux communautaires 2027", "Des subventions pour les réseaux communautaires.", "Date limite",
                   "Qui peut postuler", "Les questions auxquelles vous répondrez", "Quel problème allez-vous résoudre",
                   "Soyez concrets.", "300 mots au maximum", "Texte long, obligatoire", "Catégorie", "Équipement",
                   "Montant demandé (USD)"]:
        assert french in text, french
    assert "Planning" in text and "Running" in text  # the choices, as boxes to tick
    month = call.closes_at.astimezone().strftime("%m")
    assert any(name in text for name in FRENCH_MONTHS[month])  # the deadline, written in French


FRENCH_MONTHS = {"01": ["janv."], "02": ["févr."], "03": ["mars"], "04": ["avr."], "05": ["mai"], "06": ["juin"],
                 "07": ["juil."], "08": ["août"], "09": ["sept."], "10": ["oct."], "11": ["nov."], "12": ["déc."]}


def test_the_pdf_is_tagged_titled_and_in_its_language(client, call):
    reader = pypdf.PdfReader(io.BytesIO(client.get(f"/calls/{call.id}/form.pdf?lang=fr").data))
    root = reader.trailer["/Root"]
    assert NameObject("/StructTreeRoot") in root and root["/Lang"] == "fr"
    assert root["/MarkInfo"]["/Marked"]
    assert reader.metadata.title == "Formulaire de candidature: Réseaux communautaires 2027"


def test_a_text_without_a_translation_is_in_the_calls_language_and_says_so(app, call):
    with app.test_request_context():
        html = form_html(call, "fr")
    assert '<span lang="en">What stage is the network at?</span> <span class="muted fallback">' in html
    before = html.split('<span lang="en">What stage')[0].split("<body>")[1]
    assert "Quel problème" in before and 'lang="en"' not in before  # the translated texts carry none


def test_the_budget_table_is_the_calls_template_with_its_caps_and_what_it_does_not_fund(client, call):
    direct = BudgetHeading(call=call, position=0, label="Direct costs", kind="direct")
    indirect = BudgetHeading(call=call, position=1, label="Indirect costs", kind="indirect",
                             cap_percent=Decimal("7"))
    _db.session.add_all([direct, indirect])
    _db.session.flush()
    _db.session.add_all([
        BudgetCategory(call_id=call.id, heading=direct, code="staff", label="Staff",
                       translations={"fr": {"label": "Personnel du projet"}}),
        BudgetCategory(call_id=call.id, heading=direct, code="alcohol", label="Alcohol", ineligible=True),
        BudgetCategory(call_id=call.id, heading=indirect, code="overheads", label="Overheads"),
    ])
    call.cofinancing_percent = Decimal("10")
    _db.session.commit()

    text = pdf_text(client.get(f"/calls/{call.id}/form.pdf?lang=en").data)

    assert "Direct costs" in text and "Staff" in text and "Overheads" in text
    assert "at most 7% of the direct costs" in text
    assert "This call does not fund: Alcohol." in text
    assert "at least 10% of the whole budget" in text
    assert "Personnel du projet" in pdf_text(client.get(f"/calls/{call.id}/form.pdf?lang=fr").data)


def test_a_draft_call_has_no_form_to_download_even_for_admins(client, login):
    call = CallFactory(draft=True)
    assert client.get(f"/calls/{call.id}/form.pdf?lang=en").status_code == 404
    login(UserFactory(roles=["admin"]))
    assert client.get(f"/calls/{call.id}/form.pdf?lang=en").status_code == 404
    assert client.get("/calls/999999/form.pdf").status_code == 404


def test_an_unknown_language_is_refused_naming_the_languages_and_none_means_the_readers(client, call):
    refused = client.get(f"/calls/{call.id}/form.pdf?lang=xx")
    assert refused.status_code == 400 and "Français (lang=fr)" in refused.get_data(as_text=True)
    response = client.get(f"/calls/{call.id}/form.pdf", headers={"Accept-Language": "fr"})
    assert "fr.pdf" in response.headers["Content-Disposition"] and "Date limite" in pdf_text(response.data)
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_an_unchanged_form_is_not_sent_again_and_a_changed_one_is(client, call):
    first = client.get(f"/calls/{call.id}/form.pdf?lang=fr")
    assert first.headers["Cache-Control"] == "public, no-cache"
    again = client.get(f"/calls/{call.id}/form.pdf?lang=fr", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304 and not again.data
    call.questions[0].word_limit = 200
    _db.session.commit()
    changed = client.get(f"/calls/{call.id}/form.pdf?lang=fr", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200 and "200 mots au maximum" in pdf_text(changed.data)


@pytest.mark.parametrize("kind,limit,lines", [
    ("long_text", 300, 30), ("long_text", 5, 3), ("long_text", 20_000, MAX_LINES), ("long_text", None, 12),
    ("short_text", 25, 3), ("number", None, 1), ("choice", None, 0), ("file", None, 0),
])
def test_blank_lines_are_sized_to_the_word_limit(kind, limit, lines):
    class Question:
        pass

    question = Question()
    question.kind, question.word_limit = kind, limit
    assert answer_lines(question) == lines


def test_the_call_page_offers_the_form_in_each_language_and_a_draft_does_not(client, login, call):
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    for code in ("en", "fr", "es", "pt"):
        assert f'/calls/{call.id}/form.pdf?lang={code}"' in page
    draft = CallFactory(draft=True)
    login(UserFactory(roles=["admin"]))
    assert "form.pdf" not in client.get(f"/calls/{draft.id}").get_data(as_text=True)
