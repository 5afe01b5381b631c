"""A call may ask for valid due-diligence documents at submission or at award (issue 12, item 1)."""

import html
import re
from urllib.parse import urlsplit

import pytest
from flask_babel import force_locale

from cade.applications.eligibility import assess_eligibility, check_eligibility
from cade.applications.models import Application
from cade.awards.services.decisions import DecisionInput, decide_application
from cade.core.errors import ValidationFailed
from cade.core.rules import registered_rules
from cade.diligence.constants import DocumentKind, DocumentStatus
from cade.diligence.eligibility import RequiredDocumentsRule
from cade.extensions import db as _db
from cade.programmes.models import Call
from tests.diligence.documents_helpers import days, document, organisation_with_people
from tests.factories import ApplicationFactory, BudgetLineFactory, CallFactory, ProgrammeFactory, reviewed_application

KINDS = ["registration_certificate", "statutes"]


def errors_of(excinfo) -> dict:
    return {name: [str(m) for m in messages] for name, messages in excinfo.value.errors.items()}


def test_the_rule_is_registered_through_the_registry(db):
    rule = registered_rules().get("required_documents")
    assert isinstance(rule, RequiredDocumentsRule) and rule.at_award


# ---------------------------------------------------------------- the call's setting


def call_data(**setting):
    from tests.programmes.test_services import call_data as base

    return {**base(), "required_documents": setting}


def test_the_setting_is_saved_in_the_calls_two_columns(db, admin):
    from cade.programmes.services import CallInput, create_call

    programme = ProgrammeFactory(currency="USD")
    command = CallInput.from_input(call_data(kinds=["statutes", "registration_certificate"], at="award"),
                                   currency="USD")
    call = create_call(admin, programme.id, command)
    assert (call.required_documents, call.documents_required_at) == (KINDS, "award")  # in the list's order
    none = create_call(admin, programme.id, CallInput.from_input(
        {**call_data(kinds=[], at=""), "reference_prefix": "CN-NONE"}, currency="USD"))
    assert (none.required_documents, none.documents_required_at) == ([], None)


@pytest.mark.parametrize("setting, field, message", [
    ({"kinds": ["statutes"], "at": ""}, "required_documents-at", "Choose when the documents are asked for."),
    ({"kinds": [], "at": "submission"}, "required_documents-kinds",
     "Choose at least one document, or choose “Not asked for”."),
    ({"kinds": ["other"], "at": "award"}, "required_documents-kinds", "Choose only from the listed options."),
    ({"kinds": ["statutes"], "at": "tomorrow"}, "required_documents-at", "Not a valid choice."),
])
def test_a_half_setting_is_refused_beside_its_part(db, setting, field, message):
    from cade.programmes.services import CallInput

    with pytest.raises(ValidationFailed) as excinfo:
        CallInput.from_input(call_data(**setting), currency="USD")
    assert errors_of(excinfo)[field] == [message]


def test_the_call_form_offers_the_setting_and_keeps_what_was_chosen(client, login, admin):
    from tests.programmes.test_views import CALL_FORM

    programme = ProgrammeFactory()
    login(admin)
    page = client.get(f"/admin/programmes/{programme.id}/calls/new").get_data(as_text=True)
    assert 'name="required_documents-kinds" type="checkbox" value="statutes"' in page
    assert 'name="required_documents-at" type="radio" value="award"' in page
    refused = client.post(f"/admin/programmes/{programme.id}/calls/new",
                          data={**CALL_FORM, "required_documents-kinds": ["statutes"]})
    page = html.unescape(refused.get_data(as_text=True))
    assert "Choose when the documents are asked for." in page
    assert re.search(r'checked[^>]*value="statutes"|value="statutes"[^>]*checked', page)  # the tick is kept
    assert _db.session.query(Call).count() == 0
    saved = client.post(f"/admin/programmes/{programme.id}/calls/new",
                        data={**CALL_FORM, "required_documents-kinds": ["statutes"],
                              "required_documents-at": "submission"})
    assert saved.status_code == 302
    call = _db.session.query(Call).one()
    assert (call.required_documents, call.documents_required_at) == (["statutes"], "submission")
    edit = client.get(f"/admin/calls/{call.id}/edit").get_data(as_text=True)
    assert re.search(r'checked[^>]*value="submission"|value="submission"[^>]*checked', edit)


def test_the_call_page_states_the_condition(client, db):
    call = CallFactory(required_documents=KINDS, documents_required_at="submission")
    page = html.unescape(client.get(f"/calls/{call.id}").get_data(as_text=True))
    assert ("Valid due-diligence documents on file when the application is submitted: Registration certificate, "
            "Statutes.") in page


# ---------------------------------------------------------------- at submission


def test_missing_documents_block_naming_each_kind_and_what_is_wrong(db):
    organisation, _owner, _member = organisation_with_people()
    call = CallFactory(required_documents=KINDS + ["bank_letter", "audited_accounts"],
                       documents_required_at="submission")
    document(organisation, expires_on=days(-3))  # registration certificate, expired
    document(organisation, DocumentKind.STATUTES, status=DocumentStatus.PENDING)
    document(organisation, DocumentKind.BANK_LETTER, status=DocumentStatus.REFUSED)
    reasons = check_eligibility(call, organisation)
    assert len(reasons) == 4
    assert reasons[0].startswith("Registration certificate: the verified one expired on ")
    assert reasons[1].startswith("Statutes: the one uploaded is waiting for verification")
    assert reasons[2].startswith("Bank letter: the one uploaded was refused")
    assert reasons[3].startswith("Audited accounts: none is on file.")
    assert all(reason.endswith("This call asks for it, verified and valid, when you submit.") for reason in reasons)
    [remedy] = assess_eligibility(call, organisation).blocking[0].remedies
    assert (remedy.endpoint, dict(remedy.values), remedy.profile) == (
        "diligence.documents", {"organisation_id": organisation.id}, True)


def test_valid_documents_let_the_organisation_apply_and_other_calls_ask_nothing(db):
    organisation, _owner, _member = organisation_with_people()
    document(organisation, expires_on=days(30))
    document(organisation, DocumentKind.STATUTES)
    assert check_eligibility(CallFactory(required_documents=KINDS, documents_required_at="submission"),
                             organisation) == []
    assert check_eligibility(CallFactory(required_documents=["bank_letter"], documents_required_at=None),
                             organisation) == []


def test_the_expiry_date_is_written_in_the_readers_language(db, app):
    from babel.dates import format_date

    organisation, _owner, _member = organisation_with_people()
    expired = document(organisation, DocumentKind.STATUTES, expires_on=days(-3))
    call = CallFactory(required_documents=["statutes"], documents_required_at="submission")
    with app.test_request_context(), force_locale("fr"):
        [reason] = check_eligibility(call, organisation)
    assert format_date(expired.expires_on, "long", locale="fr") in reason
    assert format_date(expired.expires_on, "long", locale="en") not in reason


def test_submitting_through_the_real_path_is_refused_until_the_documents_are_verified(client, login, db, admin):
    organisation, owner, _member = organisation_with_people()
    call = CallFactory(required_documents=["statutes"], documents_required_at="submission")
    login(owner)
    start = html.unescape(client.get(f"/calls/{call.id}/apply").get_data(as_text=True))
    assert "Statutes: none is on file." in start
    assert f'href="/organisations/{organisation.id}/documents"' in start  # the way out, for an owner
    draft = ApplicationFactory(call=call, organisation=organisation, created_by=owner,
                               requested_amount_minor=20_000_00, title="Second phase of the mesh")
    BudgetLineFactory(application=draft, amount_minor=20_000_00)
    response = client.post(f"/applications/{draft.id}/submit")
    assert urlsplit(response.headers["Location"]).path == f"/applications/{draft.id}/edit"
    page = html.unescape(client.get(response.headers["Location"]).get_data(as_text=True))
    assert "Statutes: none is on file." in page
    assert _db.session.get(Application, draft.id).status == "draft"
    document(organisation, DocumentKind.STATUTES)  # verified by the programme team
    client.post(f"/applications/{draft.id}/submit")
    _db.session.expire_all()
    assert _db.session.get(Application, draft.id).status == "submitted"


# ---------------------------------------------------------------- at award


def award(admin, application, amount="20000"):
    return decide_application(admin, application.id, DecisionInput.from_input(
        {"outcome": "award", "amount": amount, "feedback": "Well argued.", "rationale": "Top of the ranking."},
        currency="USD"))


def test_awarding_without_the_documents_is_refused_on_the_outcome_naming_what_is_missing(db, admin):
    organisation, _owner, _member = organisation_with_people()
    call = CallFactory(required_documents=KINDS, documents_required_at="award")
    application = reviewed_application(call, organisation=organisation)
    document(organisation, DocumentKind.STATUTES)
    assert check_eligibility(call, organisation) == []  # an award-time call lets them apply
    assert assess_eligibility(call, organisation).notes  # and warns them
    with pytest.raises(ValidationFailed) as excinfo:
        award(admin, application)
    [message] = errors_of(excinfo)["outcome"]
    assert message.startswith(f"{organisation.name} cannot be awarded yet. Registration certificate: none is on file.")
    _db.session.rollback()
    document(organisation, expires_on=days(10))
    assert award(admin, application).amount_minor == 20_000_00


def test_waitlisting_or_rejecting_needs_no_documents_and_submission_calls_do_not_check_at_award(db, admin):
    organisation, _owner, _member = organisation_with_people()
    awarded_later = reviewed_application(CallFactory(required_documents=KINDS, documents_required_at="award"),
                                         organisation=organisation)
    decision = decide_application(admin, awarded_later.id, DecisionInput.from_input(
        {"outcome": "reject", "feedback": "Not this time.", "rationale": "Below the line."}, currency="USD"))
    assert decision.outcome == "reject"
    at_submission = reviewed_application(CallFactory(required_documents=KINDS, documents_required_at="submission"),
                                         organisation=organisation)
    assert award(admin, at_submission).outcome == "award"
