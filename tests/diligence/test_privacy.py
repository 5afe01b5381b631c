"""Bank details never leave through the funding summary (dashboard, CSV, XLSX, PDF) or the grants lists."""

import io
import json
import zipfile
from datetime import date

from openpyxl import load_workbook
from pypdf import PdfReader

from cade.extensions import db as _db
from cade.grants.services import open_grant
from cade.grants.tranches import PaymentInput, pay_tranche, tranches_of
from cade.reports.services.runs import compile_report, request_report
from cade.reports.services.summary import FundingSummaryInput
from tests.diligence.payee_helpers import IBAN_SN, ready_to_pay, verified_account
from tests.factories import OrganisationFactory
from tests.grants.helpers import accepted_decision

ACCOUNT_NUMBER = "00987654321"


def secrets_in(text: str) -> list[str]:
    squeezed = "".join(text.split())
    return [secret for secret in (IBAN_SN, ACCOUNT_NUMBER, IBAN_SN[4:16]) if secret in text or secret in squeezed]


def paid_grant(admin):
    decision, owner = accepted_decision()
    grant = open_grant(decision)
    _db.session.commit()
    ready_to_pay(grant.organisation, grant.call.programme)
    pay_tranche(admin, tranches_of(grant)[0].id,
                PaymentInput.from_input({"paid_on": "2026-11-25", "reference": "WIRE-1"}, today=date(2026, 12, 5)))
    _db.session.commit()
    other = OrganisationFactory()  # an account number without an IBAN, of an organisation without a grant
    account = verified_account(other)
    account.iban, account.account_number = None, ACCOUNT_NUMBER
    _db.session.commit()
    return grant, owner


def test_no_bank_details_in_any_format_of_the_funding_summary(db, admin, client, login):
    grant, _owner = paid_grant(admin)
    run = request_report(admin, FundingSummaryInput.from_input({"currency": grant.currency}))
    _db.session.commit()
    run = compile_report(run.id, _db.session.commit)
    _db.session.commit()
    assert secrets_in(json.dumps(run.result)) == []
    login(admin)
    assert secrets_in(client.get(f"/reports/{run.id}/").get_data(as_text=True)) == []
    archive = zipfile.ZipFile(io.BytesIO(client.get(f"/reports/{run.id}/csv").data))
    assert archive.namelist() and all(secrets_in(archive.read(name).decode("utf-8-sig")) == []
                                      for name in archive.namelist())
    workbook = load_workbook(io.BytesIO(client.get(f"/reports/{run.id}/xlsx").data), read_only=True)
    cells = " ".join(str(value) for sheet in workbook for row in sheet.iter_rows(values_only=True)
                     for value in row if value is not None)
    assert cells and secrets_in(cells) == []
    pdf = PdfReader(io.BytesIO(client.get(f"/reports/{run.id}/pdf").data))
    assert secrets_in(" ".join(page.extract_text() for page in pdf.pages)) == []


def test_no_bank_details_on_the_grants_lists_or_the_grantees_grant_page(db, admin, client, login):
    grant, owner = paid_grant(admin)
    login(admin)
    listed = client.get("/admin/grants/").get_data(as_text=True)
    assert grant.decision.application.title in listed and secrets_in(listed) == []
    login(owner)
    for url in ("/grants/", f"/grants/{grant.id}"):
        page = client.get(url).get_data(as_text=True)
        assert grant.decision.application.title in page and secrets_in(page) == []
