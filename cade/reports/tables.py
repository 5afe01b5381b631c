"""The shape every report output is written from: named tables of typed columns.

The funding summary (and later reports) compiles its figures into `Table`s;
the writers in `cade/reports/outputs/` (CSV, XLSX, the dashboard's charts and
PDF) know only this shape, never how a figure was computed. A cell's type
follows its column's kind:

- ``text``: a str (a name, a code's label) — written as text, never as a formula;
- ``count``: an int;
- ``number``: a float (a mean, a gain), or None where there is none;
- ``money``: a `cade.core.money.Money` (its own currency: a table of figures per
  currency holds several), or None where there is no amount;
- ``percent``: a `Decimal` fraction (0.25 is 25 %), or None where it has no meaning
  (a success rate of no applications).
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

ColumnKind = Literal["text", "count", "number", "money", "percent"]


@dataclass(frozen=True)
class Column:
    key: str  # stable, for CSV headers' machine use and tests: "awarded"
    title: str  # in the reader's language: "Awarded"
    kind: ColumnKind = "text"


@dataclass(frozen=True)
class Table:
    name: str  # a slug, unique in a report: the CSV's file name and the XLSX sheet ("by-region")
    title: str  # in the reader's language: "By region"
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]] = field(default_factory=list)
    note: str = ""  # shown under the table: the rates used, a baseline's source

    def __post_init__(self):
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.name!r}: a row of {len(row)} cells for {len(self.columns)} columns")
