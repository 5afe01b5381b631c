"""The agreement in Spanish and Portuguese: an organisation working in either gets its agreement in that language."""

import pytest

from cade.grants.agreement import agreement_html, agreement_language, agreement_template
from cade.grants.services import open_grant
from cade.grants.tranches import set_schedule
from tests.grants.helpers import accepted_decision
from tests.grants.test_open_grant import pdf_text

SCHEDULE = [{"share": "40", "condition": "on_signature", "days": "0"},
            {"share": "40", "condition": "interim_report_approved", "days": "180"},
            {"share": "20", "condition": "final_report_approved", "days": "365"}]

# What each language's agreement must say: its title, the parties, the three conditions, the acceptance record
# and the dates and amounts in that language's own format.
EXPECTED = {
    "es": ["Convenio de subvención", "La entidad financiadora", "La entidad beneficiaria",
           "número de registro SN-DKR-2019-B-1234", "Calendario de tramos", "a la firma del presente convenio",
           "una vez aprobado el informe intermedio", "una vez aprobado el informe final",
           "Firmado en nombre de la entidad beneficiaria por", "20 de noviembre de 2026", "19 de mayo de 2027"],
    "pt": ["Acordo de subvenção", "A entidade financiadora", "A entidade beneficiária",
           "número de registro SN-DKR-2019-B-1234", "Cronograma de parcelas", "na assinatura do presente acordo",
           "após a aprovação do relatório intermediário", "após a aprovação do relatório final",
           "Assinado em nome da entidade beneficiária por", "20 de novembro de 2026", "19 de maio de 2027"],
}
ENGLISH = ["Grant agreement", "The funder", "Tranche schedule", "on signature of this agreement", "Accepted on"]


@pytest.mark.parametrize("language", ["es", "pt"])
def test_an_owner_working_in_the_language_gets_the_agreement_in_it(db, language):
    decision, _owner = accepted_decision(owner_locale=language)
    set_schedule(None, decision.call_id, SCHEDULE)

    grant = open_grant(decision)
    db.session.commit()

    assert grant.agreement_language == language
    text = pdf_text(grant)
    missing = [phrase for phrase in EXPECTED[language] if phrase not in text]
    assert missing == []
    assert not [phrase for phrase in ENGLISH if phrase in text]
    assert "Amina Diallo" in text and "Directrice" in text and "Réseau Communautaire du Sahel" in text
    assert "CADE Foundation" in text and "XM-DAC-0000" in text


@pytest.mark.parametrize("language", ["es", "pt"])
def test_an_organisation_whose_language_it_is_gets_the_agreement_in_it(db, language):
    # No accepting owner to ask (every account has a language): the organisation's first language decides.
    decision, _owner = accepted_decision()
    decision.application.organisation.languages = [language, "en"]

    chosen = agreement_language(decision, None)
    html, used = agreement_html(decision, None, chosen)

    assert (chosen, used) == (language, language)
    assert f'<html lang="{language}">' in html and EXPECTED[language][0] in html
    assert "Grant agreement" not in html


@pytest.mark.parametrize("language", ["es", "pt"])
def test_the_language_has_its_own_template(db, language):
    decision, _owner = accepted_decision()
    programme = decision.application.call.programme
    assert agreement_template(programme, language) == f"grants/agreements/default.{language}.html"
