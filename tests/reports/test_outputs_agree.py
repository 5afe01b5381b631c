"""The dashboard, the CSV, the XLSX and the PDF of one summary say the same, figure by figure, per currency."""

import csv
import io
import zipfile
from decimal import Decimal

from openpyxl import load_workbook
from pypdf import PdfReader

from cade.core.money import Money
from cade.extensions import db as _db
from cade.reports.outputs.xlsx import sheet_names
from cade.reports.services.runs import compile_report, request_report
from cade.reports.services.summary import FundingSummaryInput
from cade.reports.services.tables import summary_tables
from tests.reports.test_summary import fixture  # noqa: F401  (the hand-computed fixture)


def _expected(cell):
    """A table cell as a number (money in major units) or text, to compare with what a file holds."""
    if isinstance(cell, Money):
        return cell.amount
    if isinstance(cell, Decimal):
        return cell.quantize(Decimal("0.0001"))
    return cell


def _number(text: str, kind: str):
    if text == "":
        return None
    return int(text) if kind == "count" else Decimal(text)


def test_every_file_holds_the_dashboards_figures(fixture, admin, client, login):  # noqa: F811
    run = request_report(admin, FundingSummaryInput.from_input({"currency": "USD"}))
    _db.session.commit()
    run = compile_report(run.id, _db.session.commit)
    _db.session.commit()
    tables = summary_tables(run.result)
    login(admin)
    files = {fmt: client.get(f"/reports/{run.id}/{fmt}").data for fmt in ("csv", "xlsx", "pdf")}
    dashboard = client.get(f"/reports/{run.id}/").get_data(as_text=True)
    archive = zipfile.ZipFile(io.BytesIO(files["csv"]))
    workbook = load_workbook(io.BytesIO(files["xlsx"]), read_only=True)
    pdf_text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(files["pdf"])).pages)

    compared = 0
    for table, sheet in zip(tables, sheet_names(tables), strict=True):
        csv_rows = list(csv.reader(io.StringIO(archive.read(f"{table.name}.csv").decode("utf-8-sig"))))[1:]
        xlsx_rows = list(workbook[sheet].iter_rows(min_row=2, max_row=1 + len(table.rows), values_only=True))
        assert len(csv_rows) == len(xlsx_rows) == len(table.rows), table.name
        for row, from_csv, from_xlsx in zip(table.rows, csv_rows, xlsx_rows, strict=True):
            for column, cell, csv_cell, xlsx_cell in zip(table.columns, row, from_csv, from_xlsx):
                expected = _expected(cell)
                if column.kind == "text":
                    assert csv_cell.lstrip("'") == str(cell) == str(xlsx_cell), (table.name, column.key)
                    continue
                assert _number(csv_cell, column.kind) == expected, (table.name, column.key, csv_cell)
                if expected is None:
                    assert xlsx_cell is None
                else:
                    assert Decimal(str(xlsx_cell)).quantize(Decimal("0.0001")) == Decimal(expected).quantize(
                        Decimal("0.0001")), (table.name, column.key, xlsx_cell)
                if isinstance(cell, Money):
                    shown = cell.format()
                    assert shown in dashboard, (table.name, shown)
                    assert shown in pdf_text, (table.name, shown)
                compared += 1
    assert compared > 250  # every figure of every table, not a sample
