"""The checks of a budget against its call's template (issue 14, item 4): each rule with its figures, the rounding
of shares, a draft that keeps what fails, and a submission refused with the failing rule named."""

from decimal import ROUND_CEILING, Decimal
from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cade.applications import services
from cade.applications.budget_checks import BudgetLineFigure, failing, run_budget_checks, share_of
from cade.applications.services import DraftInput
from cade.core.errors import ValidationFailed
from cade.extensions import db as _db
from cade.programmes.budgets import BudgetTemplate, CategoryOption, HeadingRules, budget_template
from tests.applications.conftest import member_org
from tests.applications.test_views import reload
from tests.factories import ApplicationFactory, BudgetLineFactory, CallFactory, MembershipFactory
from tests.programmes.test_budgets import template_call

EU = BudgetTemplate("EUR", (
    HeadingRules("Direct costs", "direct", None, None, (CategoryOption("personnel", "Personnel"),
                                                        CategoryOption("land", "Purchase of land", True))),
    HeadingRules("Indirect costs", "indirect", None, Decimal("7"), (CategoryOption("overheads", "Overheads"),)),
    HeadingRules("Contingency", "contingency", 1_000_00, Decimal("5"), (CategoryOption("reserve", "Reserve"),)),
))


def lines(**amounts):
    return [BudgetLineFigure(code, amount) for code, amount in amounts.items()]


def by_key(checks):
    return {check.key: check for check in checks}


@pytest.fixture()
def ctx(app):
    with app.test_request_context():
        yield


# --- the checks, pure ----------------------------------------------------------------------------------------

def test_indirect_costs_over_their_share_are_named_with_the_figures(ctx):
    checks = by_key(run_budget_checks(EU, lines(personnel=10_000_00, overheads=900_00), 10_900_00))
    share = checks["heading-1-share"]
    assert not share.passed and (share.limit_minor, share.entered_minor, share.gap_minor) == (700_00, 900_00, 200_00)
    assert share.label == "Indirect costs: at most 7% of direct costs"
    assert share.message == ("Indirect costs may be at most 7% of direct costs: €700.00 of €10,000.00 allowed, "
                             "you entered €900.00 — over by €200.00.")
    assert checks["total"].passed and checks["heading-2-cap"].passed
    assert [c.key for c in failing(checks.values())] == ["heading-1-share"]


def test_a_share_is_rounded_down_to_the_cent_so_it_is_never_exceeded(ctx):
    checks = by_key(run_budget_checks(EU, lines(personnel=10_000_05, overheads=700_01), None))
    assert checks["heading-1-share"].limit_minor == 700_00  # 7 % of €10,000.05 is €700.0035
    assert checks["heading-1-share"].gap_minor == 1 and "total" not in checks  # no amount requested yet


def test_an_absolute_cap_and_a_share_on_one_heading_are_two_checks(ctx):
    checks = by_key(run_budget_checks(EU, lines(personnel=40_000_00, reserve=1_200_00), 41_200_00))
    assert checks["heading-2-share"].passed  # 5 % of €40,000 allows €2,000
    assert checks["heading-2-cap"].message == ("Contingency may be at most €1,000.00; you entered €1,200.00 — over by "
                                               "€200.00.")


def test_a_cost_the_call_does_not_fund_is_named_and_counts_towards_no_heading(ctx):
    checks = by_key(run_budget_checks(EU, lines(personnel=10_000_00, land=5_000_00, overheads=700_00), None))
    assert checks["ineligible"].message == "Purchase of land is not an eligible cost in this call."
    assert checks["heading-1-share"].passed and checks["heading-1-share"].base_minor == 10_000_00


def test_a_category_the_call_does_not_offer_is_named_by_line(ctx):
    checks = by_key(run_budget_checks(EU, lines(personnel=1, travel=2), None))
    assert checks["offered"].message == "Budget line 2: choose one of this call's categories."


def test_cofinancing_is_asked_as_a_share_of_the_whole_budget_rounded_up(ctx):
    template = BudgetTemplate("EUR", EU.headings, Decimal("10"))
    budget = lines(personnel=10_000_05)
    missing = by_key(run_budget_checks(template, budget, 9_000_05))
    assert missing["cofinancing"].field == "cofinancing" and not missing["cofinancing"].passed
    assert missing["cofinancing"].message.startswith("Enter what you fund yourselves")
    short = by_key(run_budget_checks(template, budget, 9_000_05, 1_000_00))["cofinancing"]
    assert short.limit_minor == 1_000_01 and short.gap_minor == 1  # 10 % of €10,000.05 is €1,000.005
    assert short.message.endswith("you entered €1,000.00 — short by €0.01.")
    met = by_key(run_budget_checks(template, budget, 9_000_04, 1_000_01))
    assert met["cofinancing"].passed and met["total"].passed
    off = by_key(run_budget_checks(template, budget, 10_000_05, 1_000_01))["total"]
    assert off.message == ("The budget lines add up to €10,000.05, but you request €10,000.05 and fund €1,000.01 "
                           "yourselves: €11,000.06.")


def test_a_call_without_a_template_checks_only_that_the_lines_add_up(ctx):
    checks = run_budget_checks(BudgetTemplate("USD"), lines(equipment=100_00), 200_00)
    assert [(c.key, c.message) for c in checks] == [
        ("total", "The budget lines add up to $100.00, but you request $200.00.")]


def test_the_sentences_for_the_script_carry_the_amounts_as_slots(ctx):
    share = by_key(run_budget_checks(EU, lines(personnel=100), None))["heading-1-share"]
    assert share.says_fail == ("Indirect costs may be at most 7% of direct costs: {limit} of {base} allowed, "
                               "you entered {entered} — over by {gap}.")


@given(base=st.integers(0, 10**13), hundredths=st.integers(1, 100_00), entered=st.integers(0, 10**12))
def test_a_share_check_passes_exactly_when_the_exact_share_allows_it(app, base, hundredths, entered):
    percent = Decimal(hundredths) / 100
    allowed = share_of(base, percent)
    assert allowed * 100 <= base * percent < (allowed + 1) * 100
    template = BudgetTemplate("EUR", (EU.headings[0], HeadingRules("Indirect", "indirect", None, percent,
                                                                   (CategoryOption("overheads", "Overheads"),))))
    with app.test_request_context():
        [check] = [c for c in run_budget_checks(template, lines(personnel=base, overheads=entered), None)
                   if c.kind == "share"]
    assert check.passed == (entered * 100 <= base * percent)


@given(total=st.integers(0, 10**13), hundredths=st.integers(1, 100_00))
def test_the_cofinancing_asked_is_never_short_of_its_share(total, hundredths):
    percent = Decimal(hundredths) / 100
    needed = share_of(total, percent, ROUND_CEILING)
    assert (needed - 1) * 100 < total * percent <= needed * 100


# --- saving and submitting -----------------------------------------------------------------------------------

@pytest.fixture()
def applicant(db):
    return MembershipFactory().user


def draft_in(call, user, **lines_by_code):
    application = ApplicationFactory(call=call, organisation=member_org(user), created_by=user,
                                     requested_amount_minor=sum(lines_by_code.values()))
    for code, amount in lines_by_code.items():
        BudgetLineFactory(application=application, category=code, amount_minor=amount)
    _db.session.commit()
    return application


def test_a_draft_keeps_a_budget_over_a_cap_and_submission_names_the_cap(db, admin, applicant):
    call = template_call(admin)
    application = draft_in(call, applicant, personnel=10_000_00, overheads=900_00)
    with pytest.raises(ValidationFailed) as caught:
        services.submit_application(applicant, application.id)
    assert caught.value.errors["budget_lines"] == [
        "Indirect costs may be at most 7% of direct costs: €700.00 of €10,000.00 allowed, you entered €900.00 — "
        "over by €200.00."]
    _db.session.rollback()
    assert reload(application).status == "draft"


def test_saving_an_ineligible_cost_is_refused_by_name_and_saves_nothing(db, admin, applicant):
    call = template_call(admin)
    application = draft_in(call, applicant, personnel=10_000_00)
    data = {"budget_lines": [{"category": "personnel", "amount": "10000"},
                             {"category": "purchase_of_land", "description": "A plot", "amount": "500"}]}
    with pytest.raises(ValidationFailed) as caught:
        DraftInput.from_input(data, currency="EUR", budget=budget_template(call))
    assert [str(m) for m in caught.value.errors["budget_lines-1-category"]] == [
        "Purchase of land is not an eligible cost in this call."]
    with pytest.raises(ValidationFailed):  # a code of the standard list is not one of this call's
        DraftInput.from_input({"budget_lines": [{"category": "travel", "amount": "1"}]}, currency="EUR",
                              budget=budget_template(call))
    assert [line.category for line in reload(application).budget_lines] == ["personnel"]


def test_cofinancing_is_saved_and_required_by_submission(db, admin, applicant):
    call = template_call(admin, cofinancing="10")
    application = draft_in(call, applicant, personnel=10_000_00, overheads=700_00)
    application.requested_amount_minor = 9_630_00
    _db.session.commit()
    with pytest.raises(ValidationFailed) as caught:
        services.submit_application(applicant, application.id)
    assert caught.value.errors["cofinancing"] == [
        "Enter what you fund yourselves or from other sources: at least 10% of the budget, €1,070.00 of €10,700.00."]
    assert "fund €0.00 yourselves" in caught.value.errors["budget_lines"][0]
    _db.session.rollback()
    services.save_draft(applicant, application.id, DraftInput.from_input({"cofinancing": "1070"}, currency="EUR"))
    _db.session.commit()
    assert reload(application).cofinancing_minor == 1_070_00
    services.submit_application(applicant, application.id)
    _db.session.commit()
    assert reload(application).status == "submitted"


# --- the edit page -------------------------------------------------------------------------------------------

def edit_form(application, **overrides):
    data = {"title": application.title, "summary": application.summary, "requested_amount": "10900",
            "budget_lines-0-category": "personnel", "budget_lines-0-description": "Coordinator",
            "budget_lines-0-amount": "10000", "budget_lines-1-category": "overheads",
            "budget_lines-1-description": "Rent", "budget_lines-1-amount": "900", "action": "save"}
    return data | overrides


def test_the_edit_page_groups_the_calls_categories_and_shows_the_checks(db, client, login, admin, applicant):
    call = template_call(admin)
    application = draft_in(call, applicant, personnel=10_000_00, overheads=900_00)
    login(applicant)
    page = client.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    assert '<optgroup label="Indirect costs"><option value="overheads">Overheads</option></optgroup>' in page
    assert "Purchase of land (not funded)" in page
    assert "Budget checks" in page and "Checks not met: 1." in page
    assert "you entered €900.00 — over by €200.00" in page and "/static/budget-checks." in page


def test_a_save_over_the_cap_is_kept_and_the_refused_submit_names_the_cap(db, client, login, admin, applicant):
    call = template_call(admin)
    application = draft_in(call, applicant, personnel=1_000_00)
    login(applicant)
    assert client.post(f"/applications/{application.id}/edit", data=edit_form(application)).status_code == 302
    assert [line.amount_minor for line in reload(application).budget_lines] == [10_000_00, 900_00]
    response = client.post(f"/applications/{application.id}/edit", data=edit_form(application, action="submit"))
    assert urlsplit(response.headers["Location"]).path == f"/applications/{application.id}/edit"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'href="#budget"' in page and "Indirect costs may be at most 7% of direct costs" in page
    assert reload(application).status == "draft"
    fixed = edit_form(application, action="submit", **{"budget_lines-1-amount": "700", "requested_amount": "10700"})
    response = client.post(f"/applications/{application.id}/edit", data=fixed)
    assert urlsplit(response.headers["Location"]).path == f"/applications/{application.id}"
    assert reload(application).status == "submitted"
    assert "Overheads" in client.get(f"/applications/{application.id}").get_data(as_text=True)


def test_an_ineligible_cost_typed_on_the_page_is_refused_beside_it_and_kept(db, client, login, admin, applicant):
    call = template_call(admin)
    application = draft_in(call, applicant, personnel=1_000_00)
    login(applicant)
    response = client.post(f"/applications/{application.id}/edit", data=edit_form(
        application, **{"budget_lines-1-category": "purchase_of_land", "budget_lines-1-description": "A plot"}))
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="budget_lines-1-category-error"' in page and "Purchase of land is not an eligible cost" in page
    assert 'value="A plot"' in page and 'selected value="purchase_of_land"' in page
    assert [line.amount_minor for line in reload(application).budget_lines] == [1_000_00]


def test_a_line_without_a_category_must_choose_one_of_the_calls(db, client, login, admin, applicant):
    call = template_call(admin)
    application = draft_in(call, applicant, personnel=1_000_00)
    login(applicant)
    response = client.post(f"/applications/{application.id}/edit",
                           data=edit_form(application, **{"budget_lines-1-category": ""}))
    assert response.status_code == 422 and "Choose a category." in response.get_data(as_text=True)


def test_a_call_without_a_template_shows_its_page_as_before(db, client, login, applicant):
    application = draft_in(CallFactory(), applicant, equipment=20_000_00)
    login(applicant)
    page = client.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    assert "Budget checks" not in page and "optgroup" not in page and "/static/budget-checks." not in page
    assert 'name="cofinancing"' not in page and '<option value="connectivity">Connectivity</option>' in page


def test_the_cofinancing_field_appears_where_asked_and_its_error_beside_it(db, client, login, admin, applicant):
    call = template_call(admin, cofinancing="10")
    application = draft_in(call, applicant, personnel=10_000_00)
    login(applicant)
    page = client.get(f"/applications/{application.id}/edit").get_data(as_text=True)
    assert 'name="cofinancing"' in page and "at least 10% of the whole budget" in page
    response = client.post(f"/applications/{application.id}/edit", data=edit_form(
        application, action="submit", requested_amount="9000", **{"budget_lines-1-amount": "0"}))
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert 'id="cofinancing-error"' in page and "Enter what you fund yourselves" in page
