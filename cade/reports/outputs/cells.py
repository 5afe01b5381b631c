"""One reading of a table's cells for every writer: the value a column's kind allows, or TypeError.

A writer asks `cell(table, column, value)` and gets a str (text), an int
(count), a float (number: a mean, a gain), a `Money`, a `Decimal` fraction
(percent) or None, so that CSV and
XLSX cannot disagree about what a cell holds. A value of the wrong type is a
bug in whoever compiled the table: the error names the table and the column,
rather than writing "12" as text in one file and 12 in another.
"""

from decimal import Decimal
from numbers import Integral

from cade.core.money import Money
from cade.reports.tables import Column, Table


def cell(table: Table, column: Column, value):
    """`value` as its column's kind has it (see the module docstring); TypeError if it does not fit."""
    if column.kind == "text":
        return None if value is None else str(value)  # also a lazy translation (a region's name)
    if value is None and column.kind in ("money", "percent", "number"):
        return None
    if column.kind == "count":
        if isinstance(value, Integral) and not isinstance(value, bool):
            return int(value)
        if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
            return int(value)  # SUM() of integers comes back as a Decimal on PostgreSQL
    elif column.kind == "number":
        if isinstance(value, (Integral, float, Decimal)) and not isinstance(value, bool):
            return float(value)
    elif column.kind == "money":
        if isinstance(value, Money):
            return value
    elif column.kind == "percent":
        if isinstance(value, Decimal) and value.is_finite():
            return value
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return Decimal(str(value))
    else:
        raise TypeError(f"table {table.name!r}, column {column.key!r}: unknown kind {column.kind!r}")
    raise TypeError(
        f"table {table.name!r}, column {column.key!r}: a {column.kind} cell cannot be {type(value).__name__} {value!r}"
    )


def rows(table: Table):
    """Each row of `table` as a list of cells read by `cell`, one row at a time."""
    columns = list(table.columns)
    for row in table.rows:
        yield [cell(table, column, value) for column, value in zip(columns, row)]
