"""XLSX downloads of report tables: one sheet per table, written with XlsxWriter in constant memory.

Why XlsxWriter: it writes real numbers with number formats, frozen panes and
column widths, and in ``constant_memory`` mode it streams each row to a
temporary file as it is written, so a sheet of a million rows costs the
worker no more memory than a sheet of ten (openpyxl's write-only mode does
too, but is slower and writes no column widths before the rows). The price
is that rows go in order, once: each sheet is written top to bottom, its
widths measured first on a sample of its rows.

A cell is written as a spreadsheet should read it:
- text with ``write_string`` always, so "=1+1" or "http://…" stays text;
- counts as integers; percents as fractions formatted ``0.0%``;
- money as a number with its currency in the cell's format (``#,##0.00
  "EUR"``, ``#,##0 "JPY"``, ``#,##0.000 "BHD"``): the figure stays a figure a
  formula can add, and a column mixing currencies still says which is which.
  The code stands before or after the figure as in the reader's language
  (CLDR: "USD 10.00" in English, "10,00 USD" in French); the separators
  are the spreadsheet program's, from its own settings;
- None as a blank cell.
A table's note follows its data after a blank row.
"""

import re
import tempfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from functools import cache
from itertools import islice
from typing import BinaryIO

import xlsxwriter
from babel import Locale
from flask_babel import get_locale

from cade.core.money import Money, minor_units
from cade.reports.outputs.cells import rows
from cade.reports.tables import Table

SAMPLE_ROWS = 200  # rows read to size the columns before the sheet is written
MIN_WIDTH, MAX_WIDTH = 6, 60  # in characters
SHEET_NAME_LENGTH = 31
RESERVED_SHEET_NAMES = {"history"}  # Excel keeps "History" for its change tracking
NOT_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\\x00-\x1f\x7f]")


def write_xlsx(tables: Iterable[Table], stream: BinaryIO, *, locale=None) -> None:
    """Write one sheet per table to the binary `stream`; TypeError for a cell its column cannot hold.

    `locale` (default: the request's or task's language) places the currency
    codes in money formats.
    """
    tables = list(tables)
    locale = str(locale or get_locale() or "en")
    # Our own folder for XlsxWriter's row files, so that a failure half-way leaves none behind.
    with tempfile.TemporaryDirectory(prefix="cade-xlsx-") as folder:
        workbook = xlsxwriter.Workbook(stream, {
            "constant_memory": True,
            "tmpdir": folder,
            # We say what each cell is; nothing is guessed from the look of a string.
            "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False,
        })
        formats = _Formats(workbook, locale)
        try:
            for table, name in zip(tables, sheet_names(tables)):
                _write_sheet(workbook.add_worksheet(name), table, formats)
        except BaseException:
            # close() would hand the caller half a workbook: close only the row files, as close() does.
            for sheet in workbook.worksheets():
                sheet._opt_close()
            raise
        workbook.close()


def sheet_names(tables: Sequence[Table]) -> list[str]:
    """A valid sheet name for each table: its title (else its name) shortened, cleaned and made unique.

    Excel refuses names over 31 characters, with any of ``[]:*?/\\``, starting
    or ending with an apostrophe, or equal to another sheet's but for case.
    """
    taken = set(RESERVED_SHEET_NAMES)
    names = []
    for table in tables:
        base = _clean(str(table.title)) or _clean(table.name) or "Sheet"
        name, number = _shorten(base, SHEET_NAME_LENGTH), 1
        while name.casefold() in taken:
            number += 1
            suffix = f" ({number})"
            name = _shorten(base, SHEET_NAME_LENGTH - len(suffix)) + suffix
        taken.add(name.casefold())
        names.append(name)
    return names


def _clean(title: str) -> str:
    return " ".join(NOT_IN_SHEET_NAMES.sub(" ", title).split()).strip("'").strip()


def _shorten(name: str, length: int) -> str:
    # Excel counts UTF-16 code units: an emoji takes two.
    while len(name.encode("utf-16-le")) // 2 > length:
        name = name[:-1]
    return name.rstrip().rstrip("'").rstrip()


class _Formats:
    """The workbook's formats, each made once: a workbook holds a limited number of them."""

    def __init__(self, workbook, locale: str):
        self._workbook = workbook
        self._code_first = _currency_code_first(locale)
        self._money = {}
        self.header = workbook.add_format({"bold": True})
        self.percent = workbook.add_format({"num_format": "0.0%"})

    def money(self, currency: str):
        if currency not in self._money:
            digits = minor_units(currency)
            number = "#,##0" + ("." + "0" * digits if digits else "")
            code = f'"{currency}"'
            pattern = f"{code} {number}" if self._code_first else f"{number} {code}"
            self._money[currency] = self._workbook.add_format({"num_format": pattern})
        return self._money[currency]


@cache
def _currency_code_first(locale: str) -> bool:
    pattern = Locale.parse(locale).currency_formats["standard"].pattern.split(";")[0]
    return pattern.index("¤") < min(pattern.index(c) for c in "#0" if c in pattern)


def _write_sheet(sheet, table: Table, formats: _Formats) -> None:
    sheet.freeze_panes(1, 0)
    for index, width in enumerate(_widths(table)):
        sheet.set_column(index, index, width)
    for index, column in enumerate(table.columns):
        sheet.write_string(0, index, str(column.title), formats.header)
    row_index = 0
    for row_index, row in enumerate(rows(table), start=1):
        for index, value in enumerate(row):
            if value is None:
                continue
            if isinstance(value, str):
                sheet.write_string(row_index, index, value)
            elif isinstance(value, Money):
                sheet.write_number(row_index, index, float(value.amount), formats.money(value.currency))
            elif isinstance(value, Decimal):
                sheet.write_number(row_index, index, float(value), formats.percent)
            else:
                sheet.write_number(row_index, index, value)
    if table.note:
        sheet.write_string(row_index + 2, 0, str(table.note))


def _widths(table: Table) -> list[float]:
    widths = [len(str(column.title)) for column in table.columns]
    for row in islice(rows(table), SAMPLE_ROWS):
        for index, value in enumerate(row):
            widths[index] = max(widths[index], len(_shown(value)))
    return [min(max(width + 2, MIN_WIDTH), MAX_WIDTH) for width in widths]


def _shown(value) -> str:
    """Roughly what the spreadsheet shows, to size a column."""
    if value is None:
        return ""
    if isinstance(value, str):
        return max(value.splitlines() or [""], key=len)
    if isinstance(value, Money):
        return f"{value.amount:,} {value.currency}"
    if isinstance(value, Decimal):
        return f"{value * 100:.1f}%"
    return f"{value:,}"
