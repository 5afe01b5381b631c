"""Erasing an organisation at an owner's request: its identifying fields pseudonymised, its funding history kept.

Name → "Erased organisation <id>"; acronym, city, website, description and
registration number cleared; publish consent withdrawn, so open data never
names it. Country, region, type, stakeholder group, size and budget band stay:
they are what the funding statistics count, and say nothing of the
organisation alone. Past applications, decisions, grants, reports and
payments stay, as funders must keep them; members keep their membership, so
they can still read those records. Draft and submitted applications are
withdrawn (it no longer asks for funding); pending invitations are revoked.

Refused while a grant of the organisation is open, while an application is
being decided (in review, information requested, waitlisted) or an award
offer awaits its answer: each would end with a grant that no one can be told
about by name.
"""

from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import select, update

from cade.accounts import passwords
from cade.applications.constants import IN_REVIEW_STATUSES, ApplicationStatus
from cade.applications.models import Application
from cade.applications.permissions import is_withdrawable
from cade.applications.services import withdraw_application
from cade.awards.constants import DecisionOutcome, DecisionStatus
from cade.awards.models import Decision
from cade.core.audit import record_event
from cade.core.db import lock_row, utcnow
from cade.core.errors import InvalidTransition, NotFound, ValidationFailed
from cade.extensions import db
from cade.grants.models import Grant
from cade.organisations.constants import MembershipRole
from cade.organisations.models import Invitation, Membership, Organisation
from cade.organisations.services import revoke_invitation
from cade.privacy.constants import ORGANISATION_ERASED, ORGANISATION_KEPT, ORGANISATION_PSEUDONYM
from cade.privacy.erasure import ErasureInput, grant_is_open
from cade.privacy.permissions import can_erase_organisation
from cade.training.models import Certificate

# Still being decided: erasing now would leave a decision, and perhaps a grant, without anyone named to tell.
UNDECIDED_STATUSES = (*IN_REVIEW_STATUSES, ApplicationStatus.WAITLISTED)


@dataclass(frozen=True)
class OrganisationErasureOutcome:
    pseudonym: str
    erased: tuple[str, ...]
    kept: tuple[str, ...]
    withdrawn: int


def load_erasable_organisation(actor, organisation_id: int) -> Organisation:
    """The organisation `actor` may erase; NotFound otherwise (ids are probed: existence stays private)."""
    org = db.session.get(Organisation, organisation_id)
    if org is None or not can_erase_organisation(actor, org):
        raise NotFound()
    return org


def owned_organisations(user) -> list[Organisation]:
    """The organisations `user` owns and that are not erased, by name (one query): those they may erase."""
    return list(db.session.scalars(
        select(Organisation).join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == user.id, Membership.role == MembershipRole.OWNER,
               Organisation.erased_at.is_(None)).order_by(Organisation.name)))


def organisation_blockers(org: Organisation) -> list[str]:
    """Why the organisation cannot be erased now (translated sentences saying what to do); empty when it can."""
    found = db.session.execute(select(
        select(Grant.id).where(Grant.organisation_id == org.id, grant_is_open()).exists().label("grant"),
        select(Application.id).where(Application.organisation_id == org.id,
                                     Application.status.in_(UNDECIDED_STATUSES)).exists().label("undecided"),
        select(Decision.id).join(Application, Application.id == Decision.application_id)
        .where(Application.organisation_id == org.id, Decision.outcome == DecisionOutcome.AWARD,
               Decision.status == DecisionStatus.RELEASED).exists().label("offer"),
    )).one()
    reasons = []
    if found.grant:
        reasons.append(_("It has a grant still open. It can be erased once the grant is closed (the final report "
                         "approved and the last tranche paid)."))
    if found.undecided:
        reasons.append(_("An application of it is still being decided. Wait for the decision, then ask again."))
    if found.offer:
        reasons.append(_("An award offer to it awaits an answer. Accept or decline the offer first."))
    return reasons


def preview_organisation_erasure(org: Organisation) -> OrganisationErasureOutcome:
    """What erasing `org` would erase and keep (for the confirmation page); `withdrawn` counts what would go."""
    withdrawable = sum(1 for application in db.session.scalars(
        select(Application).where(Application.organisation_id == org.id)) if is_withdrawable(application))
    return OrganisationErasureOutcome(pseudonym=ORGANISATION_PSEUDONYM.format(id=org.id),
                                      erased=ORGANISATION_ERASED, kept=ORGANISATION_KEPT, withdrawn=withdrawable)


def erase_organisation(actor, organisation_id: int, command: ErasureInput) -> OrganisationErasureOutcome:
    """Erase an organisation at the request of one of its owners, in the caller's transaction.

    Raises NotFound for anyone but an owner, ValidationFailed on `password`,
    and InvalidTransition (saying what to do) while a grant is open, an
    application is being decided or an offer awaits an answer. Withdraws
    draft and submitted applications, revokes pending invitations,
    pseudonymises the profile and writes `organisation.erased`. Flushes,
    never commits.
    """
    org = load_erasable_organisation(actor, organisation_id)
    if not passwords.verify_password(actor.password_hash, command.password):
        raise ValidationFailed({"password": [_("Your password is not correct.")]})
    lock_row(Organisation, org.id)  # a grant opened or an application moved meanwhile is seen below
    db.session.refresh(org)
    if org.erased_at is not None:
        raise InvalidTransition(_("This organisation has already been erased."))
    blockers = organisation_blockers(org)
    if blockers:
        raise InvalidTransition(" ".join(blockers))
    withdrawn = 0
    for application in db.session.scalars(select(Application).where(Application.organisation_id == org.id)):
        if is_withdrawable(application):
            withdraw_application(actor, application.id)
            withdrawn += 1
    pending = db.session.scalars(select(Invitation).where(
        Invitation.organisation_id == org.id, Invitation.accepted_at.is_(None), Invitation.revoked_at.is_(None)))
    revoked = 0
    for invitation in list(pending):
        revoke_invitation(actor, invitation)
        revoked += 1
    pseudonym = ORGANISATION_PSEUDONYM.format(id=org.id)
    # A certificate names the organisation its holder trained for, copied at issue: it follows the erasure.
    db.session.execute(update(Certificate).where(Certificate.organisation_id == org.id)
                       .values(organisation_name=pseudonym).execution_options(synchronize_session=False))
    org.name = pseudonym
    org.acronym = None
    org.city = None
    org.website = None
    org.description = None
    org.registration_number = None
    org.publish_consent = False
    org.erased_at = utcnow()
    record_event(actor, "organisation.erased", org,
                 after={"withdrawn_applications": withdrawn, "invitations_revoked": revoked})
    db.session.flush()
    return OrganisationErasureOutcome(pseudonym=pseudonym, erased=ORGANISATION_ERASED, kept=ORGANISATION_KEPT,
                                      withdrawn=withdrawn)
