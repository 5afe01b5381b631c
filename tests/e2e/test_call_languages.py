"""A call's text in every language, in a real browser: the admin translates the call into French beside the
originals (a text too long refused beside its field, what was typed kept); an applicant reading French sees the
French title and question labels, and the help text not yet translated in English, marked and with its `lang`;
the call page lists the languages it is available in. Axe on every page of the journey."""

from cade.extensions import db as _db
from cade.programmes.call_languages import TranslationInput, call_texts, translate_call
from cade.programmes.constants import QuestionKind
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import (ApplicationFactory, CallFactory, MembershipFactory, ProgrammeFactory, QuestionFactory,
                             RubricCriterionFactory, UserFactory)


def _call():
    call = CallFactory(programme=ProgrammeFactory(name="Community Network Grants"), title="Connecting villages 2026",
                       description="Grants for community networks.")
    QuestionFactory(call=call, kind=QuestionKind.LONG_TEXT, label="Describe your community",
                    help_text="Who, where, how many.", position=0)
    QuestionFactory(call=call, kind=QuestionKind.SHORT_TEXT, label="Nearest town", help_text=None, position=1,
                    word_limit=None)
    RubricCriterionFactory(call=call, label="Relevance", guidance="Does it fit the call?")
    return call


def _main(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def test_an_applicant_reads_the_call_in_french_where_it_is_translated(page):
    call = _call()
    admin = UserFactory(name="Ada Admin", roles=["admin"])
    membership = MembershipFactory(user__name="Awa Ndiaye")
    draft = ApplicationFactory(call=call, organisation=membership.organisation, created_by=membership.user,
                               title="Maillage solaire")
    _db.session.commit()
    audit = Audit(page)

    # The admin translates the title and the questions' labels, not the help text.
    sign_in(page, admin)
    audit.visit(f"/admin/calls/{call.id}", "call administration")
    page.get_by_role("link", name="Languages").click()
    assert "0 of 7 texts" in _main(page)
    audit.check("languages of a call")
    page.get_by_role("link", name="Translate into Français").click()
    audit.check("translate into French")
    page.get_by_label("Title", exact=True).fill("Connecter les villages 2026")
    page.get_by_label("Question 1", exact=True).fill("D" * 301)
    page.get_by_label("Question 2", exact=True).fill("Ville la plus proche")
    send(page, page.get_by_role("button", name="Save the texts in Français"))
    assert "Use at most 300 characters." in _main(page)
    assert page.get_by_label("Question 2", exact=True).input_value() == "Ville la plus proche"  # nothing lost
    audit.check("translate into French, with an error")
    page.get_by_label("Question 1", exact=True).fill("Décrivez votre communauté")
    send(page, page.get_by_role("button", name="Save the texts in Français"))
    assert "3 texts saved." in _main(page)

    # The applicant reads French: French where it exists, English marked where it does not.
    sign_in(page, membership.user, language="fr")
    audit.visit(f"/calls/{call.id}", "call page in French")
    assert page.locator("h1").inner_text().startswith("Connecter les villages 2026")
    assert page.locator(".available-languages").inner_text() == "English"  # the description is English only
    assert page.locator(".prose[lang=en]").first.inner_text() == "Grants for community networks."
    audit.visit(f"/applications/{draft.id}/edit", "application in French")
    question = call.questions[0]
    assert page.locator(f"label[for=q_{question.id}]").inner_text() == "Décrivez votre communauté"
    help_text = page.locator(f"#q_{question.id}-hint")
    assert help_text.locator("span[lang=en]").inner_text() == "Who, where, how many."
    assert "anglais" in help_text.locator(".fallback").inner_text()  # "(in anglais)" until the catalogue is done
    assert page.get_by_label("Ville la plus proche").count() == 1

    # Once the description and the help text are translated too, the call lists French.
    texts = {text.original: text.key for text in call_texts(call)}
    translate_call(admin, call.id, TranslationInput.from_input({
        "language": "fr", texts["Grants for community networks."]: "Des subventions pour les réseaux.",
        texts["Who, where, how many."]: "Qui, où, combien."}))
    _db.session.commit()
    audit.visit(f"/calls/{call.id}", "call page available in French")
    assert page.locator(".available-languages").inner_text() == "English, Français"
    assert page.locator(".available-languages [lang=fr]").inner_text() == "Français"
    assert page.locator("main .fallback").count() == 0
    audit.assert_clean()
