"""Outcome indicators: what a programme's grantees report, each grant's targets, and its progress towards them.

A programme defines its indicators (a code, a label, a unit, whether evidence
is required) in an order the admins choose. The code is a slug, unique in the
programme, that exports and open data use: it is fixed once a report has
given a value for it. An indicator is never deleted, only retired (its
reported values stay and still count in the summaries). Each grant may set a
target per active indicator; its progress is the sum of the values of its
APPROVED reports (values are per report period and add up), against that
target. Suggested indicators per programme kind can be added in one action.
"""

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from cade.core.permissions import require_admin
from cade.core.db import get_or_raise
from cade.core.audit import record_event
from cade.core.commands import Cleaner, Command, FieldErrors, Flag, Text, field
from cade.core.errors import InvalidTransition, NotFound, ValidationFailed
from cade.core.forms import parse_decimal_input
from cade.extensions import db
from cade.grants.constants import ReportStatus
from cade.grants.models import Grant, GrantReport, Indicator, IndicatorTarget, IndicatorValue
from cade.programmes.constants import ProgrammeKind
from cade.programmes.models import Call, Programme

CODE_PATTERN = re.compile(r"[a-z0-9]+(?:[-_][a-z0-9]+)*")
CODE_MAX = 40
TARGET_MAX = Decimal("9999999999999999.99")  # what Numeric(18, 2) holds
INDICATOR_FIELDS = ("code", "label", "unit", "evidence_required", "active", "position")


# ---------------------------------------------------------------- suggestions


@dataclass(frozen=True)
class SuggestedIndicator:
    code: str
    label: object  # lazy text: stored in the language of the admin who adds it
    unit: object


DEFAULT_INDICATORS = {
    ProgrammeKind.COMMUNITY_NETWORK: (
        SuggestedIndicator("networks", _l("Community networks built or supported"), _l("networks")),
        SuggestedIndicator("people-connected", _l("People connected"), _l("people")),
        SuggestedIndicator("sites-connected", _l("Sites connected"), _l("sites")),
        SuggestedIndicator("operators-trained", _l("Local operators trained"), _l("people")),
    ),
    ProgrammeKind.CAPACITY_DEVELOPMENT: (
        SuggestedIndicator("staff-trained", _l("Staff trained"), _l("people")),
        SuggestedIndicator("policy-submissions", _l("Policy submissions made"), _l("submissions")),
        SuggestedIndicator("processes-engaged", _l("International processes engaged in"), _l("processes")),
    ),
}


def default_indicators(kind: str) -> list[SuggestedIndicator]:
    """The indicators suggested for a programme of `kind` (none for a kind without suggestions)."""
    try:
        return list(DEFAULT_INDICATORS.get(ProgrammeKind(kind), ()))
    except ValueError:
        return []


# ---------------------------------------------------------------- commands


@dataclass(frozen=True)
class Slug(Cleaner):
    """A short code of lower-case letters and digits joined by hyphens or underscores ("people-connected")."""

    max_len: int = CODE_MAX

    def clean(self, raw, cleaning):
        value = str(raw).strip().lower() if isinstance(raw, str) else ""
        if not value:
            cleaning.refuse(_l("Enter a code, such as people-connected."))
            return None
        if len(value) > self.max_len or not CODE_PATTERN.fullmatch(value):
            cleaning.refuse(_l("Use at most %(n)d lower-case letters and digits, joined by hyphens "
                               "(people-connected).", n=self.max_len))
            return None
        return value


@dataclass(frozen=True)
class IndicatorInput(Command):
    """An indicator as the admin types it, whole: an edit restates every field."""

    code: str = field(Slug())
    label: str = field(Text(max_len=200, required=True))
    unit: str = field(Text(max_len=60, required=True))
    evidence_required: bool = field(Flag(), default=False)


@dataclass(frozen=True)
class Targets(Cleaner):
    """{indicator id: text typed} → {indicator id: Decimal or None (blank: no target)}, read in `locale`.

    Errors go on `target-<id>`, the name of each target's input.
    """

    def clean(self, raw, cleaning):
        locale = str(cleaning.context.get("locale") or "en")
        found: dict[int, Decimal | None] = {}
        for key, text in dict(raw or {}).items():
            try:
                indicator_id = int(key)
            except (TypeError, ValueError):
                cleaning.refuse(_l("Not a valid choice."))
                continue
            name = f"target-{indicator_id}"
            text = str(text or "").strip()
            if not text:
                found[indicator_id] = None
                continue
            try:
                value = parse_decimal_input(text, locale)
            except (ValueError, InvalidOperation) as error:
                cleaning.errors.add(name, str(error) or _l("Enter a number."))  # its message, in the reader's language
                continue
            if value < 0:
                cleaning.errors.add(name, _l("Enter a target of zero or more."))
            elif value != value.quantize(Decimal("0.01")):
                cleaning.errors.add(name, _l("Use at most two decimals."))
            elif value > TARGET_MAX:
                cleaning.errors.add(name, _l("This number is too large."))
            else:
                found[indicator_id] = value.quantize(Decimal("0.01"))
        return found


@dataclass(frozen=True)
class TargetsInput(Command):
    """A grant's targets: every active indicator's input, blank for no target."""

    targets: dict = field(Targets(), default_factory=dict)

    @classmethod
    def from_form(cls, form, indicator_ids, **context) -> "TargetsInput":
        """The targets posted as `target-<id>` for each of `indicator_ids`, read in the reader's locale."""
        context.setdefault("locale", str(get_locale() or "en"))
        return cls.from_input({"targets": {i: form.get(f"target-{i}", "") for i in indicator_ids}}, **context)


# ---------------------------------------------------------------- reading


def indicators_of(programme_id: int, active_only: bool = True) -> list[Indicator]:
    """The programme's indicators in their order (retired ones too with `active_only=False`)."""
    statement = select(Indicator).where(Indicator.programme_id == programme_id)
    if active_only:
        statement = statement.where(Indicator.active.is_(True))
    return list(db.session.scalars(statement.order_by(Indicator.position, Indicator.id)))


def is_code_used(indicator_id: int) -> bool:
    """Whether a report has given a value for the indicator (its code is then fixed)."""
    return db.session.scalar(select(IndicatorValue.id).where(IndicatorValue.indicator_id == indicator_id)
                             .limit(1)) is not None


def used_indicator_ids(programme_id: int) -> set[int]:
    """The programme's indicators some report gave a value for (one query, for the list page)."""
    return set(db.session.scalars(
        select(IndicatorValue.indicator_id).join(Indicator, Indicator.id == IndicatorValue.indicator_id)
        .where(Indicator.programme_id == programme_id).distinct()))


@dataclass(frozen=True)
class IndicatorProgress:
    indicator: Indicator
    target: Decimal | None  # None: no target set for this grant
    achieved: Decimal  # the sum of the values of the grant's approved reports
    share: Decimal | None  # achieved / target as a fraction (1 is 100 %); None without a positive target


def grant_programme_id(grant: Grant) -> int:
    return db.session.scalar(select(Call.programme_id).where(Call.id == grant.call_id))


def grant_progress(grant: Grant) -> list[IndicatorProgress]:
    """Per indicator of the grant's programme, in order: target, achieved (approved reports only), share.

    Active indicators always; a retired one only where the grant has a target or an approved value for it.
    Two queries whatever the number of indicators and reports.
    """
    programme_id = grant_programme_id(grant)
    rows = db.session.execute(
        select(Indicator, IndicatorTarget.target)
        .outerjoin(IndicatorTarget, (IndicatorTarget.indicator_id == Indicator.id)
                   & (IndicatorTarget.grant_id == grant.id))
        .where(Indicator.programme_id == programme_id).order_by(Indicator.position, Indicator.id)).all()
    achieved = dict(db.session.execute(
        select(IndicatorValue.indicator_id, func.sum(IndicatorValue.value))
        .join(GrantReport, GrantReport.id == IndicatorValue.report_id)
        .where(GrantReport.grant_id == grant.id, GrantReport.status == ReportStatus.APPROVED)
        .group_by(IndicatorValue.indicator_id)).tuples().all())
    found = []
    for indicator, target in rows:
        total = Decimal(achieved.get(indicator.id) or 0).quantize(Decimal("0.01"))
        if not indicator.active and target is None and indicator.id not in achieved:
            continue
        target = None if target is None else Decimal(target)
        share = (total / target).quantize(Decimal("0.0001")) if target else None
        found.append(IndicatorProgress(indicator, target, total, share))
    return found


# ---------------------------------------------------------------- changing








def _snapshot(indicator: Indicator) -> dict:
    return {name: getattr(indicator, name) for name in INDICATOR_FIELDS}


def _code_taken(programme_id: int, code: str, but: int | None = None) -> bool:
    statement = select(Indicator.id).where(Indicator.programme_id == programme_id, Indicator.code == code)
    if but is not None:
        statement = statement.where(Indicator.id != but)
    return db.session.scalar(statement.limit(1)) is not None


def _next_position(programme_id: int) -> int:
    last = db.session.scalar(select(func.max(Indicator.position)).where(Indicator.programme_id == programme_id))
    return 0 if last is None else last + 1


def add_indicator(actor, programme_id: int, command: IndicatorInput) -> Indicator:
    """Add an indicator at the end of the programme's list; audited `indicator.added`.

    Raises PermissionDenied, NotFound, ValidationFailed on `code` when the programme has one with that code
    (a retired one too: its values still carry the code).
    """
    require_admin(actor)
    programme = get_or_raise(Programme, programme_id)
    if _code_taken(programme.id, command.code):
        raise ValidationFailed({"code": [_l("This programme already has an indicator with this code.")]})
    indicator = Indicator(programme_id=programme.id, position=_next_position(programme.id), code=command.code,
                          label=command.label, unit=command.unit, evidence_required=command.evidence_required,
                          active=True)
    db.session.add(indicator)
    db.session.flush()
    record_event(actor, "indicator.added", indicator, None, _snapshot(indicator))
    return indicator


def edit_indicator(actor, indicator_id: int, command: IndicatorInput) -> Indicator:
    """Change an indicator's code, label, unit and evidence rule; audited `indicator.edited`.

    Raises PermissionDenied, NotFound, ValidationFailed on `code` when another indicator of the programme has
    it, or when it changes after a report gave a value for the indicator.
    """
    require_admin(actor)
    indicator = get_or_raise(Indicator, indicator_id)
    if command.code != indicator.code:
        if is_code_used(indicator.id):
            raise ValidationFailed({"code": [_l("The code cannot change: reports have already given values for "
                                                "this indicator. Change its label instead.")]})
        if _code_taken(indicator.programme_id, command.code, but=indicator.id):
            raise ValidationFailed({"code": [_l("This programme already has an indicator with this code.")]})
    before = _snapshot(indicator)
    indicator.code, indicator.label, indicator.unit = command.code, command.label, command.unit
    indicator.evidence_required = command.evidence_required
    db.session.flush()
    record_event(actor, "indicator.edited", indicator, before, _snapshot(indicator))
    return indicator


def retire_indicator(actor, indicator_id: int) -> Indicator:
    """Stop asking grantees for an indicator; its values and targets are kept. Audited `indicator.retired`.

    Raises PermissionDenied, NotFound, InvalidTransition when it is already retired.
    """
    return _set_active(actor, indicator_id, False)


def restore_indicator(actor, indicator_id: int) -> Indicator:
    """Ask for a retired indicator again; audited `indicator.restored`. Raises as `retire_indicator`."""
    return _set_active(actor, indicator_id, True)


def _set_active(actor, indicator_id: int, active: bool) -> Indicator:
    require_admin(actor)
    indicator = get_or_raise(Indicator, indicator_id)
    if indicator.active == active:
        raise InvalidTransition(_l("This indicator is already active.") if active
                                else _l("This indicator is already retired."))
    before = _snapshot(indicator)
    indicator.active = active
    db.session.flush()
    record_event(actor, "indicator.restored" if active else "indicator.retired", indicator, before,
                 _snapshot(indicator))
    return indicator


def move_indicator(actor, indicator_id: int, direction: str) -> Indicator:
    """Swap an indicator with its neighbour ("up" or "down"); positions stay 0..n-1. Audited `indicator.moved`.

    Raises PermissionDenied, NotFound, ValidationFailed on `direction`.
    """
    require_admin(actor)
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": [_l("Move up or down.")]})
    indicator = get_or_raise(Indicator, indicator_id)
    # Lock the programme's row, so two admins reordering at once do not interleave.
    db.session.execute(select(Programme.id).where(Programme.id == indicator.programme_id).with_for_update())
    siblings = list(db.session.scalars(
        select(Indicator).where(Indicator.programme_id == indicator.programme_id)
        .order_by(Indicator.position, Indicator.id).execution_options(populate_existing=True)))
    i = siblings.index(indicator)
    j = i - 1 if direction == "up" else i + 1
    if 0 <= j < len(siblings):
        siblings[i], siblings[j] = siblings[j], siblings[i]
    for position, sibling in enumerate(siblings):
        sibling.position = position
    db.session.flush()
    record_event(actor, "indicator.moved", indicator, None, {"direction": direction, "position": indicator.position})
    return indicator


def add_suggested_indicators(actor, programme_id: int) -> list[Indicator]:
    """Add the suggestions for the programme's kind whose code it does not have yet; return those added.

    Raises PermissionDenied, NotFound. Adding twice adds nothing the second time.
    """
    require_admin(actor)
    programme = get_or_raise(Programme, programme_id)
    existing = set(db.session.scalars(select(Indicator.code).where(Indicator.programme_id == programme.id)))
    added = []
    for suggestion in default_indicators(programme.kind):
        if suggestion.code in existing:
            continue
        command = IndicatorInput(code=suggestion.code, label=str(suggestion.label), unit=str(suggestion.unit),
                                 evidence_required=False)
        added.append(add_indicator(actor, programme.id, command))
    return added


def set_targets(actor, grant_id: int, command: TargetsInput) -> dict[int, Decimal]:
    """Set the grant's targets: a number sets or changes one, blank removes it; audited `grant.targets_set`.

    Only active indicators of the grant's programme take a target. Returns {indicator id: target} as saved.
    Raises PermissionDenied, NotFound, ValidationFailed on `target-<id>` for an indicator that is not one
    of them.
    """
    require_admin(actor)
    grant = db.session.get(Grant, grant_id)
    if grant is None:
        raise NotFound()
    allowed = {i.id for i in indicators_of(grant_programme_id(grant))}
    errors = FieldErrors()
    for indicator_id in command.targets:
        if indicator_id not in allowed:
            errors.add(f"target-{indicator_id}", _l("This indicator is not one this grant reports on."))
    errors.raise_if_any()
    current = {t.indicator_id: t for t in db.session.scalars(
        select(IndicatorTarget).where(IndicatorTarget.grant_id == grant.id))}
    before = {str(i): str(t.target) for i, t in sorted(current.items())}
    for indicator_id, value in command.targets.items():
        target = current.get(indicator_id)
        if value is None:
            if target is not None:
                db.session.delete(target)
        elif target is None:
            db.session.add(IndicatorTarget(grant_id=grant.id, indicator_id=indicator_id, target=value))
        else:
            target.target = value
    db.session.flush()
    saved = {t.indicator_id: Decimal(t.target) for t in db.session.scalars(
        select(IndicatorTarget).where(IndicatorTarget.grant_id == grant.id))}
    after = {str(i): str(v) for i, v in sorted(saved.items())}
    if before != after:
        record_event(actor, "grant.targets_set", grant, {"targets": before}, {"targets": after})
    return saved
