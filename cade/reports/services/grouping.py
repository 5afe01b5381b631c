"""Several GROUP BYs of one base query in one statement: GROUPING SETS on PostgreSQL, UNION ALL elsewhere.

The funding summary, its money flows and its indicator roll-up each ask the
same rows for a total and for several breakdowns. PostgreSQL computes every
grouping in one pass (GROUP BY GROUPING SETS, with GROUPING() telling the
sets apart); SQLite, which has no grouping sets, gets the same groupings as
one UNION ALL of GROUP BYs. Either way it is one statement, whatever the
number of rows or groups.
"""

from collections.abc import Callable, Hashable, Iterator, Mapping, Sequence

from sqlalchemy import func, literal, null, select, tuple_, union_all

from cade.extensions import db

Grouping = tuple[Hashable, ...]


def grouping_mask(used: Sequence[Hashable], grouping: Grouping) -> int:
    """GROUPING(k1, …, kn) for a set: bit (n-1-i) is 1 when k_i is not in it (the leftmost argument is the high bit)."""
    mask = 0
    for index, key in enumerate(used):
        if key not in grouping:
            mask |= 1 << (len(used) - 1 - index)
    return mask


def grouped_rows(keys: Mapping[Hashable, object], groupings: Sequence[Grouping], base: Callable, measures: Sequence,
                 always: Sequence) -> Iterator[tuple[Grouping, tuple, tuple, Mapping]]:
    """(grouping, values of `always`, values of the grouping's keys, the row's mapping) for every group.

    `keys` maps a breakdown to the SQL expression it groups by; each grouping
    names some of them; `always` are expressions every grouping also groups
    by (a currency, an indicator); `measures` are labelled aggregates, read
    from the mapping by their labels; `base(statement)` adds the FROM, joins
    and WHERE to a select of those columns.
    """
    used = list(dict.fromkeys(k for grouping in groupings for k in grouping))
    fixed = [expression.label(f"a_{index}") for index, expression in enumerate(always)]
    if db.engine.dialect.name == "postgresql":
        columns = [keys[k].label(f"k_{k}") for k in used]
        marker = (func.grouping(*[keys[k] for k in used]) if used else literal(0)).label("grouping_mask")
        sets = [tuple_(*always, *[keys[k] for k in grouping]) for grouping in groupings]
        statement = base(select(*fixed, marker, *columns, *measures)).group_by(func.grouping_sets(*sets))
        by_mask = {grouping_mask(used, grouping): grouping for grouping in groupings}
        for row in db.session.execute(statement):
            mapping = row._mapping
            grouping = by_mask[mapping["grouping_mask"]]
            yield (grouping, tuple(mapping[f"a_{i}"] for i in range(len(always))),
                   tuple(mapping[f"k_{k}"] for k in grouping), mapping)
        return
    parts = []
    for index, grouping in enumerate(groupings):
        columns = [(keys[k] if k in grouping else null()).label(f"k_{k}") for k in used]
        part = base(select(literal(index).label("grouping_index"), *fixed, *columns, *measures))
        parts.append(part.group_by(*always, *[keys[k] for k in grouping]))
    if not parts:
        return
    for row in db.session.execute(union_all(*parts) if len(parts) > 1 else parts[0]):
        mapping = row._mapping
        grouping = groupings[mapping["grouping_index"]]
        yield (grouping, tuple(mapping[f"a_{i}"] for i in range(len(always))),
               tuple(mapping[f"k_{k}"] for k in grouping), mapping)
