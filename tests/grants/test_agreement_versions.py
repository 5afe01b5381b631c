"""Agreement versions: version 1 when the grant opens, one more per approved amendment, every one still readable."""

from io import BytesIO

from pypdf import PdfReader
from sqlalchemy import select

from cade.core.storage import get_storage
from cade.extensions import db as _db
from cade.grants.amendments import approve_amendment, request_amendment
from cade.grants.models import AgreementVersion, GrantBudgetLine
from tests.factories import MembershipFactory, UserFactory
from tests.grants.amendment_helpers import extension, lines, opened_grant, reallocation, signatory


def text_of(data: bytes) -> str:
    assert data.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(BytesIO(data)).pages)
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def stored_text(stored_name: str) -> str:
    with get_storage().open(stored_name) as stream:
        return text_of(stream.read())


def version(grant, number: int) -> AgreementVersion:
    return _db.session.scalar(select(AgreementVersion).where(AgreementVersion.grant_id == grant.id,
                                                             AgreementVersion.version == number))


def test_opening_a_grant_copies_its_budget_and_records_the_agreement_as_version_one(db):
    opened = opened_grant()
    grant = opened.grant
    application_lines = grant.decision.application.budget_lines

    budget = lines(grant)
    assert [(line.position, line.budget_line_id, line.category, line.description, line.amount_minor)
            for line in budget] == [(1, application_lines[0].id, "equipment", "Routers and solar panels", 8_000_00),
                                    (2, application_lines[1].id, "training", "Training of local operators", 4_345_00)]
    first = version(grant, 1)
    assert (first.stored_name, first.sha256, first.size, first.language, first.amendment_id) == \
        (grant.agreement_stored_name, grant.agreement_sha256, grant.agreement_size, grant.agreement_language, None)
    # Reports are written against the grant's budget, each line still naming the application's line.
    assert [(line.position, line.budget_line_id, line.budget_minor) for line in opened.final.spend_lines] == \
        [(1, application_lines[0].id, 8_000_00), (2, application_lines[1].id, 4_345_00)]


def test_a_grant_without_budget_lines_opens_with_an_empty_budget(db):
    from tests.grants.lifecycle_helpers import opened_grant as plain_grant

    grant, _owner = plain_grant()
    assert db.session.scalars(select(GrantBudgetLine).where(GrantBudgetLine.grant_id == grant.id)).all() == []
    assert version(grant, 1) is not None


def test_an_approved_extension_makes_version_two_and_version_one_stays_readable(db, admin, client, login):
    opened = opened_grant()
    grant = opened.grant
    v1_name = grant.agreement_stored_name
    v1_text = stored_text(v1_name)
    amendment = request_amendment(opened.owner, grant.id, extension(90))
    db.session.commit()

    approve_amendment(admin, amendment.id)
    db.session.commit()

    second = version(grant, 2)
    assert second.amendment_id == amendment.id
    assert grant.agreement_stored_name == second.stored_name != v1_name  # the grant points at the newest
    v2_text = stored_text(second.stored_name)
    assert "Version 2 of this agreement, as amended." in v2_text
    assert "Amendments" in v2_text and "No-cost extension of 90 days" in v2_text
    # The schedule as it stands: the locked tranches' dates moved by 90 days (19 May 2027 → 17 August 2027).
    assert "August 17, 2027" in v2_text and "May 19, 2027" not in v2_text
    assert "Amendments" not in v1_text and "May 19, 2027" in v1_text
    assert stored_text(v1_name) == v1_text  # version 1 untouched

    login(opened.owner)
    old = client.get(f"/grants/{grant.id}/agreement/v1")
    assert old.status_code == 200 and old.mimetype == "application/pdf"
    assert text_of(old.data) == v1_text
    assert "v1.pdf" in old.headers["Content-Disposition"]
    newest = client.get(f"/grants/{grant.id}/agreement")
    assert "No-cost extension of 90 days" in text_of(newest.data)
    assert client.get(f"/grants/{grant.id}/agreement/v3").status_code == 404
    page = client.get(f"/grants/{grant.id}/amendments").get_data(as_text=True)
    assert f"/grants/{grant.id}/agreement/v1" in page and f"/grants/{grant.id}/agreement/v2" in page


def test_another_organisations_member_reads_no_version(db, client, login):
    opened = opened_grant()
    stranger = UserFactory()
    MembershipFactory(user=stranger, role="owner")
    db.session.commit()
    login(stranger)

    assert client.get(f"/grants/{opened.grant.id}/agreement/v1").status_code == 404


def test_the_amendments_section_is_in_the_agreements_language_and_lists_every_amendment_in_force(db, admin):
    opened = opened_grant(owner_locale="fr")
    grant = opened.grant
    equipment, training = lines(grant)
    request_amendment(opened.owner, grant.id, reallocation((equipment, training, "500.00")))  # on notice
    change = request_amendment(opened.owner, grant.id, signatory())
    db.session.commit()

    approve_amendment(admin, change.id)
    db.session.commit()

    text = stored_text(version(grant, 2).stored_name)
    assert "Version 2 du présent accord" in text and "Avenants" in text
    assert "Réaffectation entre lignes budgétaires" in text and "Routers and solar panels" in text
    assert "500,00 $US" in text and "En vigueur sur simple notification" in text
    assert "Changement de signataire : Fatou Ndiaye, Présidente." in text
    assert "Signé pour le bénéficiaire par Fatou Ndiaye" in text  # the version names the new signatory
    assert "Amendments" not in text and "Approuvé le" in text
    # Version 1 named the signatory who accepted.
    assert "Signé pour le bénéficiaire par Amina Diallo" in stored_text(version(grant, 1).stored_name)
