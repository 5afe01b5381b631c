"""open_grant: one grant and one agreement PDF per accepted award, in the organisation's language."""

from io import BytesIO

import pytest
from jinja2 import ChoiceLoader, DictLoader
from pypdf import PdfReader
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.storage import get_storage
from cade.grants.agreement import agreement_language, agreement_template
from cade.grants.constants import GrantStatus
from cade.grants.models import Grant
from cade.grants.services import open_grant
from tests.factories import DecisionFactory
from tests.grants.helpers import accepted_decision


def pdf_text(grant) -> str:
    with get_storage().open(grant.agreement_stored_name) as stream:
        data = stream.read()
    assert data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def stored_files(app) -> set:
    from pathlib import Path

    root = Path(app.config["STORAGE_PATH"])
    return {path.name for path in root.rglob("*") if path.is_file()} if root.exists() else set()


def test_open_grant_creates_one_grant_and_its_agreement_in_the_owners_language(db):
    decision, owner = accepted_decision(owner_locale="fr")

    grant = open_grant(decision)
    db.session.commit()

    assert db.session.scalar(select(func.count()).select_from(Grant)) == 1
    assert grant.decision_id == decision.id
    assert grant.organisation_id == decision.application.organisation_id
    assert grant.call_id == decision.call_id
    assert (grant.amount_minor, grant.currency) == (12_345_00, "USD")
    assert grant.status == GrantStatus.ACTIVE
    assert grant.agreement_language == "fr"
    assert grant.agreement_size > 0 and len(grant.agreement_sha256) == 64
    text = pdf_text(grant)
    assert "Accord de subvention" in text  # the French template
    assert "CADE Foundation" in text and "XM-DAC-0000" in text  # the funder
    assert "Réseau Communautaire du Sahel" in text and "SN-DKR-2019-B-1234" in text and "Sénégal" in text
    assert "12 345,00 $US" in text
    assert "Amina Diallo" in text and "Directrice" in text
    assert "20 novembre 2026" in text
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "grant.opened"))
    assert event is not None and event.object_id == grant.id


def test_open_grant_twice_returns_the_same_grant_and_keeps_one_file(app, db):
    decision, _owner = accepted_decision()
    first = open_grant(decision)
    db.session.commit()
    files = stored_files(app)

    second = open_grant(decision)
    db.session.commit()

    assert second.id == first.id
    assert db.session.scalar(select(func.count()).select_from(Grant)) == 1
    assert stored_files(app) == files


def test_a_rolled_back_grant_leaves_no_file(app, db):
    decision, _owner = accepted_decision()
    before = stored_files(app)

    grant = open_grant(decision)
    stored_name = grant.agreement_stored_name
    assert get_storage().exists(stored_name)
    db.session.rollback()

    assert not get_storage().exists(stored_name)
    assert stored_files(app) == before
    assert db.session.scalar(select(func.count()).select_from(Grant)) == 0


def test_an_english_owner_gets_the_english_agreement(db):
    decision, _owner = accepted_decision(owner_locale="en")
    grant = open_grant(decision)
    db.session.commit()

    assert grant.agreement_language == "en"
    text = pdf_text(grant)
    assert "Grant agreement" in text and "$12,345.00" in text and "Amina Diallo" in text
    assert "Tranche schedule" in text and "on signature of this agreement" in text  # the default: one tranche
    assert "to be set" not in text


def test_the_agreement_lists_the_calls_tranche_schedule(db):
    from cade.grants.tranches import set_schedule

    decision, _owner = accepted_decision(owner_locale="fr")
    set_schedule(None, decision.call_id, [
        {"share": "40", "condition": "on_signature", "days": "0"},
        {"share": "60", "condition": "final_report_approved", "days": "365"}])
    grant = open_grant(decision)
    db.session.commit()
    text = pdf_text(grant)
    assert "4 938,00 $US" in text and "7 407,00 $US" in text
    assert "à l’approbation du rapport final" in text and "20 novembre 2027" in text


def test_only_an_accepted_award_opens_a_grant(db):
    from cade.core.errors import DomainError

    decision = DecisionFactory()  # decided, never accepted
    with pytest.raises(DomainError):
        open_grant(decision)
    assert db.session.scalar(select(func.count()).select_from(Grant)) == 0


def test_the_language_falls_back_to_the_organisations_first_then_english(db):
    decision, owner = accepted_decision(owner_locale="es")
    organisation = decision.application.organisation
    assert agreement_language(decision, owner) == "es"
    # A language without a template of its own falls back to English.
    assert agreement_template(decision.application.call.programme, "de") == "grants/agreements/default.en.html"
    assert agreement_template(decision.application.call.programme, "es") == "grants/agreements/default.es.html"
    assert agreement_template(decision.application.call.programme, "fr") == "grants/agreements/default.fr.html"

    organisation.languages = ["fr"]
    assert agreement_language(decision, None) == "fr"
    organisation.languages = []
    assert agreement_language(decision, None) == "en"


def test_the_programme_kind_template_wins_when_it_exists(db, app):
    decision, _owner = accepted_decision()
    programme = decision.application.call.programme
    # No community-network template ships: the default is used (the lookup order is what is tested).
    assert agreement_template(programme, "en") == "grants/agreements/default.en.html"
    loader = app.jinja_env.loader
    app.jinja_env.loader = ChoiceLoader([DictLoader({f"grants/agreements/{programme.kind}.en.html": "x"}), loader])
    try:
        assert agreement_template(programme, "en") == f"grants/agreements/{programme.kind}.en.html"
    finally:
        app.jinja_env.loader = loader



def test_two_calls_at_once_open_one_grant_and_keep_one_file(app, db):
    from cade.awards.models import Decision
    from tests.concurrency import run_side_by_side

    decision, _owner = accepted_decision()
    decision_id = decision.id  # read here: the threads must not touch this session's objects
    before = stored_files(app)

    def open_it():
        open_grant(db.session.get(Decision, decision_id))

    outcomes = run_side_by_side(app, [open_it, open_it], pause_after="from grants")

    assert outcomes == ["done", "done"]
    db.session.expire_all()
    assert db.session.scalar(select(func.count()).select_from(Grant)) == 1
    grant = db.session.scalar(select(Grant))
    assert stored_files(app) - before == {grant.agreement_stored_name}
