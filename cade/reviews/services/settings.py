"""Each call's review settings: the review deadline and the selection targets for the ranking."""

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from cade.core.audit import record_event
from cade.core.errors import NotFound, PermissionDenied, ValidationFailed
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


def set_review_deadline(actor, call_id: int, deadline_at: datetime | None) -> CallReviewSettings:
    """Set (or clear) the call's review deadline; assignments without their own due date follow it."""
    settings = _settings_for_update(actor, call_id)
    before = {"review_deadline_at": settings.review_deadline_at.isoformat() if settings.review_deadline_at else None}
    settings.review_deadline_at = deadline_at
    db.session.flush()
    record_event(actor, "call.review_deadline_set", settings, before,
                 {"review_deadline_at": deadline_at.isoformat() if deadline_at else None})
    return settings


def _checked_targets(field: str, targets: dict[str, int]) -> dict[str, int]:
    cleaned = {str(key): int(value) for key, value in targets.items() if value not in (None, "", 0)}
    if any(value < 0 or value > 100 for value in cleaned.values()):
        raise ValidationFailed({field: [_l("Each target is a percentage from 0 to 100.")]})
    if sum(cleaned.values()) > 100:
        raise ValidationFailed({field: [_l("The targets add up to more than %(limit)s.", limit="100%")]})
    return cleaned


def set_selection_targets(actor, call_id: int, region_targets: dict[str, int],
                          stakeholder_targets: dict[str, int]) -> CallReviewSettings:
    """Set the share of the awarded amount the admin aims for, by region and by stakeholder group (percent)."""
    regions = _checked_targets("region_targets", region_targets)
    stakeholders = _checked_targets("stakeholder_targets", stakeholder_targets)
    settings = _settings_for_update(actor, call_id)
    before = {"region_targets": dict(settings.region_targets or {}),
              "stakeholder_targets": dict(settings.stakeholder_targets or {})}
    settings.region_targets = regions
    settings.stakeholder_targets = stakeholders
    db.session.flush()
    record_event(actor, "call.selection_targets_set", settings, before,
                 {"region_targets": regions, "stakeholder_targets": stakeholders})
    return settings
