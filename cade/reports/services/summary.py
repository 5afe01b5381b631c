"""The funding summary: applications, awards and money per breakdown, per currency and converted.

Every figure is a SQL aggregate over the applications' submission snapshots
(`Application.org_*`, `application_focus_areas`) and their released
decisions, never rows looped over in Python: on PostgreSQL one statement with
GROUPING SETS computes every breakdown in a single pass over the rows; on
SQLite, which has no grouping sets, the same groupings are one UNION ALL. The
focus-area breakdown joins a table with a row per area (an application counts
under each of its areas), so it is a statement of its own.

Amounts are summed per currency (the currency the call was run in, kept on
the decision at award), then each currency's sums are converted to the
reporting currency with the latest rate on or before the report's rate day
(the end of the period, or today), and the rates used are listed with the
figures. A group's converted figure is the sum of its currencies' converted
sums, so every converted total is the sum of the rows shown above it.

What this module returns is plain JSON (codes, minor units, ISO dates): it is
kept as the run's result and written in the reader's language when shown
(`cade/reports/services/tables.py`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, and_, case, cast, extract, func, select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application, ApplicationFocusArea
from cade.awards.constants import DecisionOutcome, DecisionStatus
from cade.awards.models import Decision
from cade.core.commands import Codes, Command, Currency, Day, FieldErrors, Ids, field
from cade.core.errors import ValidationFailed
from cade.core.money import Money, round_to_minor
from cade.core.rates import convert
from cade.extensions import db
from cade.programmes.models import Call, Programme
from cade.reports.constants import COUNTRY_LIST_KEYS, TARGET_DIMENSIONS, Dimension
from cade.reports.models import RepresentationTarget
from cade.reports.services.grouping import grouped_rows
from cade.reports.services.indicator_figures import indicator_figures
from cade.reports.services.money_flows import FLOW_MEASURES, money_flows
from cade.reports.services.review_figures import review_figures
from cade.reports.services.training_figures import training_figures
from cade.reports.services.travel_figures import travel_figures


@dataclass(frozen=True)
class FundingSummaryInput(Command):
    """What an administrator asks of a funding summary (the report page, the API, `flask compile-report`)."""

    programme_ids: list = field(Ids(), default_factory=list)
    call_ids: list = field(Ids(), default_factory=list)
    date_from: date | None = field(Day(required=False))
    date_to: date | None = field(Day(required=False))
    currency: str = field(Currency(required=True))
    group_by: list = field(Codes(Dimension, message=_l("Choose only from the listed breakdowns.")),
                           default_factory=list)

    def check(self, errors: FieldErrors) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            errors.add("date_to", _l("The end of the period must not be before its start."))

    @property
    def dimensions(self) -> list[Dimension]:
        """The breakdowns asked for; all of them when none was named."""
        return [Dimension(d) for d in self.group_by] or list(Dimension)

    def to_params(self) -> dict:
        """The command as the run keeps it (JSON)."""
        return {"programme_ids": list(self.programme_ids), "call_ids": list(self.call_ids),
                "date_from": self.date_from.isoformat() if self.date_from else None,
                "date_to": self.date_to.isoformat() if self.date_to else None,
                "currency": self.currency, "group_by": [str(d) for d in self.group_by]}


# -- the statement ------------------------------------------------------------------------------------

# An award counts once released, unless its offer was declined or lapsed (its money went back to the envelope).
# The open data publishes the same awards (cade/reports/open_data/selection.py).
RELEASED_AWARD = and_(Decision.outcome == DecisionOutcome.AWARD,
                       Decision.status.in_([DecisionStatus.RELEASED, DecisionStatus.ACCEPTED]))
_CURRENCY = func.coalesce(Decision.currency, Programme.currency)


def _key_columns() -> dict[Dimension, object]:
    """The SQL expression each breakdown (but focus area) groups by, over the base join."""
    country_lists = (cast(Application.org_ldc, Integer) * 4 + cast(Application.org_lldc, Integer) * 2
                     + cast(Application.org_sids, Integer))
    return {
        Dimension.PROGRAMME: Call.programme_id,
        Dimension.CALL: Application.call_id,
        Dimension.YEAR: extract("year", Application.submitted_at),
        Dimension.REGION: Application.org_region_code,
        Dimension.SUBREGION: Application.org_subregion_code,
        Dimension.COUNTRY: Application.org_country,
        Dimension.STAKEHOLDER_GROUP: Application.org_stakeholder_group,
        Dimension.ORGANISATION_TYPE: Application.org_type,
        Dimension.FIRST_TIME: cast(Application.org_first_time, Integer),
        Dimension.COUNTRY_LIST: country_lists,
    }


MEASURES = ("applications", "awards", "requested", "awarded")
# What each currency's row holds: counts, and the amounts that are also converted to the reporting currency.
AMOUNTS = ("requested", "awarded", *FLOW_MEASURES)
FIGURES = ("applications", "awards", *AMOUNTS)


def _measures():
    return (
        func.count(Application.id).label("applications"),
        func.count(case((RELEASED_AWARD, Application.id))).label("awards"),
        func.coalesce(func.sum(Application.requested_amount_minor), 0).label("requested"),
        func.coalesce(func.sum(case((RELEASED_AWARD, Decision.amount_minor))), 0).label("awarded"),
    )


def _filters(command: FundingSummaryInput) -> list:
    """Submitted applications (a withdrawn one is not counted) in the period and the programmes and calls asked."""
    found = [Application.submitted_at.is_not(None), Application.status != ApplicationStatus.WITHDRAWN]
    if command.programme_ids:
        found.append(Call.programme_id.in_(command.programme_ids))
    if command.call_ids:
        found.append(Application.call_id.in_(command.call_ids))
    if command.date_from:
        found.append(Application.submitted_at >= _start_of(command.date_from))
    if command.date_to:
        found.append(Application.submitted_at < _start_of(command.date_to + timedelta(days=1)))
    return found


def _start_of(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=timezone.utc)


def _joined(statement):
    return (statement.select_from(Application).join(Call, Call.id == Application.call_id)
            .join(Programme, Programme.id == Call.programme_id)
            .outerjoin(Decision, Decision.application_id == Application.id))


Grouping = tuple[Dimension, ...]


def _groupings(dimensions: list[Dimension], target_dimensions: list[Dimension]) -> list[Grouping]:
    """The total, each breakdown, and programme × dimension for the representation targets."""
    single = [(d,) for d in dimensions if d != Dimension.FOCUS_AREA]
    if target_dimensions and Dimension.PROGRAMME not in dimensions:
        single.append((Dimension.PROGRAMME,))  # each programme's awards: the whole a target's share is of
    per_programme = [(Dimension.PROGRAMME, d) for d in target_dimensions]
    return [(), *single, *per_programme]


def _aggregate(command: FundingSummaryInput, groupings: list[Grouping]) -> list[tuple[Grouping, tuple, dict]]:
    """(grouping, keys, figures) for every group of every grouping, figures per currency (one statement)."""
    filters = _filters(command)
    return [(grouping, key_values, {"currency": currency, **_read(mapping, MEASURES)})
            for grouping, (currency,), key_values, mapping in grouped_rows(
                _key_columns(), groupings, lambda statement: _joined(statement).where(*filters), _measures(),
                [_CURRENCY])]


def _read(mapping, names) -> dict:
    return {name: int(mapping[name] or 0) for name in names}


def _focus_areas(command: FundingSummaryInput) -> list[tuple[Grouping, tuple, dict]]:
    statement = _joined(select(ApplicationFocusArea.focus_area, _CURRENCY.label("currency"), *_measures()))
    statement = (statement.join(ApplicationFocusArea, ApplicationFocusArea.application_id == Application.id)
                 .where(*_filters(command)).group_by(ApplicationFocusArea.focus_area, _CURRENCY))
    return [((Dimension.FOCUS_AREA,), (row.focus_area,), {"currency": row.currency, **_read(row._mapping, MEASURES)})
            for row in db.session.execute(statement)]


# -- keys ---------------------------------------------------------------------------------------------


def _normalise(dimension: Dimension, raw) -> list[str]:
    """The key(s) a raw group value stands for: a country-list mask counts under each list it holds."""
    if raw is None:
        return ["unknown"]
    if dimension == Dimension.COUNTRY_LIST:
        mask = int(raw)
        lists = [name for bit, name in ((4, "LDC"), (2, "LLDC"), (1, "SIDS")) if mask & bit]
        return lists or ["none"]
    if dimension == Dimension.FIRST_TIME:
        return ["first" if int(raw) else "returning"]
    if dimension == Dimension.YEAR:
        return [str(int(raw))]
    return [str(raw)]


def _sort_key(dimension: Dimension, key: str):
    if dimension == Dimension.COUNTRY_LIST:
        return COUNTRY_LIST_KEYS.index(key) if key in COUNTRY_LIST_KEYS else len(COUNTRY_LIST_KEYS)
    if dimension in (Dimension.YEAR, Dimension.PROGRAMME, Dimension.CALL):
        return int(key) if key.isdigit() else 0
    return key


# -- conversion ---------------------------------------------------------------------------------------


class _Converter:
    """Converts sums of one currency to the reporting currency at one dated rate each (looked up once)."""

    def __init__(self, to_currency: str, on: date):
        self.to_currency = to_currency
        self.on = on
        self._rates: dict[str, tuple[Decimal, bool]] = {}
        self.used: list[dict] = []

    def __call__(self, amount_minor: int, currency: str) -> int:
        if currency == self.to_currency:
            return amount_minor
        if currency not in self._rates:
            conversion = convert(Money.zero(currency), self.to_currency, self.on)  # raises ExchangeRateMissing
            self._rates[currency] = (conversion.rate, conversion.inverted)
            self.used.append({"from": currency, "to": self.to_currency, "rate": str(conversion.rate),
                              "inverted": conversion.inverted, "date": conversion.rate_date.isoformat(),
                              "source": conversion.source})
        rate, inverted = self._rates[currency]
        original = Money(amount_minor, currency).amount
        return round_to_minor(original / rate if inverted else original * rate, self.to_currency)


def _figures(per_currency: list[dict], converter: _Converter) -> dict:
    """One group's figures: per currency as summed (each with its sums converted), and their converted total.

    A currency may come in several parts (the awards, the money moved in the period, two country-list masks
    standing for the same list): they are added up first.
    """
    merged: dict[str, dict] = {}
    for figures in per_currency:
        row = merged.setdefault(figures["currency"], {"currency": figures["currency"], **dict.fromkeys(FIGURES, 0)})
        for name in FIGURES:
            row[name] += figures.get(name, 0)
    rows = []
    converted = dict.fromkeys(FIGURES, 0)
    for currency in sorted(merged):
        row = merged[currency]
        row.update({f"{name}_converted": converter(row[name], currency) for name in AMOUNTS})
        rows.append(row)
        converted["applications"] += row["applications"]
        converted["awards"] += row["awards"]
        for name in AMOUNTS:
            converted[name] += row[f"{name}_converted"]
    return {"by_currency": rows, "converted": converted}


# -- the summary --------------------------------------------------------------------------------------


def funding_summary(command: FundingSummaryInput, *, today: date | None = None) -> dict:
    """Every figure of the funding summary `command` asks for, as JSON (see the module's docstring).

    An empty selection gives a summary of zeros and empty breakdowns. Raises
    ValidationFailed naming a programme or call that does not exist, and
    ExchangeRateMissing naming the currency and the day a rate is missing for.
    """
    check_selection(command)
    rate_day = command.date_to or today or date.today()
    converter = _Converter(command.currency, rate_day)
    targets = _targets(command)
    target_dimensions = sorted({Dimension(t.dimension) for t in targets}, key=list(Dimension).index)
    groupings = _groupings(command.dimensions, target_dimensions)
    rows = _aggregate(command, groupings)
    if Dimension.FOCUS_AREA in command.dimensions:
        rows += _focus_areas(command)
    rows += money_flows(_key_columns(), [g for g in groupings if len(g) <= 1], programme_ids=command.programme_ids,
                        call_ids=command.call_ids, date_from=command.date_from, date_to=command.date_to,
                        focus_area=Dimension.FOCUS_AREA in command.dimensions)

    grouped: dict[Grouping, dict[tuple, list[dict]]] = defaultdict(lambda: defaultdict(list))
    for grouping, raw_keys, figures in rows:
        for keys in _expand(grouping, raw_keys):
            grouped[grouping][keys].append(figures)

    total = _figures(grouped[()].get((), []), converter)
    breakdowns = {}
    for dimension in command.dimensions:
        groups = grouped.get((dimension,), {})
        ordered = sorted(groups, key=lambda keys: _sort_key(dimension, keys[0]))
        breakdowns[str(dimension)] = [{"key": keys[0], **_figures(groups[keys], converter)} for keys in ordered]
    per_programme = {grouping: {keys: _figures(figures, converter) for keys, figures in groups.items()}
                     for grouping, groups in grouped.items() if len(grouping) == 2}
    return {
        "kind": "funding-summary",
        "params": command.to_params(),
        "currency": command.currency,
        "rate_date": rate_day.isoformat(),
        "rates": converter.used,
        "total": total,
        "breakdowns": breakdowns,
        "targets": _target_rows(targets, per_programme, grouped.get((Dimension.PROGRAMME,), {}), converter),
        "reviews": review_figures(_joined(select(Application.id)).where(*_filters(command))),
        "training": training_figures(command.date_from, command.date_to),
        "indicators": indicator_figures(command),
        "travel": travel_figures(lambda statement: _joined(statement).where(*_filters(command), RELEASED_AWARD),
                                 _key_columns(), _normalise, programme_ids=command.programme_ids,
                                 call_ids=command.call_ids, targets=targets),
    }


def _expand(grouping: Grouping, raw_keys: tuple) -> list[tuple]:
    """The normalised keys of a group (a country-list mask stands for each list it holds)."""
    keys = [()]
    for dimension, raw in zip(grouping, raw_keys, strict=True):
        keys = [prefix + (value,) for prefix in keys for value in _normalise(dimension, raw)]
    return keys


def check_selection(command: FundingSummaryInput) -> None:
    """Raise ValidationFailed naming `programme_ids` or `call_ids` when one names no programme or call."""
    errors = FieldErrors()
    for name, model, ids in (("programme_ids", Programme, command.programme_ids),
                             ("call_ids", Call, command.call_ids)):
        if ids:
            found = set(db.session.scalars(select(model.id).where(model.id.in_(ids))))
            if set(ids) - found:
                errors.add(name, _l("Choose only from the listed options."))
    if errors:
        raise ValidationFailed(errors.errors)


def _targets(command: FundingSummaryInput) -> list[RepresentationTarget]:
    statement = select(RepresentationTarget).order_by(RepresentationTarget.programme_id, RepresentationTarget.id)
    programme_ids = set(command.programme_ids)
    if command.call_ids:
        programme_ids |= set(db.session.scalars(select(Call.programme_id).where(Call.id.in_(command.call_ids))))
    if programme_ids:
        statement = statement.where(RepresentationTarget.programme_id.in_(programme_ids))
    return [t for t in db.session.scalars(statement) if t.dimension in {str(d) for d in TARGET_DIMENSIONS}]


def _share(part: int, whole: int) -> str | None:
    return None if not whole else str((Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001")))


def _target_rows(targets, per_programme, programme_groups, converter) -> list[dict]:
    """Actual share of each programme's awards (by count and by amount) beside its target and baseline."""
    found = []
    for target in targets:
        programme = str(target.programme_id)
        figures = per_programme.get((Dimension.PROGRAMME, Dimension(target.dimension)), {}).get(
            (programme, target.value))
        actual = figures["converted"] if figures else {"awards": 0, "awarded": 0}
        whole = _figures(programme_groups.get((programme,), []), converter)["converted"]
        count_share = _share(actual["awards"], whole["awards"])
        amount_share = _share(actual["awarded"], whole["awarded"])
        below = [share for share in (count_share, amount_share)
                 if share is not None and target.target_share is not None and Decimal(share) < target.target_share]
        found.append({"programme_id": target.programme_id, "dimension": target.dimension, "value": target.value,
                      "target_share": None if target.target_share is None else str(target.target_share),
                      "baseline_share": None if target.baseline_share is None else str(target.baseline_share),
                      "baseline_source": target.baseline_source or "",
                      "awards": actual["awards"], "awarded": actual["awarded"],
                      "programme_awards": whole["awards"], "programme_awarded": whole["awarded"],
                      "count_share": count_share, "amount_share": amount_share, "shortfall": bool(below)})
    return found
