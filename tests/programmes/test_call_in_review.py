"""A call in review keeps its rules: the envelope, blind review, and a reason for every other change (issue 8, item 2).

A call is in review once it is published and its deadline has passed. Its
envelope never drops below what is already awarded (also while an award is
being decided at the same moment), blind review stays as reviewers found it,
and any other change is kept in the audit log with the admin's reason.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from cade.accounts.models import User
from cade.awards.constants import DecisionOutcome
from cade.awards.services import decisions
from cade.core.audit import AuditEvent
from cade.core.db import utcnow
from cade.core.errors import BudgetExceeded, ValidationFailed
from cade.core.money import from_minor
from cade.extensions import db as _db
from cade.programmes import services
from cade.programmes.models import Call
from cade.programmes.services import calls as call_services
from tests.concurrency import run_side_by_side
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    ConflictDeclarationFactory,
    DecisionFactory,
    ProgrammeFactory,
    UserFactory,
    reviewed_application,
)
from tests.programmes.test_services import changed_call, errors_of

REASON = "The funder cut the budget of the programme."


def in_review(**kwargs) -> Call:
    """A call whose deadline passed yesterday; its times to the second, as the edit form gives them back."""
    now = utcnow().replace(microsecond=0)
    return CallFactory(opens_at=now - timedelta(days=40), closes_at=now - timedelta(days=1), **kwargs)


@pytest.fixture()
def call(db):
    """A USD call in review: envelope 100,000.00, awards 5,000.00 to 40,000.00, not blind."""
    return in_review(budget_envelope_minor=100_000_00, min_award_minor=5_000_00, max_award_minor=40_000_00,
                     blind_review=False)


def award(call, amount_minor, **kwargs):
    return DecisionFactory(application=ApplicationFactory(call=call, under_review=True), amount_minor=amount_minor,
                           **kwargs)


def opened(call, *, has_conflict=False):
    """A reviewer answers the conflict question for an application of `call` (no conflict: they open it)."""
    assignment = AssignmentFactory(application=ApplicationFactory(call=call, under_review=True))
    return ConflictDeclarationFactory(assignment=assignment, has_conflict=has_conflict,
                                      reason="I advised them last year." if has_conflict else None)


def fresh(call) -> Call:
    _db.session.expire_all()
    return _db.session.get(Call, call.id)


def update_events(call):
    return _db.session.scalars(select(AuditEvent).where(
        AuditEvent.verb == "call.updated", AuditEvent.object_id == call.id).order_by(AuditEvent.id)).all()


# --- the envelope and what is already awarded ---------------------------------------------


def test_an_envelope_below_the_awarded_amount_is_refused_naming_it(admin, call):
    award(call, 7_500_00)
    award(call, 5_000_00)
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_call(admin, call.id, changed_call(call, budget_envelope=Decimal("12000"),
                                                          max_award=Decimal("10000"), reason=REASON))
    assert errors_of(excinfo) == {"budget_envelope": ["The envelope cannot be below the $12,500.00 already awarded."]}
    assert fresh(call).budget_envelope_minor == 100_000_00
    assert update_events(call) == []


def test_the_awarded_amount_is_named_in_the_readers_language(app, admin):
    call = in_review(programme=ProgrammeFactory(currency="EUR"), max_award_minor=10_000_00)
    award(call, 12_500_00)
    with app.test_request_context(), force_locale("fr"), pytest.raises(ValidationFailed) as excinfo:
        services.update_call(admin, call.id, changed_call(call, budget_envelope=Decimal("12000"), reason=REASON))
    assert "12\u202f500,00\u00a0€" in str(excinfo.value.errors["budget_envelope"][0])


def test_an_envelope_equal_to_the_awarded_amount_is_allowed(admin, call):
    award(call, 7_500_00)
    award(call, 5_000_00)
    services.update_call(admin, call.id, changed_call(call, budget_envelope=Decimal("12500"),
                                                      max_award=Decimal("10000"), reason=REASON))
    _db.session.commit()
    assert fresh(call).budget_envelope_minor == 12_500_00


def test_only_awards_that_hold_money_count(admin, call):
    award(call, 20_000_00)
    DecisionFactory(application=ApplicationFactory(call=call, under_review=True),
                    outcome=DecisionOutcome.WAITLIST, amount_minor=None)
    award(in_review(), 90_000_00)  # another call's award
    services.update_call(admin, call.id, changed_call(call, budget_envelope=Decimal("20000"),
                                                      max_award=Decimal("20000"), reason=REASON))
    assert call.budget_envelope_minor == 20_000_00


def test_an_envelope_already_below_what_is_awarded_does_not_block_other_changes(admin, call):
    # Not reachable through the services, but an old row must not make the call impossible to correct.
    award(call, 30_000_00)
    call.budget_envelope_minor = 20_000_00
    call.max_award_minor = 20_000_00
    _db.session.commit()
    services.update_call(admin, call.id, changed_call(call, title="Corrected title", reason=REASON))
    assert call.title == "Corrected title"


def _lower_envelope(admin_id, call_id, command):
    def action():
        services.update_call(_db.session.get(User, admin_id), call_id, command)
    return action


def _award_action(admin_id, application_id, amount_minor, currency):
    def action():
        command = decisions.DecisionInput.from_input(
            {"outcome": "award", "amount": from_minor(amount_minor, currency), "feedback": "Funded.",
             "rationale": "Top ranked."}, currency=currency)
        decisions.decide_application(_db.session.get(User, admin_id), application_id, command)
    return action


def _race(app, call):
    """An award of 30,000.00 and an envelope lowered to 40,000.00 at once, with 20,000.00 already awarded:
    each fits alone, together they would award 50,000.00 out of 40,000.00."""
    award(call, 20_000_00)
    application_id = reviewed_application(call, reviews=1, requested_amount_minor=30_000_00).id
    admins = [UserFactory(roles=["admin"]).id for _ in range(2)]
    command = changed_call(call, budget_envelope=Decimal("40000"), max_award=Decimal("30000"), reason=REASON)
    lower = _lower_envelope(admins[1], call.id, command)
    # Both have read the envelope and the awarded sum when they pause: only a lock keeps them apart.
    return run_side_by_side(app, [_award_action(admins[0], application_id, 30_000_00, call.currency), lower],
                            pause_after="sum(case")


@pytest.fixture()
def race_call(db):
    return in_review(budget_envelope_minor=50_000_00, min_award_minor=5_000_00,
                       max_award_minor=30_000_00, reviews_required=1)


def _committed_and_envelope(call):
    from cade.awards.services.commitments import committed_total

    return committed_total(call.id), fresh(call).budget_envelope_minor


def test_an_envelope_lowered_while_an_award_is_decided_never_leaves_more_awarded_than_it_holds(app, race_call):
    outcomes = _race(app, race_call)

    assert sorted("done" if o == "done" else "refused" for o in outcomes) == ["done", "refused"]
    refusal = next(o for o in outcomes if o != "done")
    assert isinstance(refusal, (BudgetExceeded, ValidationFailed))
    committed, envelope = _committed_and_envelope(race_call)
    assert committed <= envelope


def test_without_the_lock_the_lowered_envelope_and_the_award_would_both_pass(app, race_call, monkeypatch):
    """The test above is not luck: with the call's row left unlocked by the edit, both pass and overspend."""
    monkeypatch.setattr(call_services, "lock_row", lambda model, object_id: None)
    outcomes = _race(app, race_call)

    assert outcomes == ["done", "done"]
    committed, envelope = _committed_and_envelope(race_call)
    assert (committed, envelope) == (50_000_00, 40_000_00)


# --- blind review once a reviewer has opened an application ---------------------------------------


def test_blind_review_can_change_before_any_reviewer_opens_an_application(admin, call):
    AssignmentFactory(application=ApplicationFactory(call=call, under_review=True))  # assigned, not yet opened
    opened(in_review())  # another call's application
    services.update_call(admin, call.id, changed_call(call, blind_review=True, reason=REASON))
    assert call.blind_review is True


@pytest.mark.parametrize("blind", [False, True], ids=["switch_on", "switch_off"])
def test_blind_review_cannot_change_once_a_reviewer_opened_an_application(admin, blind):
    call = in_review(blind_review=blind)
    opened(call)
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_call(admin, call.id, changed_call(call, blind_review=not blind, reason=REASON))
    assert errors_of(excinfo) == {"blind_review": [
        "Blind review cannot change: reviewers have already opened applications of this call."]}
    assert fresh(call).blind_review is blind


def test_a_declared_conflict_locks_blind_review_too(admin, call):
    # The declaration keeps only the latest answer: a conflict may follow a "no conflict" that opened it.
    opened(call, has_conflict=True)
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_call(admin, call.id, changed_call(call, blind_review=True, reason=REASON))
    assert "blind_review" in excinfo.value.errors


def test_a_locked_blind_review_left_out_stays_as_it_is(admin):
    # The edit form shows a locked setting as text, not as a box: what is not sent is not changed.
    call = in_review(blind_review=True)
    opened(call)
    data = {**services.call_as_input(call), "title": "Corrected title", "reason": REASON}
    del data["blind_review"]
    services.update_call(admin, call.id, services.CallInput.from_input(data, currency=call.currency))
    assert (call.title, call.blind_review) == ("Corrected title", True)


def test_a_new_call_left_without_blind_review_is_not_blind(admin):
    programme = ProgrammeFactory()
    data = {**services.call_as_input(CallFactory(draft=True)), "reference_prefix": "NEW-2030"}
    del data["blind_review"]
    created = services.create_call(admin, programme.id, services.CallInput.from_input(data, currency="USD"))
    assert created.blind_review is False


# --- a reason for every other change -----------------------------------------------------------


def test_a_change_to_a_call_in_review_needs_a_reason(admin, call):
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_call(admin, call.id, changed_call(call, title="Corrected title"))
    assert errors_of(excinfo) == {"reason": [
        "This call is in review: say why you are changing it. The reason is kept in the audit log."]}
    assert fresh(call).title != "Corrected title"
    with pytest.raises(ValidationFailed):
        services.update_call(admin, call.id, changed_call(call, title="Corrected title", reason="   "))


def test_with_a_reason_the_change_is_saved_and_the_reason_is_in_the_audit_row(admin, call):
    old_title = call.title
    services.update_call(admin, call.id, changed_call(call, title="Corrected title", budget_envelope=Decimal("90000"),
                                                      reason=REASON))
    _db.session.commit()
    assert (fresh(call).title, fresh(call).budget_envelope_minor) == ("Corrected title", 90_000_00)
    [event] = update_events(call)
    assert event.actor_id == admin.id
    assert event.after["reason"] == REASON
    assert event.after["changed"] == {
        "title": {"before": old_title, "after": "Corrected title"},
        "budget_envelope_minor": {"before": 100_000_00, "after": 90_000_00},
    }


def test_saving_a_call_in_review_unchanged_needs_no_reason(admin, call):
    services.update_call(admin, call.id, changed_call(call))
    [event] = update_events(call)
    assert event.after["changed"] == {}


@pytest.mark.parametrize("state", ["draft", "open"])
def test_a_draft_or_open_call_needs_no_reason(admin, state):
    call = CallFactory(draft=True) if state == "draft" else CallFactory()
    services.update_call(admin, call.id, changed_call(call, title="Renamed", budget_envelope=Decimal("90000")))
    _db.session.commit()
    assert fresh(call).title == "Renamed"
    [event] = update_events(call)
    assert event.after["reason"] is None and set(event.after["changed"]) == {"title", "budget_envelope_minor"}


def test_an_over_long_reason_is_refused(admin, call):
    with pytest.raises(ValidationFailed) as excinfo:
        changed_call(call, title="Corrected title", reason="x" * 2001)
    assert errors_of(excinfo) == {"reason": ["Use at most 2000 characters."]}


def test_every_refusal_is_named_at_once(admin, call):
    award(call, 12_500_00)
    opened(call)
    with pytest.raises(ValidationFailed) as excinfo:
        services.update_call(admin, call.id, changed_call(call, budget_envelope=Decimal("12000"),
                                                          max_award=Decimal("10000"), blind_review=True))
    assert set(excinfo.value.errors) == {"budget_envelope", "blind_review", "reason"}


# --- the edit page -------------------------------------------------------------------------------


def form_of(call, **changes) -> dict:
    """The edit form as the page fills it in, with `changes` typed over it."""
    page_values = services.call_as_input(call)
    data = {
        "title": call.title, "reference_prefix": call.reference_prefix, "description": call.description or "",
        "timezone": call.timezone,
        "opens_at": _local(call.opens_at, call), "closes_at": _local(call.closes_at, call),
        "budget_envelope": str(page_values["budget_envelope"]), "min_award": str(page_values["min_award"]),
        "max_award": str(page_values["max_award"]), "reviews_required": str(call.reviews_required),
    }
    if call.blind_review:
        data["blind_review"] = "y"
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def _local(moment, call) -> str:
    from cade.core.timeutil import utc_to_local

    return utc_to_local(moment, call.timezone).strftime("%Y-%m-%dT%H:%M:%S")


def field_error(page, name):
    match = re.search(rf'<p class="error" id="{name}-error">(.*?)</p>', page, re.S)
    return match.group(1).strip() if match else None


def test_the_edit_page_of_a_call_in_review_says_what_holds_and_asks_for_a_reason(client, login, admin):
    call = in_review(blind_review=True)
    award(call, 12_500_00)
    opened(call)
    login(admin)
    page = client.get(f"/admin/calls/{call.id}/edit").get_data(as_text=True)
    assert "This call is in review" in page
    assert "$12,500.00 is already awarded" in page
    assert 'name="blind_review"' not in page  # shown as text: a locked setting is not a box to tick
    assert "Blind review is on and can no longer change" in page
    assert re.search(r'<textarea[^>]*name="reason"', page)


def test_the_edit_page_of_an_open_call_asks_no_reason(client, login, admin):
    call = CallFactory()
    login(admin)
    page = client.get(f"/admin/calls/{call.id}/edit").get_data(as_text=True)
    assert 'name="reason"' not in page and "This call is in review" not in page
    assert 'name="blind_review"' in page


def test_a_change_without_a_reason_comes_back_with_everything_typed(client, login, admin, call):
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/edit",
                           data=form_of(call, title="Typed title", description="Typed description"))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "say why you are changing it" in field_error(page, "reason")
    assert 'value="Typed title"' in page and "Typed description" in page
    assert fresh(call).title != "Typed title"


def test_an_envelope_below_the_awarded_amount_comes_back_on_its_field_with_everything_typed(client, login, admin, call):
    award(call, 12_500_00)
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/edit", data=form_of(
        call, title="Typed title", budget_envelope="12000", max_award="10000", reason=REASON))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert field_error(page, "budget_envelope") == "The envelope cannot be below the $12,500.00 already awarded."
    assert field_error(page, "reason") is None
    assert 'value="Typed title"' in page and 'value="12000"' in page and REASON in page
    assert fresh(call).budget_envelope_minor == 100_000_00


def test_the_awarded_amount_is_shown_in_the_admins_language(client, login):
    call = in_review(programme=ProgrammeFactory(currency="EUR"), max_award_minor=10_000_00)
    award(call, 12_500_00)
    login(UserFactory(roles=["admin"], locale="fr"))
    page = client.post(f"/admin/calls/{call.id}/edit",
                       data=form_of(call, budget_envelope="12000", reason=REASON)).get_data(as_text=True)
    assert "12\u202f500,00\u00a0€" in field_error(page, "budget_envelope")


def test_a_change_with_a_reason_is_saved_and_audited(client, login, admin, call):
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/edit", data=form_of(call, title="Typed title", reason=REASON))
    assert response.status_code == 302
    assert fresh(call).title == "Typed title"
    [event] = update_events(call)
    assert event.after["reason"] == REASON and set(event.after["changed"]) == {"title"}


def test_the_locked_blind_review_stays_on_when_the_form_leaves_it_out(client, login, admin):
    call = in_review(blind_review=True)
    opened(call)
    login(admin)
    data = form_of(call, title="Typed title", reason=REASON)
    del data["blind_review"]
    assert client.post(f"/admin/calls/{call.id}/edit", data=data).status_code == 302
    assert (fresh(call).title, fresh(call).blind_review) == ("Typed title", True)


def test_blind_review_ticked_on_a_page_opened_before_the_lock_is_refused_on_its_field(client, login, admin, call):
    login(admin)
    opened(call)  # after the admin opened the form, a reviewer opened an application
    response = client.post(f"/admin/calls/{call.id}/edit",
                           data=form_of(call, blind_review="y", title="Typed title", reason=REASON))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "reviewers have already opened applications" in field_error(page, "blind_review")
    assert 'value="Typed title"' in page
    assert fresh(call).blind_review is False
