"""Assisted applications (issue 14, part 5): staff enter and submit an application for an organisation that cannot
apply online, with its consent on record and every step audited. Services here; pages in test_assisted_views.py."""

import pytest
from sqlalchemy import func, select

from cade.accounts.models import User
from cade.applications import assisted, services
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application, AssistedEntry
from cade.applications.services._common import ConsentMissing
from cade.core.audit import AuditEvent
from cade.core.errors import (
    AlreadyExists,
    ConflictOfInterest,
    DeadlinePassed,
    InvalidTransition,
    NotEligible,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from cade.extensions import db as _db
from cade.reviews.services.assignment import assign_reviewer
from tests.concurrency import run_side_by_side
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    MembershipFactory,
    OrganisationFactory,
    ReviewerProfileFactory,
    UserFactory,
)

CONSENT = {"method": "phone", "given_by": "Amina Diallo, coordinator", "note": "Called on Monday; she agreed."}


def complete(admin, application_id: int) -> Application:
    """Fill the draft in as staff would from a paper form: title, summary, amount and a matching budget line."""
    return services.save_draft(admin, application_id, services.DraftInput.from_input(
        {"title": "Radio links for two clinics", "summary": "Connect the clinics of the island.",
         "requested_amount": "20000", "budget_lines": [{"category": "equipment", "description": "Radios",
                                                          "amount": "20000"}]}, currency="USD"))


def verbs(application_id: int) -> list[str]:
    return list(_db.session.scalars(select(AuditEvent.verb).where(
        AuditEvent.object_type == "Application", AuditEvent.object_id == application_id).order_by(AuditEvent.id)))


@pytest.fixture()
def started(admin, call, organisation):
    application = assisted.start_assisted_application(admin, call.id, organisation.id)
    _db.session.commit()
    return application


# --- starting ---------------------------------------------------------------------------------------------------

def test_an_admin_starts_a_draft_marked_assisted_and_the_members_are_told(admin, call, organisation, member,
                                                                           outbox):
    application = assisted.start_assisted_application(admin, call.id, organisation.id)

    assert application.status == ApplicationStatus.DRAFT and application.created_by_id == admin.id
    assert application.assisted_entry.entered_by_id == admin.id
    assert application.assisted_entry.consent_recorded_at is None
    assert verbs(application.id) == ["application.assisted_started"]
    [told] = outbox("applications.assisted_started")
    assert told.recipient_id == member.id and told.context["entered_by_name"] == "Ada Admin"
    assert told.context["application_id"] == application.id


@pytest.mark.parametrize("roles", [[], ["reviewer"], ["trainer"]])
def test_only_admins_start_one(db, call, organisation, roles):
    with pytest.raises(PermissionDenied):
        assisted.start_assisted_application(UserFactory(roles=roles), call.id, organisation.id)


def test_an_organisation_that_is_not_eligible_is_refused_with_the_reason(admin, organisation):
    call = CallFactory(eligible_countries=["UG"])
    with pytest.raises(NotEligible) as refused:
        assisted.start_assisted_application(admin, call.id, organisation.id)
    assert "Kenya" in refused.value.message
    assert _db.session.scalar(select(func.count()).select_from(Application)) == 0


def test_an_organisation_with_a_live_application_gets_no_second(admin, call, draft, organisation):
    with pytest.raises(AlreadyExists, match=organisation.name):
        assisted.start_assisted_application(admin, call.id, organisation.id)
    draft.status = ApplicationStatus.WITHDRAWN  # a withdrawn one does not count
    _db.session.commit()
    assert assisted.start_assisted_application(admin, call.id, organisation.id).assisted_entry is not None


def test_two_admins_starting_at_once_start_one(app, admin, call, organisation):
    other = UserFactory(roles=["admin"])
    ids = [admin.id, other.id]
    call_id, organisation_id = call.id, organisation.id
    _db.session.commit()

    def start(user_id):
        return lambda: assisted.start_assisted_application(_db.session.get(User, user_id), call_id, organisation_id)

    outcomes = run_side_by_side(app, [start(user_id) for user_id in ids], pause_after="from applications")

    assert sorted("done" if o == "done" else type(o).__name__ for o in outcomes) == ["AlreadyExists", "done"]
    assert _db.session.scalar(select(func.count()).select_from(AssistedEntry)) == 1


def test_the_call_must_be_open(admin, organisation):
    with pytest.raises(DeadlinePassed):
        assisted.start_assisted_application(admin, CallFactory(closed=True).id, organisation.id)
    with pytest.raises(InvalidTransition):
        assisted.start_assisted_application(admin, CallFactory(draft=True).id, organisation.id)
    with pytest.raises(NotFound):
        assisted.start_assisted_application(admin, 10**6, organisation.id)


# --- acting for the organisation --------------------------------------------------------------------------------

def test_the_admin_who_entered_it_saves_and_each_save_is_audited(admin, started):
    complete(admin, started.id)
    complete(admin, started.id)
    assert verbs(started.id) == ["application.assisted_started"] + ["application.assisted_step"] * 2
    assert _db.session.get(Application, started.id).title == "Radio links for two clinics"


def test_nobody_else_acts_for_the_organisation(started, member):
    other_admin = UserFactory(roles=["admin"])
    for user in (other_admin, UserFactory(), MembershipFactory().user):
        with pytest.raises(PermissionDenied):
            complete(user, started.id)
        with pytest.raises(PermissionDenied):
            services.submit_application(user, started.id)
    complete(member, started.id)  # its own members still can, unaudited as ever
    assert verbs(started.id) == ["application.assisted_started"]


def test_an_admin_cannot_act_for_an_organisation_on_an_application_it_entered_itself(admin, draft):
    with pytest.raises(PermissionDenied):
        complete(admin, draft.id)
    with pytest.raises(PermissionDenied):
        services.submit_application(admin, draft.id)


# --- consent and submission -------------------------------------------------------------------------------------

def test_an_assisted_submission_without_recorded_consent_is_refused_and_kept(admin, started):
    complete(admin, started.id)
    _db.session.commit()
    with pytest.raises(ConsentMissing, match="Record the organisation's consent before submitting on its behalf"):
        services.submit_application(admin, started.id)
    _db.session.rollback()
    application = _db.session.get(Application, started.id)
    assert application.status == ApplicationStatus.DRAFT and application.reference is None
    assert application.title == "Radio links for two clinics" and len(application.budget_lines) == 1


def test_with_consent_on_record_staff_submit_and_the_members_get_a_receipt_that_says_so(admin, started, member,
                                                                                        outbox):
    complete(admin, started.id)
    entry = assisted.record_consent(admin, started.id, assisted.ConsentInput.from_input(CONSENT))
    assert (entry.consent_method, entry.consent_given_by, entry.consent_recorded_by_id) == (
        "phone", "Amina Diallo, coordinator", admin.id)

    application = services.submit_application(admin, started.id)
    _db.session.commit()

    assert application.status == ApplicationStatus.SUBMITTED and application.reference == "CN-2026-0001"
    [receipt] = outbox("applications.submitted")
    assert receipt.recipient_id == member.id and receipt.context["assisted"] is True
    assert verbs(started.id) == ["application.assisted_started", "application.assisted_step",
                                 "application.assisted_consent_recorded", "application.assisted_step",
                                 "application.submitted"]
    with pytest.raises(services.AlreadySubmitted):  # a double click
        services.submit_application(admin, started.id)


def test_a_member_submitting_the_assisted_draft_needs_no_consent_record(admin, started, member, outbox):
    complete(admin, started.id)
    services.submit_application(member, started.id)
    assert outbox("applications.submitted")[0].context["assisted"] is False


def test_consent_is_refused_with_each_missing_part_named(admin, started):
    with pytest.raises(ValidationFailed) as refused:
        assisted.record_consent(admin, started.id, assisted.ConsentInput.from_input({"method": "fax"}))
    assert set(refused.value.errors) == {"method", "given_by"}
    with pytest.raises(ValidationFailed) as refused:
        assisted.ConsentInput.from_input({"method": "email", "given_by": "x" * 201, "note": "y" * 2001})
    assert set(refused.value.errors) == {"given_by", "note"}


def test_consent_is_corrected_with_before_and_after_and_frozen_once_submitted(admin, started):
    assisted.record_consent(admin, started.id, assisted.ConsentInput.from_input(CONSENT))
    assisted.record_consent(admin, started.id, assisted.ConsentInput.from_input(dict(CONSENT, method="email")))
    event = _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "application.assisted_consent_recorded")
                                .order_by(AuditEvent.id.desc())).first()
    assert event.before["consent_method"] == "phone" and event.after["consent_method"] == "email"

    complete(admin, started.id)
    services.submit_application(admin, started.id)
    with pytest.raises(InvalidTransition):
        assisted.record_consent(admin, started.id, assisted.ConsentInput.from_input(CONSENT))


def test_consent_only_by_admins_and_only_for_assisted_applications(admin, call, started, member):
    command = assisted.ConsentInput.from_input(CONSENT)
    with pytest.raises(PermissionDenied):
        assisted.record_consent(member, started.id, command)
    with pytest.raises(NotFound):
        assisted.record_consent(admin, ApplicationFactory(call=call).id, command)


def test_consent_recorded_while_staff_submit_is_either_wholly_there_or_refused(app, admin, started):
    complete(admin, started.id)
    admin_id, application_id = admin.id, started.id
    _db.session.commit()
    command = assisted.ConsentInput.from_input(CONSENT)
    outcomes = run_side_by_side(app, [
        lambda: assisted.record_consent(_db.session.get(User, admin_id), application_id, command),
        lambda: services.submit_application(_db.session.get(User, admin_id), application_id),
    ], pause_after="from applications")
    _db.session.expire_all()
    application = _db.session.get(Application, application_id)
    if application.status == ApplicationStatus.SUBMITTED:
        assert application.assisted_entry.consent_recorded_at is not None
    else:
        assert isinstance(outcomes[1], ConsentMissing)


# --- finding organisations, marking applications, conflicts -----------------------------------------------------

def test_the_search_finds_by_part_of_the_name_or_acronym_and_says_who_can_start(admin, organisation):
    call = CallFactory(eligible_countries=["KE"])
    draft = ApplicationFactory(call=call, organisation=organisation)
    island = OrganisationFactory(name="Tanna Island Connect", acronym="TIC")
    faraway = OrganisationFactory(name="Tanna Valley Radio", country="FR")
    OrganisationFactory(name="100% Connected")

    found = {c.organisation.id: c for c in assisted.find_organisations(call, "tANNa")}
    assert set(found) == {island.id, faraway.id}
    assert found[island.id].startable and not found[faraway.id].startable
    assert [c.organisation.id for c in assisted.find_organisations(call, "tic")] == [island.id]
    assert assisted.find_organisations(call, organisation.name)[0].live_application.id == draft.id
    assert [c.organisation.name for c in assisted.find_organisations(call, "%")] == ["100% Connected"]
    assert assisted.find_organisations(call, "   ") == []


def test_staff_pages_know_which_applications_are_assisted(admin, call, started):
    ApplicationFactory(call=call)
    assert assisted.assisted_application_ids(call.id) == {started.id}
    assert [a.id for a in assisted.assisted_applications(call.id)] == [started.id]


def test_a_reviewer_from_the_organisation_is_never_assigned_it(admin, started, organisation):
    reviewer = ReviewerProfileFactory().user
    MembershipFactory(user=reviewer, organisation=organisation, role="member")
    complete(admin, started.id)
    assisted.record_consent(admin, started.id, assisted.ConsentInput.from_input(CONSENT))
    services.submit_application(admin, started.id)
    with pytest.raises(ConflictOfInterest):
        assign_reviewer(admin, started.id, reviewer.id)


def test_a_submitted_assisted_application_is_read_only_for_its_members(admin, started, member):
    complete(admin, started.id)
    assisted.record_consent(admin, started.id, assisted.ConsentInput.from_input(CONSENT))
    services.submit_application(admin, started.id)
    with pytest.raises(services.NotADraft):
        complete(member, started.id)
