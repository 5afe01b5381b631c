"""Report runs: asked for on /reports/, compiled by the task, files kept and expired, the requester told."""

import io
import re
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from cade.core.db import utcnow
from cade.core.runs import Run, RunStatus
from cade.extensions import db as _db
from cade.reports.services.runs import compile_report, delete_expired_files, queue_monthly_summary, request_report
from cade.reports.services.summary import FundingSummaryInput
from tests.factories import UserFactory
from tests.reports.test_summary import fixture  # noqa: F401  (the hand-computed fixture)


def _compile(admin, **data) -> Run:
    run = request_report(admin, FundingSummaryInput.from_input({"currency": "USD", **data}))
    _db.session.commit()
    return compile_report(run.id, commit_progress=_db.session.commit)


def _file(client, run, fmt) -> bytes:
    response = client.get(f"/reports/{run.id}/{fmt}")
    assert response.status_code == 200, response.data[:300]
    return response.data


def test_a_run_compiles_every_file_and_tells_the_requester(fixture, admin, outbox, client, login):  # noqa: F811
    run = _compile(admin)
    _db.session.commit()

    assert run.status == RunStatus.SUCCEEDED, run.error
    assert sorted(f["format"] for f in run.files) == ["csv", "pdf", "xlsx"]
    assert run.result["total"]["converted"]["awarded"] == 23_200_00
    [message] = outbox("reports.ready")
    assert message.recipient_id == admin.id and message.context["run_id"] == run.id

    login(admin)
    page = client.get(f"/reports/{run.id}/").get_data(as_text=True)
    assert "$23,200.00" in page and "Latin America and the Caribbean" in page  # Brazil's sub-region
    # The same figures in every file: the XLSX's total sheet, the CSV's total file, the PDF's text.
    workbook = load_workbook(io.BytesIO(_file(client, run, "xlsx")), read_only=True)
    sheet_rows = [[cell for cell in row] for row in workbook.worksheets[0].iter_rows(values_only=True)]
    # Columns: group, currency, applications, awards, rate, requested, awarded, disbursed, returned, then converted.
    assert any(row[1] == "EUR" and row[2] == 2 and float(row[10]) == pytest.approx(13_200.00) for row in sheet_rows
               if len(row) > 10)
    with zipfile.ZipFile(io.BytesIO(_file(client, run, "csv"))) as archive:
        total = archive.read("total.csv").decode("utf-8-sig")
    assert "EUR" in total and "13200.00" in total and "22000.00" in total
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(_file(client, run, "pdf"))).pages)
    assert "13,200.00" in text and "Funding summary" in text


def test_two_admins_asking_at_once_get_two_runs(fixture, admin):  # noqa: F811
    other = UserFactory(roles=["admin"])
    first = request_report(admin, FundingSummaryInput.from_input({"currency": "USD"}))
    second = request_report(other, FundingSummaryInput.from_input({"currency": "EUR"}))
    _db.session.commit()
    assert first.id != second.id
    assert compile_report(first.id, _db.session.commit).status == RunStatus.SUCCEEDED
    assert compile_report(second.id, _db.session.commit).status == RunStatus.SUCCEEDED
    # Handing a finished run to a worker again does nothing.
    assert compile_report(first.id, _db.session.commit).status == RunStatus.SUCCEEDED


def test_a_missing_rate_fails_the_run_with_its_reason(fixture, admin, client, login):  # noqa: F811
    run = _compile(admin, currency="GBP", date_to="2026-11-30")
    _db.session.commit()
    assert run.status == RunStatus.FAILED
    assert "GBP" in run.error and "2026-11-30" in run.error
    login(admin)
    page = client.get(f"/runs/{run.id}").get_data(as_text=True)
    assert "GBP" in page and "compile again" in page


def test_files_past_their_keep_time_expire_and_offer_to_compile_again(fixture, admin, client, login, app):  # noqa: F811
    run = _compile(admin)
    run.finished_at = utcnow() - timedelta(days=app.config["REPORT_KEEP_DAYS"] + 1)
    _db.session.commit()
    assert delete_expired_files() == 1
    _db.session.commit()

    login(admin)
    response = client.get(f"/reports/{run.id}/xlsx")
    assert response.status_code == 410
    assert f"/reports/?again={run.id}" in response.get_data(as_text=True)
    again = client.get(f"/reports/?again={run.id}").get_data(as_text=True)
    assert re.search(r'<option selected value="USD">|<option value="USD" selected>', again), "the run's currency"


def test_the_monthly_summary_is_queued_once_and_sent_to_every_admin(fixture, admin, outbox):  # noqa: F811
    from datetime import date

    other = UserFactory(roles=["admin"])
    run = queue_monthly_summary(today=date(2026, 3, 5))
    _db.session.commit()
    assert queue_monthly_summary(today=date(2026, 3, 20)) is None
    assert (run.params["date_from"], run.params["date_to"]) == ("2026-02-01", "2026-02-28")
    compile_report(run.id, _db.session.commit)
    _db.session.commit()
    assert {m.recipient_id for m in outbox("reports.ready")} == {admin.id, other.id}


def test_the_report_pages_are_for_admins_only(fixture, admin, client, login):  # noqa: F811
    run = _compile(admin)
    _db.session.commit()
    login(UserFactory())
    for path in ("/reports/", f"/reports/{run.id}/", f"/reports/{run.id}/csv", f"/runs/{run.id}"):
        assert client.get(path).status_code == 404, path


def test_asking_for_a_report_on_the_page(fixture, admin, client, login, broker):  # noqa: F811
    login(admin)
    response = client.post("/reports/", data={"currency": "USD", "programme_ids": [str(fixture["usd"].id)],
                                               "date_from": "2025-01-01", "date_to": "2025-12-31"})
    assert response.status_code == 303
    run = _db.session.scalars(select(Run).order_by(Run.id.desc())).first()
    assert response.headers["Location"].endswith(f"/runs/{run.id}")
    assert run.params["programme_ids"] == [fixture["usd"].id]
    assert [name for name, _args in broker()] == ["reports.compile"]


def test_a_bad_request_names_its_field_and_keeps_what_was_chosen(fixture, admin, client, login):  # noqa: F811
    login(admin)
    response = client.post("/reports/", data={"currency": "USD", "date_from": "2026-03-01",
                                               "date_to": "2026-01-01"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The end of the period must not be before its start." in page
    assert 'value="2026-03-01"' in page
    assert _db.session.scalar(select(Run.id)) is None


def test_the_command_writes_a_report_file(fixture, app, tmp_path):  # noqa: F811
    out = tmp_path / "summary.xlsx"
    result = app.test_cli_runner().invoke(args=["compile-report", "funding-summary", "--format", "xlsx",
                                                "--out", str(out), "--currency", "USD"])
    assert result.exit_code == 0, result.output
    assert load_workbook(out, read_only=True).sheetnames


def test_the_command_names_a_bad_option(fixture, app, tmp_path):  # noqa: F811
    out = tmp_path / "summary.csv"
    result = app.test_cli_runner().invoke(args=["compile-report", "funding-summary", "--format", "csv",
                                                "--out", str(out), "--currency", "USD", "--from", "soon"])
    assert result.exit_code != 0
    assert "--from" in result.output
    assert not out.exists()


def test_the_files_are_written_in_the_requesters_language(fixture, client, login):  # noqa: F811
    from flask_babel import force_locale, gettext

    admin = UserFactory(roles=["admin"], locale="fr")
    run = _compile(admin)
    _db.session.commit()
    login(admin)
    with force_locale("fr"):
        title, by_region = gettext("Funding summary"), gettext("By region")
    assert title != "Funding summary"
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(_file(client, run, "pdf"))).pages)
    assert title in text and "13 200,00" in text.replace("\u202f", " ").replace("\xa0", " ")
    assert by_region in load_workbook(io.BytesIO(_file(client, run, "xlsx")), read_only=True).sheetnames
