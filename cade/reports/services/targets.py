"""Representation targets: an administrator sets, per programme, the share of awards meant to reach a group.

A target names a group on one of the dimensions the funding summary can
compare (TARGET_DIMENSIONS): a UN M49 region or sub-region, a stakeholder
group, or a UN country list (LDC, LLDC, SIDS). Only the groups an
application's submission snapshot can hold are offered: a region target must
be one of the five top-level regions, and Latin America and the Caribbean
(419) is a sub-region, as M49 files it. A programme has at most one target
per group (the table's unique constraint): setting a group again updates its
target rather than adding a second one, so a double click or two
administrators at once leave one row. Shares are typed as percentages and
kept as fractions (30 % is 0.3000), the way the summary reads them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from babel import Locale
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cade.core.audit import record_event
from cade.core.commands import Choice, Cleaner, Command, FieldErrors, Text, field
from cade.core.countries import COUNTRY_LISTS, country_choices, get_country, sort_key
from cade.core.errors import NotFound, PermissionDenied
from cade.core.forms import parse_decimal_input
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.organisations.constants import StakeholderGroup
from cade.programmes.models import Programme
from cade.reports.constants import TARGET_DIMENSIONS, Dimension
from cade.reports.models import RepresentationTarget
from cade.reports.services.tables import labeller

SOURCE_MAX_CHARS = 300
# The column is Numeric(5, 4): a fraction with four places, so a percentage with two.
PERCENT_PLACES = 2

# The heading each dimension's groups go under where a person chooses one.
DIMENSION_GROUP_TITLES = {
    Dimension.REGION: _l("Regions"),
    Dimension.SUBREGION: _l("Sub-regions"),
    Dimension.STAKEHOLDER_GROUP: _l("Stakeholder groups"),
    Dimension.COUNTRY_LIST: _l("UN country lists"),
}


def can_set_targets(user) -> bool:
    return is_admin(user)


@cache
def _m49_codes() -> tuple[frozenset[str], frozenset[str]]:
    """The region and sub-region codes the countries are filed under: what a submission snapshot can hold."""
    countries = [get_country(code) for code, _name in country_choices(Locale("en"))]
    return (frozenset(c.region_code for c in countries if c.region_code),
            frozenset(c.subregion_code for c in countries if c.subregion_code))


def region_codes() -> frozenset[str]:
    return _m49_codes()[0]


def subregion_codes() -> frozenset[str]:
    return _m49_codes()[1]


def target_values(dimension: str) -> frozenset[str]:
    """The groups a target on `dimension` may name (empty for a dimension targets are not set on)."""
    match dimension:
        case Dimension.REGION:
            return region_codes()
        case Dimension.SUBREGION:
            return subregion_codes()
        case Dimension.STAKEHOLDER_GROUP:
            return frozenset(str(group) for group in StakeholderGroup)
        case Dimension.COUNTRY_LIST:
            return frozenset(COUNTRY_LISTS)
    return frozenset()


def target_choices() -> list[tuple[Dimension, str, list[tuple[str, str]]]]:
    """(dimension, heading, [(value, name)]) for every target dimension, names sorted in the reader's language.

    Country lists keep the UN's order (LDC, LLDC, SIDS).
    """
    label = group_labeller()
    found = []
    for dimension in TARGET_DIMENSIONS:
        pairs = [(value, label(dimension, value)) for value in target_values(dimension)]
        if dimension == Dimension.COUNTRY_LIST:
            pairs.sort(key=lambda pair: list(COUNTRY_LISTS).index(pair[0]))
        else:
            pairs.sort(key=lambda pair: sort_key(pair[1]))
        found.append((dimension, str(DIMENSION_GROUP_TITLES[dimension]), pairs))
    return found


def group_labeller():
    """label(dimension, value) in the reader's language, as the summary's tables name the same groups."""
    label, _programmes = labeller({"breakdowns": {}, "targets": []})
    return label


# -- the command ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetValue(Cleaner):
    """A group of the dimension cleaned before it: a region or sub-region code, a stakeholder group, a UN list."""

    dimension_field: str = "dimension"

    def clean(self, raw, cleaning):
        dimension = cleaning.values.get(self.dimension_field)
        if dimension is None:  # the dimension itself is wrong; that error is already reported
            return None
        value = raw.strip() if isinstance(raw, str) else ""
        if dimension in (Dimension.REGION, Dimension.SUBREGION) and value.isdigit():
            value = value.zfill(3)  # M49 codes are three digits: "2" is Africa's 002
        elif dimension == Dimension.COUNTRY_LIST:
            value = value.upper()
        if value not in target_values(dimension):
            cleaning.refuse(_l("Choose a group from the list."))
            return None
        return value


def _reader_locale(cleaning) -> str:
    return str(cleaning.context.get("locale") or get_locale() or "en")


@dataclass(frozen=True)
class Percentage(Cleaner):
    """A percentage as a person types it ("30", "30 %", "12,5" in French) → the fraction it is (0.1250).

    A number handed by a program (an int, a Decimal) is a percentage too. At
    most two decimal places: the column keeps four places of the fraction, and
    a share is refused rather than rounded. `above_zero` refuses 0.
    """

    required: bool = True
    above_zero: bool = True
    message: object = _l("Enter a percentage, such as 30.")

    def clean(self, raw, cleaning):
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if self.required:
                cleaning.refuse(self.message)
            return None
        number = self._number(raw, cleaning)
        if number is None:
            cleaning.refuse(self.message)
            return None
        if number > 100 or number < 0 or (self.above_zero and number == 0):
            cleaning.refuse(_l("Enter a percentage above 0 and at most 100.") if self.above_zero
                            else _l("Enter a percentage from 0 to 100."))
            return None
        if number != number.quantize(Decimal(1).scaleb(-PERCENT_PLACES)):
            cleaning.refuse(_l("Use at most %(n)d decimal places.", n=PERCENT_PLACES))
            return None
        return (number / 100).quantize(Decimal("0.0001"))

    @staticmethod
    def _number(raw, cleaning) -> Decimal | None:
        if isinstance(raw, bool):
            return None
        if isinstance(raw, int | Decimal):
            number = Decimal(raw)
        elif isinstance(raw, float):
            number = Decimal(str(raw))  # a JSON number: 12.5 as written, not its binary neighbour
        elif isinstance(raw, str):
            # str.strip() also takes the no-break spaces some languages write before the sign.
            text = raw.strip().removesuffix("%").strip()
            try:
                number = parse_decimal_input(text, _reader_locale(cleaning))
            except (ValueError, InvalidOperation):
                return None
        else:
            return None
        return number if number.is_finite() else None


@dataclass(frozen=True)
class TargetInput(Command):
    """A target as an administrator sets it: the group, its share of awards and an optional baseline."""

    dimension: str | None = field(Choice(TARGET_DIMENSIONS, required=True, message=_l("Choose a group from the list.")))
    value: str | None = field(TargetValue())
    target_share: Decimal | None = field(Percentage(message=_l("Enter the target share of awards, such as 30.")),
                                         source="target_percent")
    baseline_share: Decimal | None = field(Percentage(required=False, above_zero=False,
                                                      message=_l("Enter the baseline share, such as 8.")),
                                           source="baseline_percent")
    baseline_source: str | None = field(Text(max_len=SOURCE_MAX_CHARS))

    def check(self, errors: FieldErrors) -> None:
        if self.baseline_share is not None and not self.baseline_source and "baseline_source" not in errors:
            errors.add("baseline_source", _l("Say where the baseline comes from."))
        if (self.baseline_source and self.baseline_share is None and "baseline_percent" not in errors
                and "baseline_source" not in errors):
            errors.add("baseline_percent", _l("Enter the baseline this source gives, or clear the source."))


# -- the service ------------------------------------------------------------------------------------------

_SETTINGS = ("target_share", "baseline_share", "baseline_source")


def _snapshot(target: RepresentationTarget, names=("programme_id", "dimension", "value", *_SETTINGS)) -> dict:
    values = {name: getattr(target, name) for name in names}
    return {name: str(value) if isinstance(value, Decimal) else value for name, value in values.items()}


def _find(programme_id: int, dimension: str, value: str) -> RepresentationTarget | None:
    return db.session.scalar(select(RepresentationTarget).where(
        RepresentationTarget.programme_id == programme_id, RepresentationTarget.dimension == dimension,
        RepresentationTarget.value == value))


def set_target(actor, programme_id: int, command: TargetInput) -> tuple[RepresentationTarget, bool]:
    """Set the programme's target for the command's group: create it, or update the one it has; audit the change.

    Returns the target and whether it was created. Setting the values a
    target already has changes nothing and writes no audit row (a double
    click). Two administrators setting the same group at once: the unique
    constraint refuses the second row and that request updates the first.
    Raises PermissionDenied (not an administrator) and NotFound (no such
    programme). Flushes, never commits.
    """
    if not can_set_targets(actor):
        raise PermissionDenied()
    if db.session.get(Programme, programme_id) is None:
        raise NotFound()
    settings = command.changes(*_SETTINGS)
    target = _find(programme_id, command.dimension, command.value)
    if target is None:
        target = RepresentationTarget(programme_id=programme_id, dimension=command.dimension, value=command.value,
                                      **settings)
        try:
            with db.session.begin_nested():
                db.session.add(target)
                db.session.flush()
        except IntegrityError:
            target = _find(programme_id, command.dimension, command.value)
            if target is None:  # not the unique constraint after all
                raise
        else:
            record_event(actor, "representation_target.created", target, None, _snapshot(target))
            return target, True
    before = _snapshot(target, _SETTINGS)
    for name, value in settings.items():
        setattr(target, name, value)
    db.session.flush()
    after = _snapshot(target, _SETTINGS)
    if after != before:
        record_event(actor, "representation_target.updated", target, before, after)
    return target, False


def delete_target(actor, target_id: int) -> None:
    """Remove a target, auditing what it was. Raises PermissionDenied, NotFound. Flushes, never commits."""
    if not can_set_targets(actor):
        raise PermissionDenied()
    target = db.session.get(RepresentationTarget, target_id)
    if target is None:
        raise NotFound(_l("This target had already been removed."))
    record_event(actor, "representation_target.deleted", target, _snapshot(target), None)
    db.session.delete(target)
    db.session.flush()


def programme_targets(programme_id: int) -> list[tuple[RepresentationTarget, str]]:
    """The programme's targets with their groups' names, by dimension then name (one query)."""
    label = group_labeller()
    order = [str(d) for d in TARGET_DIMENSIONS]
    targets = db.session.scalars(select(RepresentationTarget).where(RepresentationTarget.programme_id == programme_id))
    named = [(t, label(t.dimension, t.value)) for t in targets]
    return sorted(named, key=lambda pair: (order.index(pair[0].dimension) if pair[0].dimension in order
                                           else len(order), sort_key(pair[1])))
