"""Each call's review settings: the review deadline and the selection targets for the ranking."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.core.audit import record_event
from cade.core.commands import Cleaner, Command, Integer, Moment, field
from cade.core.errors import NotFound, PermissionDenied
from cade.extensions import db
from cade.programmes.models import Call
from cade.reviews.models import CallReviewSettings
from cade.reviews.permissions import can_manage_reviews


def review_settings(call_id: int) -> CallReviewSettings:
    """The call's settings; an unsaved default (no deadline, no targets) if none were set."""
    settings = db.session.scalar(select(CallReviewSettings).where(CallReviewSettings.call_id == call_id))
    return settings or CallReviewSettings(call_id=call_id, region_targets={}, stakeholder_targets={})


def review_deadline(call_id: int) -> datetime | None:
    """When reviews of the call stop changing, or None while the admin has set no deadline."""
    return db.session.scalar(
        select(CallReviewSettings.review_deadline_at).where(CallReviewSettings.call_id == call_id))


def review_deadlines(call_ids) -> dict[int, datetime]:
    """The review deadline of each of these calls that has one, by call id, in one query."""
    call_ids = set(call_ids)
    if not call_ids:
        return {}
    return dict(db.session.execute(
        select(CallReviewSettings.call_id, CallReviewSettings.review_deadline_at)
        .where(CallReviewSettings.call_id.in_(call_ids), CallReviewSettings.review_deadline_at.is_not(None))).all())


def _settings_for_update(actor, call_id: int) -> CallReviewSettings:
    if not can_manage_reviews(actor):
        raise PermissionDenied()
    if db.session.get(Call, call_id) is None:
        raise NotFound()
    settings = review_settings(call_id)
    if settings.id is None:
        db.session.add(settings)
    return settings


class OptionalMoment(Moment):
    """A moment, or None when nothing was typed (no deadline)."""

    def clean(self, raw, cleaning):
        return None if raw in (None, "") else super().clean(raw, cleaning)


@dataclass(frozen=True)
class ReviewDeadlineInput(Command):
    """The call's review deadline as typed, read in the call's time zone (context `timezone`); None clears it."""

    review_deadline_at: datetime | None = field(OptionalMoment(), source="review_deadline")


def set_review_deadline(actor, call_id: int, command: ReviewDeadlineInput) -> CallReviewSettings:
    """Set (or clear) the call's review deadline; assignments without their own due date follow it.

    Raises PermissionDenied, NotFound.
    """
    deadline_at = command.review_deadline_at
    settings = _settings_for_update(actor, call_id)
    before = {"review_deadline_at": settings.review_deadline_at.isoformat() if settings.review_deadline_at else None}
    settings.review_deadline_at = deadline_at
    db.session.flush()
    record_event(actor, "call.review_deadline_set", settings, before,
                 {"review_deadline_at": deadline_at.isoformat() if deadline_at else None})
    return settings


@dataclass(frozen=True)
class Percentages(Cleaner):
    """Target shares by code: whole percents from 0 to 100 that add up to at most 100; blanks and zeros left out."""

    def clean(self, raw, cleaning):
        each = Integer(0, 100, message=_l("Each target is a percentage from 0 to 100."))
        if raw is not None and not isinstance(raw, Mapping):
            cleaning.refuse(each.message)
            return {}
        targets: dict[str, int] = {}
        for code, value in (raw or {}).items():
            if value in (None, ""):
                continue
            number = each.clean(value, cleaning)
            if number is None:
                return {}
            if number:
                targets[str(code)] = number
        if sum(targets.values()) > 100:
            cleaning.refuse(_l("The targets add up to more than %(limit)s.", limit="100%"))
        return targets


@dataclass(frozen=True)
class SelectionTargetsInput(Command):
    """The shares of the awarded amount an admin aims for, by region code and by stakeholder group (percent)."""

    region_targets: dict[str, int] = field(Percentages(), default_factory=dict)
    stakeholder_targets: dict[str, int] = field(Percentages(), default_factory=dict)


def set_selection_targets(actor, call_id: int, command: SelectionTargetsInput) -> CallReviewSettings:
    """Set the share of the awarded amount the admin aims for, by region and by stakeholder group.

    Raises PermissionDenied, NotFound.
    """
    regions, stakeholders = dict(command.region_targets), dict(command.stakeholder_targets)
    settings = _settings_for_update(actor, call_id)
    before = {"region_targets": dict(settings.region_targets or {}),
              "stakeholder_targets": dict(settings.stakeholder_targets or {})}
    settings.region_targets = regions
    settings.stakeholder_targets = stakeholders
    db.session.flush()
    record_event(actor, "call.selection_targets_set", settings, before,
                 {"region_targets": regions, "stakeholder_targets": stakeholders})
    return settings
