"""The admins' verification queue: what waits for an admin (documents, bank details, screenings, amendments,
documents expiring where they matter), in a fixed number of queries, on a page for admins only."""

from datetime import timedelta

import pytest

from cade.core.db import utcnow
from cade.diligence.constants import DocumentStatus, PayeeStatus, ScreeningResult
from cade.grants.verification import verification_queue
from cade.grants.views_verification import link_to
from cade.extensions import db as _db
from cade.grants.constants import AmendmentStatus, GrantStatus, TrancheStatus
from tests.grants.verification_helpers import (IBAN, TODAY, amendment, at, document, grant, offer, payee, screening)
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory
from tests.quality.conftest import assert_pages_are_light
from tests.querycount import count_statements

PAGE = "/admin/verification"


def ids(rows):
    return [row.id for row in rows]


# ---------------------------------------------------------------- documents waiting for verification


def test_pending_documents_are_listed_oldest_first_and_checked_ones_are_not(db, admin):
    first, second = OrganisationFactory(name="Alpha Network"), OrganisationFactory(name="Beta Network")
    newer = document(first, uploaded_at=at(TODAY - timedelta(days=1)))
    older = document(second, kind="statutes", uploaded_at=at(TODAY - timedelta(days=5)))
    document(first, status=DocumentStatus.VERIFIED, reviewer=admin)
    document(second, status=DocumentStatus.REFUSED, reviewer=admin)

    queue = verification_queue(TODAY)
    assert ids(queue.documents) == [older.id, newer.id]
    assert queue.documents[0].organisation_name == "Beta Network" and queue.documents[0].kind == "statutes"


# ---------------------------------------------------------------- bank details


def test_bank_details_waiting_for_a_first_check_and_for_a_second_admin_with_who_did_what(db, admin):
    owner = UserFactory(name="Amina Diallo")
    other_admin = UserFactory(roles=["admin"], name="Bruno Checker")
    organisation = OrganisationFactory(name="Réseau du Sahel")
    to_check = payee(organisation, entered_by=owner)
    to_confirm = payee(OrganisationFactory(), status=PayeeStatus.CHECKED, entered_by=admin, checked_by=other_admin,
                       entered_at=at(TODAY - timedelta(days=2)))
    payee(OrganisationFactory(), status=PayeeStatus.REJECTED, entered_by=owner, rejection_reason="Wrong holder.")

    queue = verification_queue(TODAY)
    assert ids(queue.payees_to_check) == [to_check.id]
    assert ids(queue.payees_to_confirm) == [to_confirm.id]
    checked = queue.payees_to_confirm[0]
    assert (checked.entered_by_name, checked.checked_by_name) == ("Ada Admin", "Bruno Checker")
    # Four eyes: neither the admin who entered nor the one who checked may confirm.
    assert not checked.can_be_confirmed_by(admin.id) and not checked.can_be_confirmed_by(other_admin.id)
    assert checked.can_be_confirmed_by(UserFactory(roles=["admin"]).id)
    first = queue.payees_to_check[0]
    assert not first.can_be_checked_by(owner.id) and first.can_be_checked_by(admin.id)
    assert not first.can_be_confirmed_by(admin.id)  # not checked yet
    assert queue.payees_to_check[0].entered_by_name == "Amina Diallo"
    assert queue.payees_to_check[0].organisation_name == "Réseau du Sahel"


def test_only_the_last_four_characters_of_an_account_reach_the_queue(db):
    with_iban = payee(OrganisationFactory())
    with_number = payee(OrganisationFactory(), iban=None, account_number="0012345678")
    short = payee(OrganisationFactory(), iban=None, account_number="123")

    rows = {row.id: row for row in verification_queue(TODAY).payees_to_check}
    assert rows[with_iban.id].account_end == IBAN[-4:] == "3000"
    assert rows[with_number.id].account_end == "5678"
    assert rows[short.id].account_end == ""  # too short to show any part of it
    assert not any(IBAN in repr(row) or "0012345678" in repr(row) for row in rows.values())


# ---------------------------------------------------------------- screenings due


def test_an_organisation_with_a_payable_tranche_and_no_screening_is_due(db):
    waiting = grant()
    grant(tranches=(TrancheStatus.DUE,))  # nothing to pay yet
    grant(tranches=(TrancheStatus.PAID,))  # paid already

    due = verification_queue(TODAY).screenings
    assert [(row.organisation_id, row.reason, row.screened_on) for row in due] == [
        (waiting.organisation_id, "missing", None)]


def test_a_screening_is_valid_for_as_many_days_as_the_programme_says_then_due_again(db):
    stale = grant(screening_valid_days=90)
    screening(stale.organisation, screened_on=TODAY - timedelta(days=90))  # day 91 counting the day it was made
    fresh = grant(screening_valid_days=90)
    screening(fresh.organisation, screened_on=TODAY - timedelta(days=89))  # its 90th day: still valid

    due = verification_queue(TODAY).screenings
    assert [(row.organisation_id, row.reason, row.valid_days) for row in due] == [
        (stale.organisation_id, "expired", 90)]
    assert due[0].screened_on == TODAY - timedelta(days=90)


def test_a_screening_must_cover_every_list_the_programme_names(db):
    partial = grant(screening_lists=("UN", "EU", "OFAC"))
    screening(partial.organisation, screened_on=TODAY - timedelta(days=3), lists=("UN", "EU"))
    spelled = grant(screening_lists=("UN", "EU Consolidated"))
    screening(spelled.organisation, screened_on=TODAY - timedelta(days=3), lists=(" un ", "eu  consolidated"))

    due = verification_queue(TODAY).screenings
    assert [(row.organisation_id, row.reason) for row in due] == [(partial.organisation_id, "lists")]


def test_a_screening_dated_after_today_does_not_count_yet(db):
    early = grant()
    screening(early.organisation, screened_on=TODAY + timedelta(days=1))

    assert [(row.organisation_id, row.reason) for row in verification_queue(TODAY).screenings] == [
        (early.organisation_id, "missing")]


def test_only_the_latest_screening_counts_and_a_match_stops_payment(db):
    matched = grant()
    screening(matched.organisation, screened_on=TODAY - timedelta(days=20))
    screening(matched.organisation, screened_on=TODAY - timedelta(days=2), result=ScreeningResult.MATCH)
    cleared = grant()
    screening(cleared.organisation, screened_on=TODAY - timedelta(days=20), result=ScreeningResult.MATCH)
    screening(cleared.organisation, screened_on=TODAY - timedelta(days=2))
    # A match is not cleared by a later screening that misses one of the programme's lists.
    partly = grant()
    screening(partly.organisation, screened_on=TODAY - timedelta(days=20), result=ScreeningResult.MATCH)
    screening(partly.organisation, screened_on=TODAY - timedelta(days=2), lists=("UN",))

    due = {row.organisation_id: row.reason for row in verification_queue(TODAY).screenings}
    assert due == {matched.organisation_id: "match", partly.organisation_id: "lists"}


def test_the_strictest_programme_of_an_organisation_decides(db):
    organisation = OrganisationFactory()
    grant(organisation, screening_valid_days=365)
    grant(organisation, screening_valid_days=30)
    screening(organisation, screened_on=TODAY - timedelta(days=60))

    due = verification_queue(TODAY).screenings
    assert [(row.organisation_id, row.reason, row.valid_days, row.payable) for row in due] == [
        (organisation.id, "expired", 30, 2)]


def test_the_queue_agrees_with_the_pay_gate(db):
    """Whatever the history, an organisation is in the queue exactly when the pay gate would refuse for want of
    a screening (cade/diligence/screenings.py, written alongside: this test is where the two rules meet)."""
    from cade.diligence.screenings import latest_match, recent_clear_screening

    histories = {
        "none": [], "fresh": [(3, "clear", ("UN", "EU"))], "edge": [(179, "clear", ("UN", "EU"))],
        "old": [(180, "clear", ("UN", "EU"))], "match": [(3, "match", ("UN", "EU"))],
        "cleared": [(10, "match", ("UN", "EU")), (3, "clear", ("UN", "EU"))],
        "partial": [(3, "clear", ("UN",))], "partial then full": [(30, "clear", ("UN", "EU")), (3, "clear", ("UN",))],
        "match, partial": [(10, "match", ("UN", "EU")), (3, "clear", ("UN",))],
    }
    grants = {}
    for name, history in histories.items():
        grants[name] = grant()
        for days_ago, result, lists in history:
            screening(grants[name].organisation, screened_on=TODAY - timedelta(days=days_ago), result=result,
                      lists=lists)
    queued = {row.organisation_id for row in verification_queue(TODAY).screenings}
    for name, opened in grants.items():
        programme = opened.call.programme
        refused = (recent_clear_screening(opened.organisation_id, programme, TODAY) is None
                   or latest_match(opened.organisation_id, TODAY) is not None)
        assert (opened.organisation_id in queued) == refused, name


# ---------------------------------------------------------------- amendments


def test_requested_amendments_are_listed_and_decided_ones_are_not(db, admin):
    owner = UserFactory(name="Amina Diallo")
    opened = grant()
    later = amendment(opened, requested_by=owner, requested_at=at(TODAY))
    earlier = amendment(opened, kind="signatory", requested_at=at(TODAY - timedelta(days=3)))
    for status in (AmendmentStatus.NOTED, AmendmentStatus.APPROVED, AmendmentStatus.REFUSED):
        amendment(opened, status=status)

    queue = verification_queue(TODAY)
    assert ids(queue.amendments) == [earlier.id, later.id]
    row = queue.amendments[1]
    assert (row.grant_id, row.organisation_id, row.kind, row.requested_by_name) == (
        opened.id, opened.organisation_id, "extension", "Amina Diallo")


# ---------------------------------------------------------------- documents expiring where they matter


def test_verified_documents_expiring_within_30_days_or_expired_are_flagged_where_a_payment_waits(db, admin):
    paying = grant(tranches=(TrancheStatus.PAID, TrancheStatus.DUE)).organisation
    expired = document(paying, status=DocumentStatus.VERIFIED, reviewer=admin, expires_on=TODAY - timedelta(days=1))
    soon = document(paying, kind="statutes", status=DocumentStatus.VERIFIED, reviewer=admin,
                    expires_on=TODAY + timedelta(days=30))
    document(paying, kind="bank_letter", status=DocumentStatus.VERIFIED, reviewer=admin,
             expires_on=TODAY + timedelta(days=31))  # not yet
    document(paying, kind="audited_accounts", year=2025, status=DocumentStatus.VERIFIED, reviewer=admin)  # no expiry

    rows = verification_queue(TODAY).expiring
    assert ids(rows) == [expired.id, soon.id]
    assert [(row.expired, row.tranche_unpaid, row.offer_open) for row in rows] == [
        (True, True, False), (False, True, False)]


def test_an_expiring_document_matters_for_an_award_not_yet_accepted(db, admin):
    awarded = OrganisationFactory()
    offer(awarded)
    flagged = document(awarded, status=DocumentStatus.VERIFIED, reviewer=admin, expires_on=TODAY + timedelta(days=3))

    rows = verification_queue(TODAY).expiring
    assert ids(rows) == [flagged.id]
    assert (rows[0].offer_open, rows[0].tranche_unpaid, rows[0].expired) == (True, False, False)


@pytest.mark.parametrize("setting", ["nothing", "paid", "closed", "accepted"])
def test_an_expiring_document_does_not_matter_without_money_on_its_way(db, admin, setting):
    organisation = OrganisationFactory()
    if setting == "paid":
        grant(organisation, tranches=(TrancheStatus.PAID,))
    elif setting == "closed":
        grant(organisation, tranches=(TrancheStatus.DUE,), status=GrantStatus.CLOSED)
    elif setting == "accepted":
        grant(organisation, tranches=())  # its award accepted: no open offer, no tranche
    document(organisation, status=DocumentStatus.VERIFIED, reviewer=admin, expires_on=TODAY - timedelta(days=3))

    assert verification_queue(TODAY).expiring == ()


def test_an_expiring_document_replaced_by_a_newer_verified_one_is_not_flagged(db, admin):
    organisation = grant().organisation
    document(organisation, status=DocumentStatus.VERIFIED, reviewer=admin, expires_on=TODAY + timedelta(days=5))
    document(organisation, status=DocumentStatus.VERIFIED, reviewer=admin, expires_on=TODAY + timedelta(days=400))
    old_accounts = document(organisation, kind="audited_accounts", year=2024, status=DocumentStatus.VERIFIED,
                            reviewer=admin, expires_on=TODAY + timedelta(days=5))
    # Another year's accounts do not replace these; a pending upload does not either.
    document(organisation, kind="audited_accounts", year=2025, status=DocumentStatus.VERIFIED, reviewer=admin)
    document(organisation, kind="audited_accounts", year=2024)

    assert ids(verification_queue(TODAY).expiring) == [old_accounts.id]


def test_an_other_document_is_replaced_only_by_one_of_the_same_title(db, admin):
    organisation = grant().organisation
    licence = document(organisation, kind="other", title="Operating licence", status=DocumentStatus.VERIFIED,
                       reviewer=admin, expires_on=TODAY + timedelta(days=5))
    document(organisation, kind="other", title="Tax clearance", status=DocumentStatus.VERIFIED, reviewer=admin,
             expires_on=TODAY + timedelta(days=400))

    assert ids(verification_queue(TODAY).expiring) == [licence.id]


# ---------------------------------------------------------------- a fixed number of queries


def _fill(admin, n):
    owner = UserFactory()
    for _ in range(n):
        organisation = OrganisationFactory()
        MembershipFactory(user=owner, organisation=organisation)
        document(organisation)
        document(organisation, kind="statutes", status=DocumentStatus.VERIFIED, reviewer=admin,
                 expires_on=TODAY + timedelta(days=10))
        payee(organisation, entered_by=owner)
        payee(organisation, status=PayeeStatus.CHECKED, entered_by=owner, checked_by=admin)
        opened = grant(organisation)
        screening(organisation, screened_on=TODAY - timedelta(days=400))
        amendment(opened, requested_by=owner)
        offer(organisation)


def test_the_queue_runs_the_same_number_of_queries_whatever_it_holds(db, admin):
    _fill(admin, 1)
    _db.session.expire_all()
    small, few = count_statements(lambda: verification_queue(TODAY))
    _fill(admin, 4)
    _db.session.expire_all()
    large, many = count_statements(lambda: verification_queue(TODAY))
    assert small.total == 6 and large.total == 30
    assert few == many <= 6


def test_the_page_runs_the_same_number_of_queries_whatever_it_holds(db, client, login, admin):
    login(admin)
    _fill(admin, 1)
    _, few = count_statements(lambda: client.get(PAGE))
    _fill(admin, 4)
    response, many = count_statements(lambda: client.get(PAGE))
    assert response.status_code == 200 and few == many


# ---------------------------------------------------------------- the page


def test_the_page_is_for_admins_only(db, client, login):
    assert client.get(PAGE).status_code == 302  # a visitor is asked to sign in
    login(UserFactory())
    assert client.get(PAGE).status_code == 404
    login(UserFactory(roles=["reviewer"]))
    assert client.get(PAGE).status_code == 404


def test_an_admin_reads_every_section_with_its_count(db, client, login, admin):
    owner = UserFactory(name="Amina Diallo")
    organisation = OrganisationFactory(name="Réseau du Sahel")
    MembershipFactory(user=owner, organisation=organisation)
    today = utcnow().date()
    document(organisation, uploaded_at=at(today))
    document(organisation, kind="audited_accounts", year=2025, uploaded_at=at(today))
    document(organisation, kind="other", title="Operating licence", uploaded_at=at(today))
    payee(organisation, entered_by=owner)
    opened = grant(organisation)
    amendment(opened, requested_by=owner)
    document(organisation, kind="bank_letter", status=DocumentStatus.VERIFIED, reviewer=admin,
             expires_on=today - timedelta(days=2))

    login(admin)
    response = client.get(PAGE)
    assert response.status_code == 200
    page = " ".join(response.get_data(as_text=True).split())
    assert "<h1>Verification queue</h1>" in page
    assert 'Documents to verify <span class="count">(3)</span>' in page
    assert 'Bank details to check <span class="count">(1)</span>' in page
    assert 'Bank details to confirm <span class="count">(0)</span>' in page
    assert 'Screenings due <span class="count">(1)</span>' in page
    assert 'Amendments to decide <span class="count">(1)</span>' in page
    assert 'Documents expiring where they matter <span class="count">(1)</span>' in page
    assert "Registration certificate" in page and "Audited accounts 2025" in page and "Réseau du Sahel" in page
    assert ">Operating licence<" in page
    assert "No-cost extension" in page and "No screening on record" in page
    assert "Expired on" in page and "a tranche is still to be paid" in page


def test_the_page_shows_bank_details_masked_and_says_who_must_confirm(db, client, login, admin):
    second = UserFactory(roles=["admin"], name="Bruno Checker")
    organisation = OrganisationFactory()
    payee(organisation, status=PayeeStatus.CHECKED, entered_by=admin, checked_by=second)
    payee(OrganisationFactory(), iban=None, account_number="0012345678")

    login(admin)
    page = " ".join(client.get(PAGE).get_data(as_text=True).split())
    assert IBAN not in page and "0012345678" not in page and "370400440532013000" not in page
    assert "ending 3000" in page and "ending 5678" in page
    assert "You entered these details: another admin must confirm them." in page

    assert "You entered these details: another admin must check them." not in page
    payee(OrganisationFactory(), entered_by=admin)
    page = " ".join(client.get(PAGE).get_data(as_text=True).split())
    assert "You entered these details: another admin must check them." in page

    login(second)
    page = " ".join(client.get(PAGE).get_data(as_text=True).split())
    assert "You checked these details: another admin must confirm them." in page
    assert "You entered these details" not in page

    login(UserFactory(roles=["admin"]))
    page = " ".join(client.get(PAGE).get_data(as_text=True).split())
    assert "another admin must" not in page


def test_each_item_links_to_the_page_where_it_is_handled(db, client, login, admin):
    organisation = OrganisationFactory()
    pending = document(organisation, uploaded_at=at(utcnow().date()))
    payee(organisation)
    opened = grant(organisation)
    requested = amendment(opened)
    expiring = document(organisation, kind="statutes", status=DocumentStatus.VERIFIED, reviewer=admin,
                        expires_on=utcnow().date() + timedelta(days=5))

    login(admin)
    page = client.get(PAGE).get_data(as_text=True)
    for path in (f"/admin/documents/{pending.id}", f"/admin/documents/{expiring.id}",
                 f"/organisations/{organisation.id}/payee", f"/admin/organisations/{organisation.id}/screenings",
                 f"/admin/grants/{opened.id}/amendments/{requested.id}"):
        assert f'href="{path}"' in page, path


def test_the_page_is_light_and_loads_nothing_from_elsewhere(db, client, login, admin):
    _fill(admin, 3)
    assert_pages_are_light(client, login, [(admin, [PAGE])], "fr")


def test_an_empty_queue_says_nothing_waits(db, client, login, admin):
    login(admin)
    page = client.get(PAGE).get_data(as_text=True)
    assert "Nothing waits for an admin." in page
    assert "<table" not in page


def test_the_admin_navigation_links_to_the_queue(db, client, login, admin):
    login(admin)
    assert f'href="{PAGE}"' in client.get("/admin/").get_data(as_text=True)


def test_a_link_falls_back_to_text_when_its_page_does_not_exist_yet(app, db):
    with app.test_request_context():
        assert link_to("grants.show", grant_id=7) == "/grants/7"
        assert link_to("diligence.no_such_page", document_id=7) is None
