"""Who we brought: the travellers a funding summary's travel programmes supported, and whom they were.

A traveller supported is a trip whose application's decision is an award
that was released (the summary's own test of an award, handed in with its
rows), counted by the organisation's region, country and stakeholder group
(the application's submission snapshot), by the traveller's gender where
they gave it, whether it was their first time, and their role at the event;
and, against each travel programme's representation targets, the share of
its travellers in the target's group.

Gender is self-described free text: it is grouped as written (trimmed, in
lower case), a blank one is "not given", and nothing is ever inferred. A
group of fewer than GENDER_MIN_TRAVELLERS would point at a person, so such
groups are merged, with the ones not given, into "other or not given" before
the figures are kept: no compiled run, page or export holds them. The
passport country is never read.

One statement with GROUPING SETS (UNION ALL on SQLite, see `grouping.py`)
counts every breakdown per programme, so the targets' shares come from the
same pass; one more finds the selection's travel programmes. The figures
are plain JSON (codes and counts), as the rest of the summary.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from decimal import Decimal

from sqlalchemy import Integer, cast, func, select

from cade.applications.models import Application
from cade.extensions import db
from cade.programmes.constants import ProgrammeKind
from cade.programmes.models import Call, Programme
from cade.reports.constants import TARGET_DIMENSIONS, Dimension
from cade.reports.services.grouping import grouped_rows
from cade.travel.models import Trip

GENDER_MIN_TRAVELLERS = 5  # a smaller gender group is merged into "other or not given"

# The breakdowns shown, in order; the first three are the application's snapshot, the others the trip's.
TRAVEL_BREAKDOWNS = ("region", "country", "stakeholder_group", "gender", "first_time", "role")
NOT_GIVEN = "not_given"
MERGED = "other_or_not_given"
UNKNOWN = "unknown"
_LAST = (UNKNOWN, NOT_GIVEN, MERGED)  # listed after the groups that were given


def travel_programme_ids(programme_ids, call_ids) -> list[int]:
    """The travel-support programmes a summary's selection includes (all of them when it names none)."""
    statement = select(Programme.id).where(Programme.kind == ProgrammeKind.TRAVEL_SUPPORT).order_by(Programme.id)
    if programme_ids:
        statement = statement.where(Programme.id.in_(programme_ids))
    if call_ids:
        statement = statement.where(Programme.id.in_(select(Call.programme_id).where(Call.id.in_(call_ids))))
    return list(db.session.scalars(statement))


def _keys(org_keys: Mapping[Dimension, object]) -> dict[str, object]:
    gender = func.nullif(func.lower(func.trim(Trip.gender)), "")
    return {"region": org_keys[Dimension.REGION], "subregion": org_keys[Dimension.SUBREGION],
            "country": org_keys[Dimension.COUNTRY], "stakeholder_group": org_keys[Dimension.STAKEHOLDER_GROUP],
            "country_list": org_keys[Dimension.COUNTRY_LIST], "gender": gender,
            "first_time": cast(Trip.first_time, Integer), "role": Trip.role}


def _normalised(name: str, raw, normalise: Callable) -> list[str]:
    if name in ("region", "subregion", "country", "stakeholder_group", "country_list"):
        return normalise(Dimension(name), raw)
    if raw is None:
        return [NOT_GIVEN if name in ("gender", "first_time") else UNKNOWN]
    if name == "first_time":
        return ["first" if int(raw) else "returning"]
    return [str(raw)]


def _merge_small_genders(counts: Counter) -> Counter:
    """Gender groups of fewer than GENDER_MIN_TRAVELLERS, and the ones not given, as one "other or not given"."""
    small = [key for key, n in counts.items() if key != NOT_GIVEN and n < GENDER_MIN_TRAVELLERS]
    if not small:
        return counts
    kept = Counter({key: n for key, n in counts.items() if key not in small and key != NOT_GIVEN})
    kept[MERGED] = sum(counts[key] for key in small) + counts.get(NOT_GIVEN, 0)
    return kept


def _ordered(counts: Counter) -> list[dict]:
    rows = sorted(counts.items(), key=lambda item: (_LAST.index(item[0]) + 1 if item[0] in _LAST else 0,
                                                    -item[1], item[0]))
    return [{"key": key, "travellers": n} for key, n in rows]


def _share(part: int, whole: int) -> str | None:
    return None if not whole else str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")))


def travel_figures(base: Callable, org_keys: Mapping[Dimension, object], normalise: Callable, *,
                   programme_ids, call_ids, targets) -> dict | None:
    """The travel figures as JSON, or None when the selection includes no travel-support programme.

    `base(statement)` adds to a select the summary's joins and filters with its
    released-award test (Application, Call, Programme, Decision); `org_keys` are the
    summary's snapshot columns by dimension and `normalise(dimension, raw)` its
    keys for them; `targets` are the selection's RepresentationTargets (only the
    travel programmes' are compared). Returns {"programme_ids", "travellers",
    "breakdowns": {name: [{"key", "travellers"}]}, "targets": [...]}.
    """
    programmes = travel_programme_ids(programme_ids, call_ids)
    if not programmes:
        return None
    comparable = {str(d) for d in TARGET_DIMENSIONS}
    targets = [t for t in targets if t.programme_id in programmes and t.dimension in comparable]
    targeted = {t.dimension for t in targets} - set(TRAVEL_BREAKDOWNS)
    groupings = [(), *[(name,) for name in (*TRAVEL_BREAKDOWNS, *sorted(targeted))]]

    def trips(statement):
        return (base(statement).join(Trip, Trip.application_id == Application.id)
                .where(Call.programme_id.in_(programmes)))

    counts: dict[str, Counter] = defaultdict(Counter)  # breakdown → key → travellers, all travel programmes
    per_programme: dict[tuple[int, str], Counter] = defaultdict(Counter)  # (programme, breakdown) → key → n
    totals: Counter = Counter()
    for grouping, (programme_id,), raw_keys, mapping in grouped_rows(
            _keys(org_keys), groupings, trips, [func.count(func.distinct(Trip.id)).label("travellers")],
            [Call.programme_id]):
        travellers = int(mapping["travellers"] or 0)
        if not grouping:
            totals[programme_id] += travellers
            continue
        name = grouping[0]
        for key in _normalised(name, raw_keys[0], normalise):
            per_programme[(programme_id, name)][key] += travellers
            if name in TRAVEL_BREAKDOWNS:
                counts[name][key] += travellers
    counts["gender"] = _merge_small_genders(counts["gender"])
    return {
        "programme_ids": programmes,
        "travellers": sum(totals.values()),
        "breakdowns": {name: _ordered(counts[name]) for name in TRAVEL_BREAKDOWNS},
        "targets": [_target_row(t, per_programme, totals) for t in targets],
    }


def _target_row(target, per_programme, totals) -> dict:
    travellers = per_programme[(target.programme_id, target.dimension)][target.value]
    whole = totals[target.programme_id]
    share = _share(travellers, whole)
    return {"programme_id": target.programme_id, "dimension": target.dimension, "value": target.value,
            "target_share": None if target.target_share is None else str(target.target_share),
            "baseline_share": None if target.baseline_share is None else str(target.baseline_share),
            "baseline_source": target.baseline_source or "", "travellers": travellers,
            "programme_travellers": whole, "share": share,
            "shortfall": share is not None and target.target_share is not None
            and Decimal(share) < target.target_share}
