"""CSV downloads of report tables: one file per table, or every table in a zip.

The bytes are UTF-8 with a byte-order mark, so that spreadsheet programs
(Excel above all) open names such as "São Tomé" in UTF-8 rather than in the
machine's legacy code page, and lines end in CRLF, as RFC 4180 and the
`csv` module's default dialect have it.

A cell is written for the program that opens the file:
- text that a spreadsheet would run as a formula (starting with ``=``, ``+``,
  ``-``, ``@``, a tab or a carriage return) gets a leading ``'``, as OWASP's
  CSV injection guidance asks; numbers are never escaped, so -1 stays -1;
- money is a plain decimal with a dot and its currency's minor digits (1500
  yen, 12.50 euros, 1.234 dinars): the currency is the table's business, in a
  column of its own where a table holds several;
- a percent is its fraction with four decimals ("0.2500");
- None is an empty cell.
"""

import csv
import re
import zipfile
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal
from io import TextIOWrapper
from typing import BinaryIO

from cade.core.csvtext import safe_text
from cade.core.money import Money
from cade.reports.outputs.cells import rows
from cade.reports.tables import Table

PERCENT_PLACES = Decimal("0.0001")
# A table's name becomes a file name inside the zip: no folders, no "..", no hidden files.
FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")


def _written(value) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, Money):
        return format(value.amount, "f")  # already quantized to the currency's minor digits
    if isinstance(value, Decimal):
        return format(value.quantize(PERCENT_PLACES, rounding=ROUND_HALF_UP), "f")
    return str(value)  # a count


def write_csv(table: Table, stream: BinaryIO) -> None:
    """Write `table` to the binary `stream` (left open); TypeError for a cell its column cannot hold."""
    text = TextIOWrapper(stream, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text)  # the excel dialect: "," and CRLF, quoting only where needed
        writer.writerow([safe_text(str(column.title)) for column in table.columns])
        for row in rows(table):
            writer.writerow([_written(value) for value in row])
        text.flush()
    finally:
        text.detach()  # the caller owns the stream; closing the wrapper would close it


def write_csv_zip(tables: Iterable[Table], stream: BinaryIO) -> None:
    """Write one CSV per table (``by-region.csv``, ...) in a zip to `stream`; ValueError for a bad or repeated name."""
    tables = list(tables)
    names = [f"{table.name}.csv" for table in tables]
    for table, name in zip(tables, names):
        if not FILE_NAME.fullmatch(table.name) or names.count(name) > 1:
            raise ValueError(f"table name {table.name!r} is not a unique plain file name")
    with zipfile.ZipFile(stream, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for table, name in zip(tables, names):
            with archive.open(name, "w") as member:
                write_csv(table, member)
