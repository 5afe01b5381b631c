"""Releasing a call's decisions: statuses move, each applicant member is told exactly once, names stay hidden."""

import pytest
from sqlalchemy import select

from cade.applications.constants import ApplicationStatus
from cade.awards.constants import DecisionStatus
from cade.awards.models import Decision
from cade.awards.services.release import release_decisions, unreleased_decision_count
from cade.core.audit import AuditEvent
from cade.core.errors import NotFound, PermissionDenied
from cade.extensions import db as _db
from cade.notifications.delivery import deliver_notification
from cade.notifications.models import Notification
from cade.notifications.rendering import render_notification
from tests.concurrency import run_side_by_side
from tests.factories import (
    AssignmentFactory,
    CallFactory,
    DecisionFactory,
    ReviewFactory,
    UserFactory,
    reviewed_application,
)
from tests.querycount import count_statements

FEEDBACK = "Please send quarterly updates on the solar installation."


@pytest.fixture()
def call(db):
    return CallFactory(closed=True, title="Mesh networks 2026")


def _review(application, reviewer_name, comment, submitted=True):
    reviewer = UserFactory(roles=["reviewer"], name=reviewer_name)
    return ReviewFactory(assignment=AssignmentFactory(application=application, reviewer=reviewer),
                         submitted=submitted, comment_to_applicant=comment,
                         confidential_comment=f"Confidential from {reviewer_name}")


@pytest.fixture()
def decided(call):
    """Three decided applications: an award (still only submitted, two members), a waitlist, a rejection."""
    award = reviewed_application(call, reviews=0, members=2, status=ApplicationStatus.SUBMITTED, title="Solar mesh")
    waitlist = reviewed_application(call, reviews=0, members=1, title="Village Wi-Fi")
    reject = reviewed_application(call, reviews=0, members=1, title="Fibre backbone")
    _review(award, "Rita Reviewer", "Strong community plan.")
    _review(award, "Rami Reviewer", "  Budget needs two quotes.  ")
    _review(award, "Rosa Reviewer", "   ")  # nothing to pass on
    _review(award, "Ruth Reviewer", "Draft thoughts, never sent.", submitted=False)
    DecisionFactory(application=award, amount_minor=20_000_00, feedback=FEEDBACK)
    DecisionFactory(application=waitlist, outcome="waitlist", amount_minor=None, feedback="On the waiting list.")
    DecisionFactory(application=reject, outcome="reject", amount_minor=None, feedback="Not this time.")
    return {"award": award, "waitlist": waitlist, "reject": reject}


def _messages():
    return _db.session.scalars(select(Notification).order_by(Notification.id)).all()


def test_release_moves_every_application_to_its_outcome_and_tells_each_member_once(admin, call, decided):
    assert unreleased_decision_count(call.id) == 3
    assert release_decisions(admin, call.id) == 3
    _db.session.commit()

    statuses = {name: _db.session.get(type(app), app.id, populate_existing=True).status
                for name, app in decided.items()}
    assert statuses == {"award": ApplicationStatus.AWARDED, "waitlist": ApplicationStatus.WAITLISTED,
                        "reject": ApplicationStatus.REJECTED}
    released = _db.session.execute(select(Decision.status, Decision.released_at)).all()
    assert {status for status, _ in released} == {DecisionStatus.RELEASED}
    assert all(released_at is not None for _, released_at in released)
    assert unreleased_decision_count(call.id) == 0

    messages = _messages()
    members = {app.id: sorted(m.user_id for m in app.organisation.memberships) for app in decided.values()}
    assert sorted((m.context["application_id"], m.recipient_id) for m in messages) == sorted(
        (app_id, user_id) for app_id, users in members.items() for user_id in users)
    assert {m.kind for m in messages} == {"awards.decision_released"}
    assert {m.idempotency_key for m in messages} == {
        f"decision-released:{app_id}:{user_id}" for app_id, users in members.items() for user_id in users}

    award_message = next(m for m in messages if m.context["application_id"] == decided["award"].id)
    assert award_message.context["comments"] == ["Strong community plan.", "Budget needs two quotes."]
    assert award_message.context["outcome"] == "award"
    assert award_message.context["amount"] == {"minor": 2_000_000, "currency": "USD"}
    assert award_message.context["call_title"] == "Mesh networks 2026"
    assert award_message.context["feedback"] == FEEDBACK


def test_each_application_s_move_is_audited_with_its_status_before_and_after(admin, call, decided):
    release_decisions(admin, call.id)
    _db.session.commit()

    events = _db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "Application")).all()
    moves = sorted((e.object_id, e.verb, e.before["status"], e.after["status"], e.actor_id) for e in events)
    award, waitlist, reject = (decided[name].id for name in ("award", "waitlist", "reject"))
    assert moves == sorted([
        (award, "application.under_review", "submitted", "under_review", admin.id),
        (award, "application.awarded", "under_review", "awarded", admin.id),
        (waitlist, "application.waitlisted", "under_review", "waitlisted", admin.id),
        (reject, "application.rejected", "under_review", "rejected", admin.id),
    ])


def test_each_decision_s_release_is_audited_once(admin, call, decided):
    release_decisions(admin, call.id)
    release_decisions(admin, call.id)  # the second click moves nothing and records nothing
    _db.session.commit()

    events = _db.session.scalars(select(AuditEvent).where(AuditEvent.object_type == "Decision")).all()
    decision_ids = _db.session.scalars(select(Decision.id)).all()
    assert sorted((e.object_id, e.verb, e.before["status"], e.after["status"], e.actor_id) for e in events) == sorted(
        (decision_id, "decision.released", "decided", "released", admin.id) for decision_id in decision_ids)


def test_a_disabled_member_is_not_told(admin, call, decided):
    disabled, told = (m.user for m in decided["award"].organisation.memberships)
    disabled.active = False
    _db.session.commit()
    release_decisions(admin, call.id)
    _db.session.commit()
    recipients = [m.recipient_id for m in _messages() if m.context["application_id"] == decided["award"].id]
    assert recipients == [told.id]


def _call_with_decisions(size: int):
    """A closed call with `size` decisions (award, waitlist, reject in turn; every other application still
    only submitted), each applicant organisation with one member."""
    call = CallFactory(closed=True)
    for index in range(size):
        status = ApplicationStatus.SUBMITTED if index % 2 else ApplicationStatus.UNDER_REVIEW
        outcome = ("award", "waitlist", "reject")[index % 3]
        DecisionFactory(application=reviewed_application(call, reviews=1, members=1, status=status), outcome=outcome,
                        amount_minor=10_000_00 if outcome == "award" else None)
    return call


def test_releasing_more_decisions_adds_one_insert_per_message_and_no_query(admin, db):
    statements, messages = {}, {}
    # A first release writes the open-data files (a release hook); the two measured ones rewrite them alike.
    release_decisions(admin, _call_with_decisions(1).id)
    _db.session.commit()
    for size in (3, 12):
        call = _call_with_decisions(size)
        sent_before = len(_messages())
        released, statements[size] = count_statements(lambda call_id=call.id: release_decisions(admin, call_id))
        _db.session.commit()
        assert released == size
        messages[size] = len(_messages()) - sent_before
    assert messages == {3: 3, 12: 12}
    # Nine more decisions cost the nine messages' INSERTs and nothing else: no SELECT, UPDATE or audit
    # INSERT per application.
    assert statements[12] - statements[3] == messages[12] - messages[3]


def test_the_released_e_mail_holds_outcome_feedback_and_comments_but_no_reviewer_name(admin, app, call, decided):
    release_decisions(admin, call.id)
    _db.session.commit()

    by_application = {m.context["application_id"]: m for m in _messages()}
    subject, text, html = render_notification(by_application[decided["award"].id])
    assert subject == f"Decision on your application {decided['award'].reference}"
    for part in (text, html):
        assert "$20,000.00" in part and FEEDBACK in part
        assert "Strong community plan." in part and "Budget needs two quotes." in part
        assert "Comments from the reviewers" in part
        assert f"/applications/{decided['award'].id}/decision" in part
        for secret in ("Rita", "Rami", "Rosa", "Ruth", "Confidential", "Draft thoughts"):
            assert secret not in part
    _subject, text, _html = render_notification(by_application[decided["waitlist"].id])
    assert "waiting list" in text and "On the waiting list." in text
    assert "Comments from the reviewers" not in text  # no review, no empty heading
    _subject, text, _html = render_notification(by_application[decided["reject"].id])
    assert "not been selected" in text and "Not this time." in text


def test_the_amount_is_written_the_way_each_recipient_reads_money(admin, call, decided):
    member = decided["award"].organisation.memberships[0].user
    member.locale = "fr"
    _db.session.commit()
    release_decisions(admin, call.id)
    _db.session.commit()
    message = _db.session.scalar(select(Notification).where(Notification.recipient_id == member.id))
    assert message.locale == "fr"
    _subject, text, _html = render_notification(message)
    assert "20 000,00 $US" in text.replace("\u202f", " ").replace("\xa0", " ")


def test_a_second_release_finds_nothing_and_sends_nothing(admin, call, decided):
    assert release_decisions(admin, call.id) == 3
    _db.session.commit()
    sent = len(_messages())

    assert release_decisions(admin, call.id) == 0
    _db.session.commit()
    assert len(_messages()) == sent
    [event] = _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "decisions.released")).all()
    assert event.object_type == "Call" and event.object_id == call.id and event.actor_id == admin.id
    assert event.after["count"] == 3
    assert sorted(event.after["application_ids"]) == sorted(app.id for app in decided.values())


def test_a_decision_taken_after_a_release_goes_out_with_the_next_one(admin, call, decided):
    release_decisions(admin, call.id)
    _db.session.commit()
    late = reviewed_application(call, reviews=0, members=1)
    DecisionFactory(application=late, outcome="reject", amount_minor=None)

    assert release_decisions(admin, call.id) == 1
    _db.session.commit()
    assert _db.session.get(type(late), late.id, populate_existing=True).status == ApplicationStatus.REJECTED
    assert [m.recipient_id for m in _messages() if m.context["application_id"] == late.id] == [
        late.organisation.memberships[0].user_id]


def test_only_this_calls_decisions_are_released(admin, call, decided):
    other = reviewed_application(CallFactory(closed=True), reviews=0, members=1)
    DecisionFactory(application=other)
    assert release_decisions(admin, call.id) == 3
    _db.session.commit()
    kept = _db.session.execute(select(Decision.status, Decision.released_at).where(Decision.application_id == other.id))
    assert tuple(kept.one()) == (DecisionStatus.DECIDED, None)


def test_a_withdrawn_application_is_not_released(admin, call):
    withdrawn = reviewed_application(call, reviews=0, members=1, status=ApplicationStatus.WITHDRAWN)
    DecisionFactory(application=withdrawn, outcome="reject", amount_minor=None)
    assert unreleased_decision_count(call.id) == 0
    assert release_decisions(admin, call.id) == 0
    _db.session.commit()
    assert _messages() == []


def test_only_admins_release(call, decided):
    member = decided["award"].organisation.memberships[0].user
    for user in (member, UserFactory(roles=["reviewer"])):
        with pytest.raises(PermissionDenied):
            release_decisions(user, call.id)
    assert unreleased_decision_count(call.id) == 3


def test_an_unknown_call_is_not_found(admin):
    with pytest.raises(NotFound):
        release_decisions(admin, 987654)


def test_two_admins_releasing_at_once_send_one_message_per_member(app, admin, call, decided):
    other_admin = UserFactory(roles=["admin"])
    admin_id, other_id, call_id = admin.id, other_admin.id, call.id
    counts = []

    def releaser(user_id):
        def action():
            from cade.accounts.models import User

            counts.append(release_decisions(_db.session.get(User, user_id), call_id))
        return action

    outcomes = run_side_by_side(app, [releaser(admin_id), releaser(other_id)], pause_after="from calls")
    assert outcomes == ["done", "done"]
    assert sorted(counts) == [0, 3]
    _db.session.expire_all()
    members = sum(len(app_.organisation.memberships) for app_ in decided.values())
    assert len(_messages()) == members == 4


def test_a_worker_delivers_exactly_one_decision_e_mail_per_applicant_member(admin, call, decided, smtp_sink):
    release_decisions(admin, call.id)
    _db.session.commit()
    release_decisions(admin, call.id)  # the second click
    _db.session.commit()

    for notification_id in [m.id for m in _messages()]:
        assert deliver_notification(notification_id) == "sent"
        _db.session.commit()

    received = smtp_sink.wait_for(4)
    recipients = sorted(message["To"] for message in received)
    assert recipients == sorted(m.user.email for app in decided.values() for m in app.organisation.memberships)
    award_ref = decided["award"].reference
    award_mails = [m for m in received if m["Subject"] == f"Decision on your application {award_ref}"]
    assert len(award_mails) == 2
    body = award_mails[0].get_body(preferencelist=("plain",)).get_content()
    assert FEEDBACK in body and "Strong community plan." in body and "Rita" not in body


def test_a_review_whose_reviewer_declared_a_conflict_after_submitting_is_not_passed_on(admin, call, decided):
    from cade.awards.services.decisions import submitted_review_count
    from cade.reviews.services.conflicts import declare_conflict

    award = decided["award"]
    late = _review(award, "Lena Reviewer", "A comment from a reviewer who turned out to be conflicted.")
    counted_before = submitted_review_count(award.id)
    declare_conflict(late.assignment.reviewer, late.assignment_id, True, "I advised them last year.")
    _db.session.commit()

    assert submitted_review_count(award.id) == counted_before - 1
    release_decisions(admin, call.id)
    _db.session.commit()
    sent = {tuple(m.context["comments"]) for m in _messages() if m.kind == "awards.decision_released"
            and m.context["application_id"] == award.id}
    assert sent == {("Strong community plan.", "Budget needs two quotes.")}


# ---------------------------------------------------------------- what was released is kept with the decision


def test_each_decision_keeps_the_feedback_and_comments_it_was_released_with(admin, call, decided):
    release_decisions(admin, call.id)
    _db.session.commit()

    kept = {application_id: (feedback, comments) for application_id, feedback, comments in _db.session.execute(
        select(Decision.application_id, Decision.released_feedback, Decision.released_comments))}
    assert kept == {
        decided["award"].id: (FEEDBACK, ["Strong community plan.", "Budget needs two quotes."]),
        decided["waitlist"].id: ("On the waiting list.", []),
        decided["reject"].id: ("Not this time.", []),
    }
    # What is kept is exactly what each member was sent.
    for message in _messages():
        feedback, comments = kept[message.context["application_id"]]
        assert (message.context["feedback"], message.context["comments"]) == (feedback, comments)


def test_the_kept_text_does_not_follow_later_changes(admin, call, decided):
    from sqlalchemy import update

    from cade.reviews.models import Review

    release_decisions(admin, call.id)
    _db.session.commit()
    # What a later edit would do, straight in the database: nothing the service would refuse stops it here.
    _db.session.execute(update(Decision).values(feedback="Rewritten after the release."))
    _db.session.execute(update(Review).values(comment_to_applicant="Rewritten comment."))
    _db.session.commit()

    award = _db.session.scalar(select(Decision).where(Decision.application_id == decided["award"].id))
    assert award.released_feedback == FEEDBACK
    assert award.released_comments == ["Strong community plan.", "Budget needs two quotes."]


def test_a_released_decision_is_refused_by_the_decide_service_and_its_kept_text_stays(admin, call, decided):
    from cade.awards.services.decisions import DecisionInput, decide_application
    from cade.core.errors import InvalidTransition

    release_decisions(admin, call.id)
    _db.session.commit()
    command = DecisionInput.from_input({"outcome": "reject", "feedback": "Changed my mind.", "rationale": "No."},
                                       currency="USD")
    with pytest.raises(InvalidTransition, match="released"):
        decide_application(admin, decided["award"].id, command)
    _db.session.rollback()
    award = _db.session.scalar(select(Decision).where(Decision.application_id == decided["award"].id))
    assert (award.outcome, award.feedback, award.released_feedback) == ("award", FEEDBACK, FEEDBACK)


# ---------------------------------------------------------------- what a release would send, and its confirmation


def test_the_preview_counts_the_decisions_and_the_people_a_release_would_tell(admin, call, decided):
    from cade.awards.services.release import release_preview
    from tests.factories import MembershipFactory

    # One person in two applicant organisations is one person (told twice, once per application);
    # a disabled member is not told at all.
    both = MembershipFactory(organisation=decided["award"].organisation).user
    MembershipFactory(organisation=decided["waitlist"].organisation, user=both)
    MembershipFactory(organisation=decided["reject"].organisation, user=UserFactory(active=False))
    _db.session.commit()

    preview = release_preview(call.id)
    assert (preview.decisions, preview.people) == (3, 5)
    assert preview.by_outcome == {"award": 1, "waitlist": 1, "reject": 1}

    assert release_decisions(admin, call.id, expected=preview.decisions) == 3
    _db.session.commit()
    assert len({m.recipient_id for m in _messages()}) == preview.people
    after = release_preview(call.id)
    assert (after.decisions, after.people, after.by_outcome) == (0, 0, {})


def test_a_release_confirmed_for_another_number_of_decisions_releases_nothing(admin, call, decided):
    from cade.awards.services.release import ReleaseCountChanged, release_preview

    previewed = release_preview(call.id).decisions
    # Meanwhile another admin decides one more.
    DecisionFactory(application=reviewed_application(call, reviews=0, members=1), outcome="reject", amount_minor=None)
    _db.session.commit()

    with pytest.raises(ReleaseCountChanged) as excinfo:
        release_decisions(admin, call.id, expected=previewed)
    assert excinfo.value.params == {"expected": 3, "count": 4}
    _db.session.rollback()
    assert unreleased_decision_count(call.id) == 4
    assert _messages() == []

    assert release_decisions(admin, call.id, expected=4) == 4


def test_a_confirmation_sent_twice_releases_once_and_the_second_finds_nothing(admin, call, decided):
    assert release_decisions(admin, call.id, expected=3) == 3
    _db.session.commit()
    sent = len(_messages())
    # The same confirmation again (a double click): nothing left, which is not a change to complain about.
    assert release_decisions(admin, call.id, expected=3) == 0
    _db.session.commit()
    assert len(_messages()) == sent


def test_two_confirmations_of_the_same_preview_at_once_release_once_and_refuse_nothing(app, admin, call, decided):
    other_admin = UserFactory(roles=["admin"])
    admin_id, other_id, call_id = admin.id, other_admin.id, call.id
    counts = []

    def confirmer(user_id):
        def action():
            from cade.accounts.models import User

            counts.append(release_decisions(_db.session.get(User, user_id), call_id, expected=3))
        return action

    # Both read the call before either holds its lock; the second then finds nothing left, which is no change.
    outcomes = run_side_by_side(app, [confirmer(admin_id), confirmer(other_id)], pause_after="from calls")
    assert outcomes == ["done", "done"]
    assert sorted(counts) == [0, 3]
    _db.session.expire_all()
    assert len(_messages()) == 4
