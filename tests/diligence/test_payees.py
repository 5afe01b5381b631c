"""Payee accounts: entering bank details (checked IBAN/BIC, the holder's name), two admins, masking, superseding."""

import pytest
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from cade.diligence.constants import DocumentStatus, PayeeStatus
from cade.diligence.models import PayeeAccount
from cade.diligence.payees import (PayeeInput, check_payee, comparable_name, confirm_payee, enter_payee, full_number,
                                   masked, reject_payee, verified_payee)
from cade.extensions import db as _db
from cade.notifications.rendering import render_notification
from tests.diligence.payee_helpers import IBAN_DE, IBAN_SN, bank_letter
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

NAME = "Réseau Communautaire du Sahel"


def details(letter=None, **changes):
    data = {"account_holder": "RESEAU COMMUNAUTAIRE DU SAHEL.", "bank_name": "CBAO", "bank_country": "SN",
            "iban": "SN08 SN01 0015 2000 0485 0000 3035", "bic": "", "currency": "XOF",
            "bank_letter_id": str(letter.id) if letter else ""}
    return {**data, **changes}


@pytest.fixture()
def org(db):
    organisation = OrganisationFactory(name=NAME, country="SN")
    owners = [MembershipFactory(organisation=organisation, role="owner", user__locale=locale).user
              for locale in ("fr", "en")]
    MembershipFactory(organisation=organisation, role="member")
    return organisation, owners, bank_letter(organisation)


def admins(n):
    return [UserFactory(roles=["admin"], name=f"Admin {i}") for i in range(n)]


def entered(org, actor=None, **changes):
    organisation, owners, letter = org
    account = enter_payee(actor or owners[0], organisation.id, PayeeInput.from_input(details(letter, **changes)))
    _db.session.commit()
    return account


def count(verb):
    return _db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.verb == verb))


def test_an_owner_enters_details_stored_electronically_audited_and_every_owner_told(org, outbox):
    organisation, owners, letter = org
    [first_admin] = admins(1)
    account = entered(org)
    assert (account.iban, account.status, account.entered_by_id) == (IBAN_SN, PayeeStatus.PENDING, owners[0].id)
    assert account.holder_explanation is None  # the legal name, whatever the case, accents and full stop
    [event] = _db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "payee.entered")).all()
    assert event.after["account"] == "•••• 3035" and IBAN_SN not in str(event.after)
    told = outbox("diligence.payee_changed")
    assert sorted(row.recipient_email for row in told) == sorted(owner.email for owner in owners)
    assert [row.recipient_id for row in outbox("diligence.payee_awaiting")] == [first_admin.id]
    subject, text, html = render_notification(next(r for r in told if r.locale == "fr"))
    assert "•••• 3035" in text and IBAN_SN not in text + html and "3035" in html


def test_names_compare_without_case_accents_or_punctuation():
    assert comparable_name("Réseau  Communautaire du Sahel") == comparable_name("RESEAU COMMUNAUTAIRE, DU SAHEL.")
    assert comparable_name("Sahel Network") != comparable_name(NAME)


def test_a_different_holder_needs_an_explanation(org):
    organisation, owners, letter = org
    with pytest.raises(ValidationFailed) as caught:
        enter_payee(owners[0], organisation.id, PayeeInput.from_input(details(letter, account_holder="Amina Diallo")))
    assert list(caught.value.errors) == ["holder_explanation"] and NAME in str(caught.value.errors["holder_explanation"][0])
    _db.session.rollback()
    account = entered(org, account_holder="Amina Diallo", holder_explanation="The network's fiscal host holds it.")
    assert account.holder_explanation == "The network's fiscal host holds it."


@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"iban": "SN08 SN01 0015 2000 0485 0000 3036"}, "iban", "check digits"),
    ({"iban": "SN08 SN01 0015"}, "iban", "number of characters"),
    ({"iban": "", "account_number": ""}, "iban", "IBAN, or the account number"),
    ({"iban": "", "account_number": "0012345678"}, "routing_code", "routing code"),
    ({"iban": IBAN_SN, "account_number": "0012345678"}, "account_number", "not both"),
    ({"iban": "", "account_number": "12#", "bic": "DEUTDEFF"}, "account_number", "at least four"),
    ({"bic": "DEUT"}, "bic", "8 or 11"),
    ({"bic": "DEUTDEFF"}, "bic", "IBAN is of an account in SN"),
    ({"bank_country": "DE"}, "bank_country", "choose that country"),
    ({"bank_country": "XX"}, "bank_country", "country"),
    ({"currency": "ABC"}, "currency", "currency"),
    ({"account_holder": "", "bank_name": ""}, "bank_name", "required"),
])
def test_bad_details_are_refused_on_their_field(changes, field, words):
    with pytest.raises(ValidationFailed) as caught:
        PayeeInput.from_input(details(**changes))
    assert words in " ".join(str(m) for m in caught.value.errors[field])


def test_an_account_number_with_a_routing_code_and_a_bic_of_another_form_are_accepted(org):
    account = entered(org, iban="", account_number="00 1234 5678", routing_code="021000021", bank_country="US",
                      currency="usd")
    assert (account.iban, account.account_number, account.currency) == (None, "00 1234 5678", "USD")
    assert masked(account) == "•••• 5678" and full_number(account) == "00 1234 5678"
    good = entered(org, iban=IBAN_DE, bank_country="DE", bic="deut de ff", currency="EUR")
    assert good.bic == "DEUTDEFF" and full_number(good) == "DE89 3704 0044 0532 0130 00"


def test_the_bank_letter_must_be_one_of_the_organisations_not_refused(org):
    organisation, owners, _letter = org
    other = bank_letter(OrganisationFactory())
    refused = bank_letter(organisation, status=DocumentStatus.REFUSED)
    for letter_id in ("", str(other.id), str(refused.id)):
        with pytest.raises(ValidationFailed) as caught:
            enter_payee(owners[0], organisation.id, PayeeInput.from_input(details(bank_letter_id=letter_id)))
        assert list(caught.value.errors) == ["bank_letter_id"]


def test_members_and_strangers_cannot_enter_details(org):
    organisation, _owners, letter = org
    member = organisation.memberships[-1].user
    for user in (member, UserFactory()):
        with pytest.raises(PermissionDenied):
            enter_payee(user, organisation.id, PayeeInput.from_input(details(letter)))


def test_two_other_admins_check_and_confirm_and_the_old_account_is_superseded(org, outbox):
    first_checker, second = admins(2)
    old = entered(org)
    check_payee(first_checker, old.id)
    confirm_payee(second, old.id)
    _db.session.commit()
    assert verified_payee(old.organisation_id).id == old.id
    assert [r.recipient_id for r in outbox("diligence.payee_awaiting") if r.context["step"] == "confirm"] == [second.id]
    new = entered(org, iban=IBAN_DE, bank_country="DE", currency="EUR")
    check_payee(second, new.id)
    confirm_payee(first_checker, new.id)
    _db.session.commit()
    assert (_db.session.get(PayeeAccount, old.id).status, verified_payee(old.organisation_id).id) == (
        PayeeStatus.SUPERSEDED, new.id)
    assert count("payee account.verified") == 2 and count("payee account.superseded") == 1
    assert len(outbox("diligence.payee_verified")) == 4  # two owners, twice


def test_the_admin_who_entered_or_checked_cannot_confirm(org):
    entering, checking, confirming = admins(3)
    account = entered(org, actor=entering)
    with pytest.raises(PermissionDenied, match="another administrator must check"):
        check_payee(entering, account.id)
    with pytest.raises(InvalidTransition, match="must be checked"):
        confirm_payee(confirming, account.id)
    check_payee(checking, account.id)
    with pytest.raises(PermissionDenied, match="two other administrators"):
        confirm_payee(entering, account.id)
    with pytest.raises(PermissionDenied, match="second administrator"):
        confirm_payee(checking, account.id)
    with pytest.raises(PermissionDenied):
        confirm_payee(org[1][0], account.id)  # an owner
    assert _db.session.get(PayeeAccount, account.id).status == PayeeStatus.CHECKED
    confirm_payee(confirming, account.id)
    assert account.status == PayeeStatus.VERIFIED


def test_the_database_keeps_the_four_eyes_too(org):
    from sqlalchemy.exc import IntegrityError

    checking = admins(1)[0]
    account = entered(org)
    check_payee(checking, account.id)
    _db.session.commit()
    account.confirmed_by_id = checking.id
    with pytest.raises(IntegrityError):
        _db.session.commit()
    _db.session.rollback()


def test_two_admins_confirming_at_once_confirm_once(app, org):
    from cade.accounts.models import User
    from tests.concurrency import run_side_by_side

    checking, one, two = admins(3)
    account = entered(org)
    check_payee(checking, account.id)
    ids = [one.id, two.id]
    account_id = account.id
    _db.session.commit()

    def confirm_as(user_id):
        return lambda: confirm_payee(_db.session.get(User, user_id), account_id)

    outcomes = run_side_by_side(app, [confirm_as(i) for i in ids], pause_after="from payee_accounts")
    assert sorted(o == "done" for o in outcomes) == [False, True]
    loser = next(o for o in outcomes if o != "done")
    assert isinstance(loser, InvalidTransition) and "already confirmed" in str(loser)
    _db.session.expire_all()
    assert count("payee account.verified") == 1


def test_rejecting_needs_a_reason_and_tells_the_owners(org, outbox):
    [checking] = admins(1)
    account = entered(org)
    with pytest.raises(ValidationFailed):
        reject_payee(checking, account.id, "  ")
    reject_payee(checking, account.id, "The letter names another account.")
    _db.session.commit()
    assert account.status == PayeeStatus.REJECTED and verified_payee(account.organisation_id) is None
    [row, *_] = outbox("diligence.payee_rejected")
    assert "The letter names another account." in render_notification(row)[1]
    with pytest.raises(InvalidTransition, match="rejected"):
        check_payee(checking, account.id)


def test_new_details_replace_those_still_waiting(org):
    first = entered(org)
    second = entered(org, iban=IBAN_DE, bank_country="DE", currency="EUR")
    assert (_db.session.get(PayeeAccount, first.id).status, second.status) == (PayeeStatus.REJECTED,
                                                                               PayeeStatus.PENDING)
