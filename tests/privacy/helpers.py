"""A person with something in every section of the export, and a grant for an organisation, made directly."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from cade.accounts.models import ApiToken, RecoveryCode, RememberedDevice, User
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Answer, Application
from cade.conversations.models import Message, MessageThread
from cade.core.db import utcnow
from cade.enquiries.models import CallQuestion
from cade.extensions import db
from cade.grants.constants import GrantStatus
from cade.grants.models import Grant
from cade.notifications.services import notify
from cade.organisations.models import Organisation
from cade.travel.models import Claim, ClaimLine, Trip
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    BudgetLineFactory,
    CallFactory,
    CertificateFactory,
    ConflictDeclarationFactory,
    EnrolmentFactory,
    MembershipFactory,
    QuestionFactory,
    ReviewFactory,
    ReviewerProfileFactory,
    RubricCriterionFactory,
    UserFactory,
)
from tests.grants.indicator_helpers import grant_in

# Secrets planted in the person's rows: none may ever appear in an export.
TOTP_SECRET = "JBSWY3DPEHPK3PXPTOTPSECRETVALUE1"
RESET_TOKEN = "reset-token-that-must-not-leak"


@dataclass
class Person:
    user: User
    organisation: Organisation
    application: Application
    secrets: tuple[str, ...]  # the password hash, digests, TOTP secret and reset token planted for them


def person_with_everything(name="Amina Diallo", email="amina@example.org", tag: str = "") -> Person:
    """A user who owns an organisation and has a row in every section of the export (`tag` marks their texts)."""
    user = UserFactory(name=name, email=email, roles=["reviewer"], totp_secret=TOTP_SECRET,
                       totp_enabled_at=utcnow(), last_login_at=utcnow())
    ReviewerProfileFactory(user=user)
    organisation = MembershipFactory(user=user, role="owner").organisation
    call = CallFactory()
    question = QuestionFactory(call=call, label=f"What will you build?{tag}")
    application = ApplicationFactory(call=call, organisation=organisation, created_by=user, submitted=True,
                                     title=f"Mesh for the valley{tag}")
    db.session.add(Answer(application_id=application.id, question_id=question.id, text=f"Twelve nodes{tag}"))
    BudgetLineFactory(application=application, description=f"Routers{tag}")

    # A review and a conflict declaration written by them, on someone else's application.
    criterion = RubricCriterionFactory(call=call, label=f"Relevance{tag}")
    assignment = AssignmentFactory(reviewer=user, application=ApplicationFactory(call=call, under_review=True))
    ReviewFactory(assignment=assignment, submitted=True, scores={criterion: 4},
                  comment_to_applicant=f"Good plan{tag}", confidential_comment=f"Solid team{tag}")
    ConflictDeclarationFactory(assignment=assignment, has_conflict=False, reason=f"None known{tag}")

    digests = [hashlib.sha256(f"{kind}:{email}".encode()).hexdigest() for kind in ("token", "code", "device")]
    notify("accounts.role_granted", recipient=user, context={"role": "reviewer", "by": "Ada"},
           key=f"role:{user.id}")
    notify("accounts.reset_password", recipient=user, in_app=False, key=f"reset:{user.id}",
           context={"token": RESET_TOKEN, "email": user.email, "valid_hours": 2})
    db.session.add_all([
        ApiToken(user_id=user.id, name=f"My script{tag}", prefix="cade_ab12", token_hash=digests[0],
                 scopes=["read"], expires_at=utcnow() + timedelta(days=30)),
        RecoveryCode(user_id=user.id, code_hash=digests[1]),
        RememberedDevice(user_id=user.id, token_hash=digests[2], expires_at=utcnow() + timedelta(days=30)),
    ])
    db.session.flush()

    thread = MessageThread(application_id=application.id, topic="application")
    db.session.add(thread)
    db.session.flush()
    db.session.add(Message(thread_id=thread.id, author_id=user.id, side="organisation", body=f"Hello team{tag}"))
    db.session.add(CallQuestion(call_id=call.id, asked_by_id=user.id, body=f"May we apply twice?{tag}"))
    trip = Trip(application_id=application.id, traveller_user_id=user.id, traveller_name=name, traveller_email=email,
                origin_city="Dakar", origin_country="SN", passport_country="SN", gender="woman")
    db.session.add(trip)
    db.session.flush()
    claim = Claim(trip_id=trip.id, submitted_by_id=user.id)
    db.session.add(claim)
    db.session.flush()
    db.session.add(ClaimLine(claim_id=claim.id, category="local_transport", description=f"Bus fare{tag}", paid_minor=1500,
                             paid_currency="USD", amount_minor=1500))
    EnrolmentFactory(user=user, organisation=organisation)
    CertificateFactory(user=user, organisation_id=organisation.id, organisation_name=organisation.name)
    db.session.commit()
    return Person(user=user, organisation=organisation, application=application,
                  secrets=(user.password_hash, TOTP_SECRET, RESET_TOKEN, *digests))


def open_grant_for(organisation, status=GrantStatus.ACTIVE) -> Grant:
    """A grant of `organisation` (its own call and accepted award), active unless `status` says otherwise."""
    grant = grant_in(CallFactory(), organisation=organisation)
    grant.decision.application.status = ApplicationStatus.AWARDED  # as releasing the award left it
    grant.status = status
    if status == GrantStatus.CLOSED:
        grant.closed_at = utcnow()
    db.session.commit()
    return grant
