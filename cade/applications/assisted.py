"""Applications that the programme's staff enter for an organisation that cannot apply online.

An administrator finds the organisation (`find_organisations`: eligible, and
without a live application to the call), starts a draft marked as assisted
(`start_assisted_application`: an AssistedEntry naming who entered it), fills
it in on the applicant's own edit page — acting for the organisation on this
application only (`permissions.is_assisting`; each step audited by
`services._common.require_member`) —, records how the organisation consented
(`record_consent`) and submits it: submission refuses staff an assisted
draft without consent on record (`services._common.require_consent`). The
organisation's members are told when the draft is started, can read and
change it like any of their drafts, and get the usual receipt, which says the
programme's staff submitted it for them.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from cade.applications.constants import CONSENT_METHOD_LABELS, ApplicationStatus
from cade.applications.eligibility import check_eligibility, prepare_eligibility
from cade.applications.models import Application, AssistedEntry
from cade.applications.services._common import NotADraft, load_application, lock_draft
from cade.applications.services.drafts import (
    check_can_start,
    find_live_application,
    live_applications_by_organisation,
)
from cade.accounts.models import User
from cade.core.audit import AuditEvent, record_event
from cade.core.commands import Choice, Command, Text, field
from cade.core.errors import AlreadyExists, InvalidTransition, NotFound
from cade.core.permissions import require_admin
from cade.core.timeutil import utcnow
from cade.extensions import db
from cade.notifications.services import notify
from cade.organisations.models import Organisation
from cade.organisations.services.queries import members_of_organisations
from cade.programmes.models import Call

# Organisations a search shows at most: a name narrows it, the page stays light.
SEARCH_LIMIT = 20
CONSENT_NOTE_MAX = 2000


@dataclass(frozen=True)
class Candidate:
    """An organisation a search found, and whether staff may start an assisted application for it."""

    organisation: Organisation
    reasons: list[str]  # why it may not apply to the call (eligibility); empty when eligible
    live_application: Application | None  # its application to the call, if it holds one

    @property
    def startable(self) -> bool:
        return not self.reasons and self.live_application is None


def find_organisations(call: Call, query: str, limit: int = SEARCH_LIMIT) -> list[Candidate]:
    """Organisations whose name or acronym holds `query` (any case), by name, each with what stops an assisted
    application to `call`. A handful of queries, whatever the number found."""
    words = (query or "").strip()[:100]
    if not words:
        return []
    pattern = "%" + words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    organisations = list(db.session.scalars(
        select(Organisation)
        .where(or_(func.lower(Organisation.name).like(pattern, escape="\\"),
                   func.lower(Organisation.acronym).like(pattern, escape="\\")))
        .order_by(Organisation.name, Organisation.id).limit(limit)))
    live = live_applications_by_organisation(call.id, [organisation.id for organisation in organisations])
    prepare_eligibility(call, organisations)
    return [Candidate(organisation, check_eligibility(call, organisation), live.get(organisation.id))
            for organisation in organisations]


def assisted_applications(call_id: int) -> list[Application]:
    """The call's assisted applications, newest first, with their organisation and entry loaded (one query)."""
    return list(db.session.scalars(
        select(Application).join(AssistedEntry, AssistedEntry.application_id == Application.id)
        .where(Application.call_id == call_id)
        .options(joinedload(Application.organisation),
                 joinedload(Application.assisted_entry).joinedload(AssistedEntry.entered_by))
        .order_by(Application.created_at.desc(), Application.id.desc())))


def assisted_application_ids(call_id: int) -> set[int]:
    """Which of the call's applications were entered by staff (one query): what staff pages mark as assisted."""
    return set(db.session.scalars(
        select(AssistedEntry.application_id).join(Application, Application.id == AssistedEntry.application_id)
        .where(Application.call_id == call_id)))


def start_assisted_application(actor, call_id: int, organisation_id: int, now=None) -> Application:
    """Start a draft for `organisation_id` to `call_id`, entered by `actor` (an administrator) on its behalf.

    The usual rules of starting apply: the call is open (DeadlinePassed or
    InvalidTransition otherwise) and the organisation eligible (NotEligible,
    with the reasons). An organisation that already holds a live application
    to the call gets no second one (AlreadyExists, also when another request
    started one a moment ago). Raises PermissionDenied for anyone but an
    administrator, NotFound for an unknown call or organisation. Audited
    ("application.assisted_started"); the organisation's members are told.
    """
    require_admin(actor)
    call = db.session.get(Call, call_id)
    organisation = db.session.get(Organisation, organisation_id)
    if call is None or organisation is None:
        raise NotFound()
    if find_live_application(call.id, organisation.id) is not None:
        raise _already_applied(organisation)
    check_can_start(call, organisation, now)

    application = Application(call=call, organisation=organisation, created_by_id=actor.id,
                              status=ApplicationStatus.DRAFT, title="", summary="")
    application.assisted_entry = AssistedEntry(entered_by_id=actor.id)
    try:
        # A savepoint: the unique index on live applications refuses a second one started a moment ago.
        with db.session.begin_nested():
            db.session.add(application)
            db.session.flush()
    except IntegrityError:
        if find_live_application(call.id, organisation.id) is None:
            raise
        raise _already_applied(organisation) from None
    record_event(actor, "application.assisted_started", application,
                 after={"call_id": call.id, "organisation_id": organisation.id, "entered_by_id": actor.id})
    _tell_members(actor, application)
    return application


def _already_applied(organisation) -> AlreadyExists:
    return AlreadyExists(_("%(organisation)s already has an application to this call.",
                           organisation=organisation.display_name))


def _tell_members(actor, application: Application) -> None:
    organisation_id = application.organisation_id
    for user in members_of_organisations([organisation_id]).get(organisation_id, []):
        notify("applications.assisted_started", recipient=user, locale=user.locale,
               key=f"assisted-started:{application.id}:{user.id}",
               context={"application_id": application.id, "call_title": application.call.title,
                        "organisation_name": application.organisation.name, "entered_by_name": actor.name})


@dataclass(frozen=True)
class ConsentInput(Command):
    """How the organisation agreed that staff enter and submit its application: the way, the person, a note."""

    method: str | None = field(Choice(CONSENT_METHOD_LABELS, required=True,
                                      message=_l("Choose how the organisation gave its consent.")))
    given_by: str | None = field(Text(max_len=200, required=True))
    note: str | None = field(Text(max_len=CONSENT_NOTE_MAX))


def record_consent(actor, application_id: int, data: ConsentInput, now=None) -> AssistedEntry:
    """Record (or correct) the organisation's consent to an assisted draft; audited with before and after.

    Raises PermissionDenied for anyone but an administrator, NotFound when the
    application was not entered by staff, InvalidTransition once it has been
    submitted or withdrawn (the consent it was submitted with stays as it was).
    The row is locked first, so a submission at the same moment sees either
    no consent or the whole of it.
    """
    require_admin(actor)
    application = load_application(application_id)
    entry = application.assisted_entry
    if entry is None:
        raise NotFound()
    try:
        lock_draft(application)
    except NotADraft:
        raise InvalidTransition(_("This application has been submitted or withdrawn: its consent record can no "
                                  "longer change.")) from None
    before = _consent_snapshot(entry)
    entry.consent_method = data.method
    entry.consent_given_by = data.given_by
    entry.consent_note = data.note
    entry.consent_recorded_at = now or utcnow()
    entry.consent_recorded_by_id = actor.id
    db.session.flush()
    record_event(actor, "application.assisted_consent_recorded", application,
                 before=before if before["consent_recorded_at"] else None, after=_consent_snapshot(entry))
    return entry


def _consent_snapshot(entry: AssistedEntry) -> dict:
    recorded = entry.consent_recorded_at
    return {"consent_method": entry.consent_method, "consent_given_by": entry.consent_given_by,
            "consent_note": entry.consent_note, "consent_recorded_at": recorded.isoformat() if recorded else None}


# The audit verbs of an application's history as the consent page words them (any other shows as it is).
HISTORY_LABELS = {
    "application.assisted_started": _l("Started for the organisation"),
    "application.assisted_step": _l("Changed for the organisation"),
    "application.assisted_consent_recorded": _l("Consent recorded"),
    "application.started": _l("Started"),
    "application.submitted": _l("Submitted"),
    "application.withdrawn": _l("Withdrawn"),
}


def assisted_history(application_id: int) -> list[tuple[AuditEvent, str | None]]:
    """The application's audit trail, oldest first, with the name of who acted (one query)."""
    return [tuple(row) for row in db.session.execute(
        select(AuditEvent, User.name).outerjoin(User, User.id == AuditEvent.actor_id)
        .where(AuditEvent.object_type == Application.__name__, AuditEvent.object_id == application_id)
        .order_by(AuditEvent.at, AuditEvent.id))]
