"""Travel claims against receipts: capped per category, receipts checked by content, approved or adjusted with a
reason, paid once (issue 13, item 6)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, UploadRejected, ValidationFailed
from cade.core.rates import ExchangeRate
from cade.extensions import db as _db
from cade.travel import claim_decisions as decisions
from cade.travel import claims
from cade.travel.constants import ClaimStatus
from cade.travel.models import Claim, ClaimLine, ClaimReceipt
from tests.concurrency import run_side_by_side
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.travel.claim_helpers import NOT_A_RECEIPT, PNG, approved_trip, line, receipt


def add(actor, trip, locale="en", with_receipt=True, **values):
    command = claims.ClaimLineInput.from_input(line(**values), locale=locale)
    return claims.add_claim_line(actor, trip.id, command, receipt() if with_receipt else None)


def count(verb):
    return _db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == verb))


def submitted(trip, traveller, **values):
    add(traveller, trip, **values)
    claim = claims.submit_claim(traveller, trip.id)
    _db.session.commit()
    return claim


def test_a_claim_above_the_approved_amount_is_accepted_with_the_excess_marked(db):
    trip, _owner, traveller = approved_trip()
    first = add(traveller, trip, paid="950.00")  # airfare approved: 800.00
    assert (first.amount_minor, first.reimbursable_minor) == (950_00, 800_00)
    second = add(traveller, trip, paid="40")  # a second airfare line: nothing left in the category
    assert second.reimbursable_minor == 0
    other = add(traveller, trip, category="visa", paid="60")  # a category the decision did not approve
    assert other.reimbursable_minor == 0
    claim = claims.claim_of(trip)
    totals = {t.category: t for t in claims.category_totals(trip, claim)}
    assert totals["airfare"].excess_minor == 190_00 and totals["airfare"].reimbursable_minor == 800_00
    assert totals["visa"].excess_minor == 60_00 and totals["accommodation"].claimed_minor == 0
    assert claims.reimbursable_total(claim) == 800_00
    assert count("claim_line.added") == 3


def test_removing_a_line_gives_its_share_of_the_cap_to_the_next(db):
    trip, _owner, traveller = approved_trip()
    first = add(traveller, trip, paid="700")
    second = add(traveller, trip, paid="300")
    assert second.reimbursable_minor == 100_00
    claims.remove_claim_line(traveller, trip.id, first.id)
    assert second.reimbursable_minor == 300_00 and count("claim_line.removed") == 1


def test_amounts_are_read_in_the_readers_language(db):
    trip, _owner, traveller = approved_trip()
    added = add(traveller, trip, locale="fr", paid="1 250,50", category="accommodation")
    assert added.amount_minor == 1_250_50 and added.reimbursable_minor == 600_00


def test_bad_amounts_and_categories_are_refused_on_their_fields(db):
    with pytest.raises(ValidationFailed) as refused:
        claims.ClaimLineInput.from_input(line(category="champagne", paid="-3", currency="XXQ"))
    assert {"category", "paid_currency"} <= set(refused.value.errors)
    with pytest.raises(ValidationFailed) as refused:
        claims.ClaimLineInput.from_input(line(paid="12.345"))
    assert set(refused.value.errors) == {"paid"}
    with pytest.raises(ValidationFailed) as refused:
        claims.ClaimLineInput.from_input(line(paid=""))
    assert set(refused.value.errors) == {"paid"}


def test_a_recorded_rate_for_the_day_paid_converts_and_is_named(db, admin):
    trip, _owner, traveller = approved_trip()
    _db.session.add(ExchangeRate(from_currency="CHF", to_currency="USD", rate=Decimal("1.1250"),
                                 rate_date=date(2026, 1, 1), source="ECB"))
    _db.session.commit()
    added = add(traveller, trip, category="accommodation", paid="400", currency="CHF", paid_on="2026-07-07",
                rate="9.99", rate_source="ignored: a rate is recorded")
    assert added.amount_minor == 450_00 and added.rate == Decimal("1.125")
    assert "ECB" in added.rate_source and "2026-01-01" in added.rate_source


def test_without_a_recorded_rate_the_rate_used_and_its_source_are_asked(db):
    trip, _owner, traveller = approved_trip()
    with pytest.raises(ValidationFailed) as refused:
        add(traveller, trip, paid="30000", currency="XOF")
    assert set(refused.value.errors) == {"rate", "rate_source"}
    assert "XOF" in str(refused.value.errors["rate"][0])
    added = add(traveller, trip, paid="300000", currency="XOF", rate="0.0016", rate_source="Bank statement")
    assert (added.amount_minor, added.rate, added.rate_source) == (480_00, Decimal("0.0016"), "Bank statement")


def test_a_receipt_that_is_not_a_pdf_or_image_by_content_is_refused_and_nothing_is_kept(db, storage_path):
    trip, _owner, traveller = approved_trip()
    before = sorted(p.name for p in storage_path.rglob("*") if p.is_file()) if storage_path.exists() else []
    with pytest.raises(UploadRejected) as refused:
        claims.add_claim_line(traveller, trip.id, claims.ClaimLineInput.from_input(line()),
                              receipt(NOT_A_RECEIPT, "receipt.pdf"))
    assert refused.value.field == "receipt" and "PDF, PNG or JPEG" in str(refused.value)
    _db.session.rollback()
    after = sorted(p.name for p in storage_path.rglob("*") if p.is_file()) if storage_path.exists() else []
    assert after == before
    assert _db.session.scalar(select(func.count()).select_from(ClaimReceipt)) == 0
    png = add(traveller, trip)
    claims.add_receipt(traveller, trip.id, png.id, *receipt(PNG, "taxi.png"))
    assert sorted(r.content_type for r in png.receipts) == ["application/pdf", "image/png"]


def test_only_the_traveller_and_the_owners_may_claim_others_are_told_it_does_not_exist(db):
    trip, owner, traveller = approved_trip()
    add(owner, trip, paid="100")
    stranger = UserFactory()
    MembershipFactory(user=stranger, organisation=OrganisationFactory(), role="owner")
    member = UserFactory()
    MembershipFactory(user=member, organisation=trip.application.organisation, role="member")
    for outsider in (stranger, member):
        with pytest.raises(NotFound):
            add(outsider, trip)
        with pytest.raises(NotFound):
            claims.submit_claim(outsider, trip.id)


def test_a_traveller_without_an_account_in_the_organisation_matched_by_email_may_claim(db):
    trip, _owner, _ = approved_trip(traveller_email="lea@example.net", traveller_name="Léa Martin")
    lea = UserFactory(email="Lea@Example.net", name="Léa Martin")
    assert add(lea, trip).amount_minor == 950_00


def test_no_claim_before_the_event_or_for_a_trip_not_approved(db):
    trip, _owner, traveller = approved_trip(starts_on=date.today() + timedelta(days=5))
    with pytest.raises(InvalidTransition, match="once the event has started"):
        add(traveller, trip)
    unapproved, _owner, traveller = approved_trip(approved={"airfare": 500_00})
    unapproved.costs[0].approved_minor = None
    _db.session.commit()
    with pytest.raises(InvalidTransition, match="not been approved"):
        add(traveller, unapproved)


def test_submitting_needs_a_receipt_on_every_line_then_tells_the_admins_once(db, admin, outbox):
    trip, _owner, traveller = approved_trip()
    with pytest.raises(ValidationFailed) as refused:
        claims.submit_claim(traveller, trip.id)
    assert "category" in refused.value.errors  # no line yet
    bare = add(traveller, trip, with_receipt=False)
    with pytest.raises(ValidationFailed) as refused:
        claims.submit_claim(traveller, trip.id)
    assert list(refused.value.errors) == [f"receipt-{bare.id}"]
    claims.add_receipt(traveller, trip.id, bare.id, *receipt())
    claim = claims.submit_claim(traveller, trip.id)
    _db.session.commit()
    assert claim.status == ClaimStatus.SUBMITTED and count("travel claim.submitted") == 1
    [message] = outbox("travel.claim_received")
    assert message.recipient_id == admin.id and message.context["traveller"] == "Kofi Mensah"
    with pytest.raises(InvalidTransition, match="submitted on"):
        claims.submit_claim(traveller, trip.id)  # a second click
    with pytest.raises(InvalidTransition):
        add(traveller, trip)


def test_approving_as_claimed_tells_the_traveller_and_the_owners(db, admin, outbox):
    trip, owner, traveller = approved_trip()
    claim = submitted(trip, traveller, paid="950")
    decisions.decide_claim(admin, claim.id)
    _db.session.commit()
    assert claim.status == ClaimStatus.APPROVED and claim.decided_by_id == admin.id
    messages = outbox("travel.claim_decided")
    assert sorted(m.recipient_id for m in messages) == sorted([owner.id, traveller.id])
    assert messages[0].context["adjusted"] is False
    assert messages[0].context["reimbursable"] == {"minor": 800_00, "currency": "USD"}


def test_an_adjustment_needs_a_reason_and_stays_within_the_approval(db, admin, outbox):
    trip, _owner, traveller = approved_trip()
    claim = submitted(trip, traveller, paid="700")
    [only] = claim.lines
    with pytest.raises(ValidationFailed) as refused:
        decisions.decide_claim(admin, claim.id, {only.id: decisions.Adjustment(500_00, None)})
    assert list(refused.value.errors) == [f"reason-{only.id}"]
    with pytest.raises(ValidationFailed) as refused:
        decisions.decide_claim(admin, claim.id, {only.id: decisions.Adjustment(750_00, "Typo")})  # above claimed
    assert list(refused.value.errors) == [f"reimbursable-{only.id}"]
    _db.session.rollback()
    claim = _db.session.get(Claim, claim.id)
    assert claim.status == ClaimStatus.SUBMITTED
    decisions.decide_claim(admin, claim.id, {only.id: decisions.Adjustment(650_00, "Economy fare only.")})
    _db.session.commit()
    line = _db.session.get(ClaimLine, only.id)
    assert (line.reimbursable_minor, line.adjustment_reason) == (650_00, "Economy fare only.")
    [message, *_rest] = outbox("travel.claim_decided")
    assert message.context["adjusted"] is True and message.context["reasons"][0]["reason"] == "Economy fare only."
    event = _db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "travel claim.approved"))
    assert event.after["adjusted"][str(only.id)]["reason"] == "Economy fare only."


def test_an_adjustment_cannot_raise_a_category_above_its_approved_amount(db, admin):
    trip, _owner, traveller = approved_trip()
    add(traveller, trip, paid="700")
    claim = submitted(trip, traveller, paid="300")  # 700 + 100 reimbursable
    second = claim.lines[1]
    with pytest.raises(ValidationFailed) as refused:
        decisions.decide_claim(admin, claim.id, {second.id: decisions.Adjustment(300_00, "Receipt checked")})
    assert "approved" in str(refused.value.errors[f"reimbursable-{second.id}"][0])


def test_only_admins_decide_and_pay_and_only_what_is_submitted_or_approved(db, admin):
    trip, owner, traveller = approved_trip()
    add(traveller, trip)
    claim = claims.claim_of(trip)
    with pytest.raises(InvalidTransition, match="not been submitted"):
        decisions.decide_claim(admin, claim.id)
    with pytest.raises(InvalidTransition, match="must be approved"):
        decisions.pay_claim(admin, claim.id, decisions.ClaimPaymentInput.from_input({"paid_on": "2026-07-20",
                                                                                "reference": "T-1"}))
    with pytest.raises(PermissionDenied):
        decisions.decide_claim(owner, claim.id)


def test_paying_records_the_payment_once_and_tells_the_traveller(db, admin, outbox):
    trip, owner, traveller = approved_trip()
    claim = submitted(trip, traveller)
    decisions.decide_claim(admin, claim.id)
    with pytest.raises(ValidationFailed) as refused:
        decisions.ClaimPaymentInput.from_input({"paid_on": (date.today() + timedelta(days=3)).isoformat(),
                                             "reference": ""})
    assert set(refused.value.errors) == {"paid_on", "reference"}
    payment = decisions.ClaimPaymentInput.from_input({"paid_on": date.today().isoformat(), "reference": "WIRE-0042"})
    decisions.pay_claim(admin, claim.id, payment)
    _db.session.commit()
    assert (claim.status, claim.payment_reference) == (ClaimStatus.PAID, "WIRE-0042")
    assert sorted(m.recipient_id for m in outbox("travel.claim_paid")) == sorted([owner.id, traveller.id])
    with pytest.raises(InvalidTransition, match="already paid"):
        decisions.pay_claim(admin, claim.id, payment)


def test_two_admins_paying_at_once_pay_once(app, db, admin):
    trip, _owner, traveller = approved_trip()
    claim = submitted(trip, traveller)
    decisions.decide_claim(admin, claim.id)
    second = UserFactory(roles=["admin"], name="Bea Admin")
    _db.session.commit()
    claim_id, admin_ids = claim.id, [admin.id, second.id]

    def pay(user_id, reference):
        def run():
            from cade.accounts.models import User

            decisions.pay_claim(_db.session.get(User, user_id), claim_id, decisions.ClaimPaymentInput.from_input(
                {"paid_on": date.today().isoformat(), "reference": reference}))
        return run

    outcomes = run_side_by_side(app, [pay(admin_ids[0], "A-1"), pay(admin_ids[1], "B-2")],
                                pause_after="from travel_claims")
    assert sorted(o == "done" for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if o != "done")
    assert isinstance(loser, InvalidTransition) and "already paid" in str(loser)
    _db.session.expire_all()
    assert _db.session.get(Claim, claim_id).status == ClaimStatus.PAID
    assert count("travel claim.paid") == 1


def test_the_claim_emails_render_in_the_recipients_language(db, admin, outbox):
    from cade.notifications.rendering import render_notification

    trip, owner, traveller = approved_trip()
    owner.locale = "fr"
    claim = submitted(trip, traveller, paid="700")
    decisions.decide_claim(admin, claim.id, {claim.lines[0].id: decisions.Adjustment(650_00, "Economy fare only.")})
    decisions.pay_claim(admin, claim.id, decisions.ClaimPaymentInput.from_input({"paid_on": date.today().isoformat(),
                                                                            "reference": "WIRE-9"}))
    _db.session.commit()
    [received] = outbox("travel.claim_received")
    _subject, text, body = render_notification(received)
    assert "Kofi Mensah" in text and f"/admin/trips/{trip.id}/claim" in text and body
    decided = {m.recipient_id: m for m in outbox("travel.claim_decided")}
    _subject, text, _body = render_notification(decided[traveller.id])
    assert "Economy fare only." in text and "$650.00" in text and f"/trips/{trip.id}/claim" in text
    [paid] = [m for m in outbox("travel.claim_paid") if m.recipient_id == traveller.id]
    subject, text, _body = render_notification(paid)
    assert "WIRE-9" in text and "$650.00" in text


def test_the_admins_form_is_read_in_their_language_and_a_reason_without_an_amount_is_refused(db, admin):
    trip, _owner, traveller = approved_trip()
    claim = submitted(trip, traveller, paid="700")
    [only] = claim.lines
    read = decisions.read_adjustments(claim, {f"reimbursable-{only.id}": "650,50", f"reason-{only.id}": "Fare"},
                                      "fr")
    assert read == {only.id: decisions.Adjustment(650_50, "Fare")}
    assert decisions.read_adjustments(claim, {f"reimbursable-{only.id}": "700"}) == {}  # as it stands
    for form in ({f"reason-{only.id}": "Too much"}, {f"reimbursable-{only.id}": "6.505"},
                 {f"reimbursable-{only.id}": "lots"}):
        with pytest.raises(ValidationFailed) as refused:
            decisions.read_adjustments(claim, form)
        assert list(refused.value.errors) == [f"reimbursable-{only.id}"]
