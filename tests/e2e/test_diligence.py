"""Due diligence and amendments in a real browser, with JavaScript on and off (issue 12, "Done when"): an owner
uploads the bank letter and an admin verifies it; the owner enters bank details (a mistyped IBAN refused beside the
field, everything kept), admin A checks them and cannot confirm them, admin B confirms; a screening is recorded;
only then is the tranche paid (before, the grant page refuses it with the reasons). An owner reallocates under the
threshold (in force on notice) and asks for an extension the admin approves: version 2 downloads, version 1 still
does. Another organisation's member finds none of it, a plain member finds neither documents nor bank details; and
axe on every page of it."""

import re
from datetime import timedelta

from pypdf import PdfReader
from sqlalchemy import select

from cade.core.db import utcnow
from cade.demo.seed import _tiny_pdf
from cade.diligence.constants import DocumentKind, PayeeStatus, ScreeningResult
from cade.diligence.documents import DocumentInput, upload_document, verify_document
from cade.diligence.models import Document, PayeeAccount, Screening
from cade.diligence.payees import PayeeInput, check_payee, enter_payee
from cade.extensions import db as _db
from cade.grants.amendments import ExtensionInput, approve_amendment, request_amendment
from cade.grants.constants import AmendmentStatus, TrancheStatus
from cade.grants.models import GrantAmendment
from cade.grants.tranches import tranches_of
from tests.diligence.payee_helpers import IBAN_SN
from tests.e2e.test_accessibility import Audit, send, sign_in
from tests.factories import MembershipFactory, UserFactory
from tests.grants.amendment_helpers import amounts, lines, reallocation, versions
from tests.grants.report_helpers import opened_grant

UN_LIST = "UN Security Council Consolidated List"
WRONG_IBAN = IBAN_SN[:-1] + ("6" if IBAN_SN[-1] != "6" else "7")  # one digit mistyped: the checksum fails


def _grant():
    """The amendment tests' grant (12,345.00; 8,000.00 equipment + 4,345.00 training; first tranche payable), its
    programme screening against UN_LIST; and a plain member of its organisation."""
    opened = opened_grant()
    grant = opened.grant
    grant.call.programme.screening_lists = [UN_LIST]
    member = UserFactory(name="Moussa Member")
    MembershipFactory(user=member, organisation=grant.organisation, role="member")
    _db.session.commit()
    return grant, opened.owner, member


def _second_admin():
    return UserFactory(roles=["admin"], name="Bea Second")


def _main(page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def _flash(page) -> str:
    return " ".join(page.locator(".flashes").inner_text().split())


def _pdf_text(path) -> str:
    return " ".join(" ".join(p.extract_text() for p in PdfReader(path).pages).split())


def _pay(page, grant, reference: str) -> None:
    page.goto(f"/grants/{grant.id}")
    page.get_by_label("Payment reference").fill(reference)
    send(page, page.get_by_role("button", name="Record the payment", exact=True))


# ---------------------------------------------------------------- documents, bank details, screening, payment


def test_documents_bank_details_by_two_admins_and_a_screening_before_the_tranche_pays(browse, admin):
    page = browse
    grant, owner, _member = _grant()
    organisation = grant.organisation
    today = utcnow().date()

    # The owner uploads the bank letter.
    sign_in(page, owner)
    page.goto(f"/organisations/{organisation.id}/documents")
    page.get_by_label("Kind of document").select_option(DocumentKind.BANK_LETTER.value)
    page.get_by_label("Issued on").fill((today - timedelta(days=5)).isoformat())
    page.get_by_label("File").set_input_files({"name": "bank-letter.pdf", "mimeType": "application/pdf",
                                               "buffer": _tiny_pdf("Banque: confirmation of the account")})
    send(page, page.get_by_role("button", name="Upload the document", exact=True))
    assert "Bank letter uploaded." in _flash(page)
    assert "Waiting for verification" in _main(page)

    # An admin verifies it.
    sign_in(page, admin)
    page.goto(f"/organisations/{organisation.id}/documents")
    with page.expect_navigation():
        page.get_by_role("link", name=re.compile("^Check it")).first.click()
    send(page, page.get_by_role("button", name="Verify", exact=True))
    assert "The document is verified." in _flash(page)
    letter = _db.session.scalar(select(Document).where(Document.organisation_id == organisation.id))
    _db.session.refresh(letter)
    assert (letter.status, letter.reviewed_by_id) == ("verified", admin.id)

    # The owner enters the bank details: a mistyped IBAN is refused beside its field, nothing typed is lost.
    sign_in(page, owner)
    page.goto(f"/organisations/{organisation.id}/payee")
    page.get_by_label("Account holder").fill(organisation.name)
    page.get_by_label("Bank", exact=True).fill("CBAO Groupe Attijariwafa bank")
    page.get_by_label("Country of the bank").select_option("SN")
    page.get_by_label("IBAN").fill(WRONG_IBAN)
    page.get_by_label("Currency of the account").fill("XOF")
    page.get_by_label("Bank letter").select_option(str(letter.id))
    send(page, page.get_by_role("button", name="Save the bank details", exact=True))
    assert "check digits are wrong" in page.locator("#iban-error").inner_text()
    assert page.get_by_label("IBAN").input_value().replace(" ", "") == WRONG_IBAN
    assert page.get_by_label("Account holder").input_value() == organisation.name
    assert page.get_by_label("Bank", exact=True).input_value() == "CBAO Groupe Attijariwafa bank"
    assert page.get_by_label("Country of the bank").input_value() == "SN"
    assert page.get_by_label("Currency of the account").input_value() == "XOF"
    assert page.get_by_label("Bank letter").input_value() == str(letter.id)
    assert _db.session.scalar(select(PayeeAccount.id).where(PayeeAccount.organisation_id == organisation.id)) is None
    page.get_by_label("IBAN").fill(IBAN_SN)
    send(page, page.get_by_role("button", name="Save the bank details", exact=True))
    assert "The bank details are saved." in _flash(page)

    # Admin A: the tranche cannot be paid yet, with the reasons, on the grant page.
    sign_in(page, admin)
    _pay(page, grant, "BANK-2026-0099")
    main = _main(page)
    assert "This tranche cannot be paid yet." in main
    assert "no verified bank details" in main and "no clear screening" in main
    assert page.get_by_label("Payment reference").input_value() == "BANK-2026-0099"
    assert tranches_of(grant)[0].status == TrancheStatus.PAYABLE

    # Admin A checks the details, and cannot confirm them too: told why.
    page.goto(f"/organisations/{organisation.id}/payee")
    send(page, page.get_by_role("button", name="Checked against the bank letter", exact=True))
    assert "Checked. A second administrator confirms the details next." in _flash(page)
    send(page, page.get_by_role("button", name="Confirm as the second administrator", exact=True))
    assert "You checked these bank details: a second administrator must confirm them." in _main(page)
    account = _db.session.scalar(select(PayeeAccount).where(PayeeAccount.organisation_id == organisation.id))
    _db.session.refresh(account)
    assert account.status == PayeeStatus.CHECKED

    # Admin B confirms them.
    second = _second_admin()
    sign_in(page, second)
    page.goto(f"/organisations/{organisation.id}/payee")
    send(page, page.get_by_role("button", name="Confirm as the second administrator", exact=True))
    assert "Confirmed: tranches are paid to this account from now on." in _flash(page)
    _db.session.refresh(account)
    assert (account.status, account.checked_by_id, account.confirmed_by_id) == (PayeeStatus.VERIFIED, admin.id,
                                                                               second.id)

    # Still no screening: the payment is refused, for that reason alone.
    sign_in(page, admin)
    _pay(page, grant, "BANK-2026-0100")
    main = _main(page)
    assert "This tranche cannot be paid yet." in main and "no clear screening" in main
    assert "no verified bank details" not in main

    # Admin A records a screening.
    page.goto(f"/admin/organisations/{organisation.id}/screenings")
    page.get_by_label("Programme").select_option(str(grant.call.programme_id))
    page.get_by_label(UN_LIST).check()
    page.get_by_label("Clear", exact=True).check()
    page.get_by_label("Evidence").fill("Searched the UN list's search page for each name: no entry.")
    send(page, page.get_by_role("button", name="Record the screening", exact=True))
    assert "The screening is recorded." in _flash(page)
    screening = _db.session.scalar(select(Screening).where(Screening.organisation_id == organisation.id))
    assert screening.result == ScreeningResult.CLEAR and screening.lists == [UN_LIST]
    assert organisation.name in screening.names

    # Only now does the tranche pay.
    _pay(page, grant, "BANK-2026-0101")
    assert "Payment recorded: tranche 1, reference BANK-2026-0101." in _flash(page)
    _db.session.expire_all()
    first = tranches_of(grant)[0]
    assert (first.status, first.payment_reference) == (TrancheStatus.PAID, "BANK-2026-0101")


# ---------------------------------------------------------------- amendments


def test_a_reallocation_on_notice_and_an_approved_extension_with_its_second_agreement_version(browse, admin):
    page = browse
    grant, owner, _member = _grant()
    equipment, training = lines(grant)
    assert grant.call.programme.reallocation_notice_percent == 10

    sign_in(page, owner)
    page.goto(f"/grants/{grant.id}/amendments")
    page.locator("#from-0").select_option(str(equipment.id))
    page.locator("#to-0").select_option(str(training.id))
    page.locator("#amount-0").fill("500.00")  # 6.25 % of the equipment line: under the 10 % threshold
    page.get_by_label("Why the money moves").fill("The routers cost less than quoted.")
    send(page, page.get_by_role("button", name="Move the money", exact=True))
    assert "The reallocation is in force on notice" in _flash(page)
    assert amounts(grant) == [7_500_00, 4_845_00]

    page.get_by_label("Number of days").fill("60")
    page.get_by_label("Why the grant needs more time").fill("The rainy season delayed the installation.")
    send(page, page.get_by_role("button", name="Ask for the extension", exact=True))
    assert "Your request was sent." in _flash(page)
    extension = _db.session.scalar(select(GrantAmendment).where(GrantAmendment.grant_id == grant.id,
                                                                GrantAmendment.kind == "extension"))
    assert extension.status == AmendmentStatus.REQUESTED and versions(grant) == [1]

    sign_in(page, admin)
    page.goto(f"/grants/{grant.id}/amendments")
    with page.expect_navigation():
        page.get_by_role("link", name="No-cost extension").click()
    send(page, page.get_by_role("button", name="Approve the amendment", exact=True))
    _db.session.refresh(extension)
    assert extension.status == AmendmentStatus.APPROVED and versions(grant) == [1, 2]

    sign_in(page, owner)
    page.goto(f"/grants/{grant.id}/amendments")
    with page.expect_download() as download:
        page.get_by_role("link", name="Version 2 (PDF)").click()
    assert download.value.suggested_filename.endswith("-v2.pdf")
    assert open(download.value.path(), "rb").read(5) == b"%PDF-"
    with page.expect_download() as first:
        page.get_by_role("link", name="Version 1 (PDF)").click()
    assert first.value.suggested_filename.endswith("-v1.pdf")
    assert grant.organisation.name in _pdf_text(first.value.path())


# ---------------------------------------------------------------- what others find, and axe


def _everything(grant, owner, admin):
    """A verified bank letter, bank details checked and waiting for a second admin, a pending document, a
    screening, a reallocation on notice and an approved extension (two agreement versions); through the services."""
    organisation = grant.organisation
    today = utcnow().date()
    letter = upload_document(owner, organisation.id, _pdf_stream("bank letter"), "bank-letter.pdf",
                             DocumentInput.from_input({"kind": "bank_letter",
                                                       "issued_on": (today - timedelta(days=3)).isoformat()}))
    verify_document(admin, letter.id)
    pending = upload_document(owner, organisation.id, _pdf_stream("statutes"), "statutes.pdf",
                              DocumentInput.from_input({"kind": "statutes", "issued_on": "2020-01-15"}))
    account = enter_payee(owner, organisation.id, PayeeInput.from_input({
        "account_holder": organisation.name, "bank_name": "CBAO", "bank_country": "SN", "iban": IBAN_SN,
        "currency": "XOF", "bank_letter_id": str(letter.id)}))
    check_payee(admin, account.id)
    _db.session.add(Screening(organisation_id=organisation.id, screened_on=today, checked_by_id=admin.id,
                              lists=[UN_LIST], names=[organisation.name], result=ScreeningResult.CLEAR,
                              evidence="Checked on the list's search page."))
    equipment, training = lines(grant)
    noted = request_amendment(owner, grant.id, reallocation((equipment, training, "500.00")))
    extension = request_amendment(owner, grant.id, ExtensionInput.from_input({"days": 60, "reason": "Rain."}))
    approve_amendment(admin, extension.id)
    _db.session.commit()
    assert noted.status == AmendmentStatus.NOTED
    return letter, pending, noted, extension


def _pdf_stream(text: str):
    from io import BytesIO

    return BytesIO(_tiny_pdf(text))


def test_another_organisations_member_finds_nothing_and_a_plain_member_no_documents_or_bank_details(page, db,
                                                                                                    admin):
    grant, owner, member = _grant()
    letter, pending, noted, extension = _everything(grant, owner, admin)
    organisation_id = grant.organisation_id
    stranger = UserFactory(name="Stella Stranger")
    MembershipFactory(user=stranger, role="owner")
    paths = [f"/organisations/{organisation_id}/documents", f"/organisations/{organisation_id}/payee",
             f"/organisations/{organisation_id}/documents/{letter.id}/file",
             f"/organisations/{organisation_id}/documents/{pending.id}/file",
             f"/grants/{grant.id}/amendments", f"/grants/{grant.id}/agreement/v1", f"/grants/{grant.id}/agreement/v2",
             f"/admin/grants/{grant.id}/amendments/{noted.id}", f"/admin/grants/{grant.id}/amendments/{extension.id}",
             f"/admin/documents/{letter.id}", f"/admin/organisations/{organisation_id}/screenings"]
    sign_in(page, owner)
    for path in paths[:7]:
        assert page.request.get(path).status == 200, path  # the crawl's URLs are real
    sign_in(page, stranger)
    for path in paths:
        assert page.request.get(path).status == 404, path
    posts = [f"/organisations/{organisation_id}/documents", f"/organisations/{organisation_id}/payee",
             f"/grants/{grant.id}/amendments/extension"]
    for path in posts:
        assert page.request.post(path, form={"x": "1"}).status in (400, 404), path  # never saved: no CSRF, no org
    sign_in(page, member)
    for path in paths[:4]:
        assert page.request.get(path).status == 404, path
    _db.session.expire_all()
    assert _db.session.scalar(select(GrantAmendment.id).where(GrantAmendment.grant_id == grant.id)
                              .order_by(GrantAmendment.id.desc()).limit(1)) == extension.id


def test_diligence_and_amendment_pages_meet_wcag_2_2_aa(page, db, admin):
    grant, owner, _member = _grant()
    letter, pending, noted, extension = _everything(grant, owner, admin)
    organisation_id = grant.organisation_id
    audit = Audit(page)
    sign_in(page, owner)
    audit.visit(f"/organisations/{organisation_id}/documents", "documents, owner")
    page.get_by_label("Kind of document").select_option("audited_accounts")
    send(page, page.get_by_role("button", name="Upload the document", exact=True))
    audit.check("documents, errors")
    audit.visit(f"/organisations/{organisation_id}/payee", "bank details, owner")
    page.get_by_label("IBAN").fill(WRONG_IBAN)
    send(page, page.get_by_role("button", name="Save the bank details", exact=True))
    audit.check("bank details, errors")
    audit.visit(f"/grants/{grant.id}/amendments", "amendments, owner")
    page.get_by_label("Number of days").fill("0")
    send(page, page.get_by_role("button", name="Ask for the extension", exact=True))
    audit.check("amendments, errors")

    sign_in(page, admin)
    audit.visit(f"/organisations/{organisation_id}/documents", "documents, admin")
    audit.visit(f"/admin/documents/{pending.id}", "document admin page")
    send(page, page.get_by_role("button", name="Refuse", exact=True))
    audit.check("document admin page, refusal without a reason")
    audit.visit(f"/organisations/{organisation_id}/payee", "bank details, admin")
    audit.visit(f"/admin/organisations/{organisation_id}/screenings", "screenings")
    page.get_by_label("Evidence").fill("")
    send(page, page.get_by_role("button", name="Record the screening", exact=True))
    audit.check("screenings, errors")
    audit.visit("/admin/verification", "verification queue")
    audit.visit(f"/grants/{grant.id}/amendments", "amendments, admin")
    audit.visit(f"/admin/grants/{grant.id}/amendments/{extension.id}", "admin amendment, approved")
    audit.visit(f"/admin/grants/{grant.id}/amendments/{noted.id}", "admin amendment, on notice")
    waiting = request_amendment(owner, grant.id, ExtensionInput.from_input({"days": 30, "reason": "More rain."}))
    _db.session.commit()
    audit.visit(f"/admin/grants/{grant.id}/amendments/{waiting.id}", "admin amendment, to decide")
    audit.visit(f"/grants/{grant.id}", "the grant, admin")
    assert page.locator("#payment-readiness").get_by_role("heading", name="Before paying").count() == 1
    audit.assert_clean()


# ---------------------------------------------------------------- on the demo


def test_on_the_demo_the_finance_officer_confirms_the_waiting_bank_details_and_the_tranche_pays(app, page, db):
    from cade.accounts.models import User
    from cade.demo.data import DEMO_PASSWORD, ORGANISATIONS
    from cade.grants.models import Grant

    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    pacific = next(spec["name"] for spec in ORGANISATIONS if spec["key"] == "pacific")
    admin = _db.session.scalar(select(User).where(User.email == "admin@cade.example"))
    finance = _db.session.scalar(select(User).where(User.email == "finance@cade.example"))
    grant = _db.session.scalar(select(Grant).where(Grant.organisation.has(name=pacific)))
    audit = Audit(page)

    sign_in(page, admin, password=DEMO_PASSWORD, language="en")
    page.goto("/admin/verification")
    confirm = " ".join(page.locator("section:has(#payees-confirm)").inner_text().split())
    assert pacific in confirm and "Sofia Almeida" in confirm  # checked by the demo admin
    page.goto(f"/grants/{grant.id}")
    assert "no verified bank details" in " ".join(page.locator("#payment-readiness").inner_text().split())
    page.goto(f"/organisations/{grant.organisation_id}/payee")
    send(page, page.get_by_role("button", name="Confirm as the second administrator", exact=True))
    assert "You checked these bank details: a second administrator must confirm them." in _main(page)

    sign_in(page, finance, password=DEMO_PASSWORD, language="en")
    audit.visit("/admin/verification", "demo: verification queue")
    with page.expect_navigation():
        page.locator("section:has(#payees-confirm)").get_by_role("link", name=pacific).click()
    audit.check("demo: bank details to confirm")
    send(page, page.get_by_role("button", name="Confirm as the second administrator", exact=True))
    assert "Confirmed: tranches are paid to this account from now on." in _flash(page)
    _pay(page, grant, "EC-INTPA-WSIS26-0005")
    assert "Payment recorded: tranche 1, reference EC-INTPA-WSIS26-0005." in _flash(page)
    audit.check("demo: the grant paid")
    audit.assert_clean()
