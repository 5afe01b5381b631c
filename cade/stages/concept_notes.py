"""Which concept note a full proposal answers, and the amounts its margin allows: asked by every page and check."""

from dataclasses import dataclass

from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application
from cade.extensions import db


def concept_note_of(application: Application) -> Application | None:
    """The concept note a full proposal answers; None for an application to any call but a full-proposal stage.

    The one it was started from when its draft was made at release, else its
    organisation's shortlisted concept note on the call's concept-note call
    (a draft the organisation started again after withdrawing the first).
    """
    call = application.call
    if call.concept_call_id is None:
        return None
    if application.concept_application_id is not None:
        return application.concept_application
    return db.session.scalar(select(Application).where(
        Application.call_id == call.concept_call_id, Application.organisation_id == application.organisation_id,
        Application.status == ApplicationStatus.SHORTLISTED))


def shortlisted_organisations(concept_call_id: int, organisation_ids) -> set[int]:
    """Which of `organisation_ids` have a concept note shortlisted on the concept-note call (one query)."""
    organisation_ids = set(organisation_ids)
    if not organisation_ids:
        return set()
    return set(db.session.scalars(select(Application.organisation_id).where(
        Application.call_id == concept_call_id, Application.organisation_id.in_(organisation_ids),
        Application.status == ApplicationStatus.SHORTLISTED)))


@dataclass(frozen=True)
class Margin:
    """The amounts a full proposal may request: the concept note's, give or take `percent` % (bounds included)."""

    concept_minor: int
    percent: int

    @property
    def low_minor(self) -> int:
        # Rounded inwards, in minor units: a request at either bound is inside, never a cent beyond it.
        return -(-self.concept_minor * (100 - self.percent) // 100)

    @property
    def high_minor(self) -> int:
        return self.concept_minor * (100 + self.percent) // 100

    def allows(self, requested_minor: int) -> bool:
        return self.low_minor <= requested_minor <= self.high_minor


def margin_of(application: Application, concept_note: Application | None = None) -> Margin | None:
    """The margin the full proposal's requested amount must keep; None when the call sets none (or no concept
    note, or no amount in it, gives one)."""
    percent = application.call.concept_margin_percent
    concept_note = concept_note if concept_note is not None else concept_note_of(application)
    if percent is None or concept_note is None or concept_note.requested_amount_minor is None:
        return None
    return Margin(concept_note.requested_amount_minor, percent)
