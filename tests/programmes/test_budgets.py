"""A call's budget template (issue 14, item 4): headings with caps, categories, co-financing; the rules that keep
the checks meaningful once applications exist or the call is in review; the admin pages per role; the one
reading every page asks."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from cade.extensions import db as _db
from cade.programmes import budgets
from cade.programmes.budgets import CategoryInput, CofinancingInput, HeadingInput
from cade.programmes.models import BudgetCategory, BudgetHeading, Call
from tests.factories import ApplicationFactory, CallFactory, ProgrammeFactory, UserFactory


def heading(admin, call, label, kind="direct", **caps):
    return budgets.add_heading(admin, call.id, HeadingInput.from_input({"label": label, "kind": kind, **caps},
                                                                       currency=call.currency))


def category(admin, heading_row, label, **values):
    return budgets.add_category(admin, heading_row.id, CategoryInput.from_input({"label": label, **values}))


def template_call(admin, cofinancing=None, **call_values) -> Call:
    """An open euro call with the EU's template: direct costs (personnel, equipment, and the purchase of land,
    which it does not fund), indirect costs at most 7 % of the direct ones, a contingency at most 5 % and
    €1,000 (code `reserve`); co-financing as given. Committed."""
    call = CallFactory(programme=ProgrammeFactory(currency="EUR"), min_award_minor=1_000_00,
                       max_award_minor=40_000_00, **call_values)
    direct = heading(admin, call, "Direct costs")
    category(admin, direct, "Personnel")
    category(admin, direct, "Equipment")
    category(admin, direct, "Purchase of land", ineligible=True)
    category(admin, heading(admin, call, "Indirect costs", "indirect", cap_percent="7"), "Overheads")
    category(admin, heading(admin, call, "Contingency", "contingency", cap_percent="5", cap_amount="1000"),
             "Contingency reserve", code="reserve")
    if cofinancing is not None:
        budgets.set_cofinancing(admin, call.id, CofinancingInput.from_input({"cofinancing_percent": cofinancing}))
    _db.session.commit()
    return call


def errors_of(caught) -> dict:
    return {name: [str(m) for m in messages] for name, messages in caught.value.errors.items()}


def events(verb: str) -> list[AuditEvent]:
    return list(_db.session.scalars(select(AuditEvent).where(AuditEvent.verb == verb).order_by(AuditEvent.id)))


# --- services ----------------------------------------------------------------------------------------------------

def test_a_template_reads_as_applicants_see_it_and_every_change_is_audited(db, admin):
    call = template_call(admin, cofinancing="10")
    template = budgets.budget_template(call)
    assert [h.label for h in template.headings] == ["Direct costs", "Indirect costs", "Contingency"]
    assert [o.code for o in template.options] == ["personnel", "equipment", "purchase_of_land", "overheads",
                                                  "reserve"]
    assert template.option("purchase_of_land").ineligible and template.direct_codes == {"personnel", "equipment"}
    assert template.headings[1].cap_percent == Decimal("7.00") and template.headings[2].cap_minor == 1_000_00
    assert template.cofinancing_percent == Decimal("10.00")
    assert budgets.category_label(call, "reserve") == "Contingency reserve"
    assert budgets.category_label(call, "travel") == "Travel"  # a default code still reads
    assert budgets.category_label(call, "unheard_of") == "unheard_of"
    assert len(events("budget_heading.added")) == 3 and len(events("budget_category.added")) == 5
    [change] = events("call.cofinancing_changed")
    assert (change.before, change.after) == ({"cofinancing_percent": None}, {"cofinancing_percent": "10.00"})
    assert events("budget_heading.added")[1].after["cap_percent"] == "7.00"


def test_a_call_without_categories_offers_the_default_ones(db, admin):
    call = CallFactory()
    heading(admin, call, "Direct costs")  # a heading alone changes nothing yet
    template = budgets.budget_template(call)
    assert template.headings == () and not template.has_rules
    assert [o.code for o in template.options][:3] == ["personnel", "equipment", "training"]


def test_labels_come_in_the_readers_language_where_written(app, db, admin):
    call = template_call(admin)
    personnel = _db.session.scalar(select(BudgetCategory).where(BudgetCategory.code == "personnel"))
    personnel.translations = {"fr": {"label": "Personnel salarié"}}
    _db.session.commit()
    with app.test_request_context(headers={"Accept-Language": "fr"}):
        from flask_babel import force_locale
        with force_locale("fr"):
            assert budgets.category_label(call, "personnel") == "Personnel salarié"
            assert budgets.category_label(call, "equipment") == "Equipment"  # the call's language otherwise


def test_codes_are_made_from_labels_once_each_or_typed_and_checked(db, admin):
    call = CallFactory()
    direct = heading(admin, call, "Direct costs")
    assert category(admin, direct, "Équipement & matériel").code == "equipement_materiel"
    assert category(admin, direct, "Équipement, matériel").code == "equipement_materiel_2"
    with pytest.raises(ValidationFailed) as caught:
        CategoryInput.from_input({"label": "Land", "code": "Land purchase!"})
    assert "code" in caught.value.errors
    category(admin, direct, "Land", code="land")
    with pytest.raises(ValidationFailed) as caught:
        category(admin, direct, "Terrain", code="land")
    assert errors_of(caught) == {"code": ["Another category of this call has this code."]}
    with pytest.raises(ValidationFailed) as caught:
        category(admin, direct, "land")  # a second "Land", whatever the case: a double click adds one
    assert "label" in caught.value.errors
    assert _db.session.scalar(select(func.count(BudgetCategory.id))) == 3


@pytest.mark.parametrize(("caps", "field"), [
    ({"cap_percent": "0"}, "cap_percent"), ({"cap_percent": "100.5"}, "cap_percent"),
    ({"cap_percent": "7.555"}, "cap_percent"), ({"cap_percent": "seven"}, "cap_percent"),
    ({"cap_amount": "-5"}, "cap_amount"), ({"cap_amount": "10.001"}, "cap_amount"), ({"kind": "other"}, "kind"),
    ({"label": ""}, "label"),
])
def test_bad_heading_input_is_refused_by_field(caps, field):
    data = {"label": "Indirect costs", "kind": "indirect", **caps}
    with pytest.raises(ValidationFailed) as caught:
        HeadingInput.from_input(data, currency="EUR")
    assert field in caught.value.errors


def test_a_second_heading_of_the_same_label_is_refused(db, admin):
    call = CallFactory()
    heading(admin, call, "Direct costs")
    with pytest.raises(ValidationFailed) as caught:
        heading(admin, call, "direct COSTS")
    assert "label" in caught.value.errors


def test_headings_and_categories_move_and_close_their_gaps(db, admin):
    call = template_call(admin)
    direct, indirect, contingency = call.budget_headings
    budgets.move_heading(admin, contingency.id, "up")
    assert [h.label for h in budgets.budget_template(call).headings] == ["Direct costs", "Contingency",
                                                                         "Indirect costs"]
    personnel, equipment, land = direct.categories
    budgets.move_category(admin, land.id, "up")
    budgets.delete_category(admin, personnel.id)
    _db.session.expire_all()
    assert [(c.code, c.position) for c in direct.categories] == [("purchase_of_land", 0), ("equipment", 1)]
    budgets.delete_heading(admin, indirect.id)
    assert [h.position for h in _db.session.get(Call, call.id).budget_headings] == [0, 1]
    with pytest.raises(ValidationFailed):
        budgets.move_heading(admin, direct.id, "sideways")


def test_only_admins_change_a_template(db, admin):
    call = template_call(admin)
    someone = UserFactory(roles=["reviewer"])
    direct = call.budget_headings[0]
    for attempt in (lambda: heading(someone, call, "Other costs"), lambda: category(someone, direct, "Rent"),
                    lambda: budgets.delete_heading(someone, direct.id),
                    lambda: budgets.set_cofinancing(someone, call.id, CofinancingInput.from_input({}))):
        with pytest.raises(PermissionDenied):
            attempt()


def test_a_call_in_review_keeps_what_applicants_were_checked_against(db, admin):
    call = template_call(admin, cofinancing="10")
    call.opens_at, call.closes_at = call.opens_at.replace(year=2020), call.closes_at.replace(year=2021)
    _db.session.commit()
    direct, indirect, _contingency = call.budget_headings
    with pytest.raises(ValidationFailed) as caught:
        budgets.update_heading(admin, indirect.id, HeadingInput.from_input(
            {"label": "Overheads", "kind": "indirect", "cap_percent": "9"}, currency="EUR"))
    assert list(caught.value.errors) == ["cap_percent"] and "in review" in errors_of(caught)["cap_percent"][0]
    # Relabelling is not a rule: it goes through.
    budgets.update_heading(admin, indirect.id, HeadingInput.from_input(
        {"label": "Overheads", "kind": "indirect", "cap_percent": "7"}, currency="EUR"))
    assert indirect.label == "Overheads"
    land = direct.categories[2]
    with pytest.raises(ValidationFailed) as caught:
        budgets.update_category(admin, land.id, CategoryInput.from_input({"label": "Land", "ineligible": False}))
    assert list(caught.value.errors) == ["ineligible"]
    for refused in (lambda: category(admin, direct, "Rent"), lambda: heading(admin, call, "Other"),
                    lambda: budgets.delete_category(admin, land.id), lambda: budgets.delete_heading(admin, direct.id)):
        with pytest.raises(InvalidTransition):
            refused()
    with pytest.raises(ValidationFailed):
        budgets.set_cofinancing(admin, call.id, CofinancingInput.from_input({"cofinancing_percent": "20"}))
    _db.session.rollback()
    assert _db.session.get(Call, call.id).cofinancing_percent == Decimal("10.00")


def test_applications_pin_the_codes_their_lines_store(db, admin):
    call = template_call(admin)
    ApplicationFactory(call=call)
    direct = call.budget_headings[0]
    personnel = direct.categories[0]
    with pytest.raises(ValidationFailed) as caught:
        budgets.update_category(admin, personnel.id, CategoryInput.from_input({"label": "Staff", "code": "staff"}))
    assert list(caught.value.errors) == ["code"]
    budgets.update_category(admin, personnel.id, CategoryInput.from_input({"label": "Staff"}))  # keeps its code
    assert (personnel.code, personnel.label) == ("personnel", "Staff")
    with pytest.raises(InvalidTransition):
        budgets.delete_category(admin, personnel.id)
    with pytest.raises(InvalidTransition):
        budgets.delete_heading(admin, direct.id)
    assert category(admin, direct, "Rent").code == "rent"  # the template may still grow while the call is open
    empty = heading(admin, call, "Spare")
    budgets.delete_heading(admin, empty.id)


def test_a_call_with_applications_cannot_start_a_template(db, admin):
    call = CallFactory()
    ApplicationFactory(call=call)
    direct = heading(admin, call, "Direct costs")
    with pytest.raises(InvalidTransition) as caught:
        category(admin, direct, "Personnel")
    assert "standard budget categories" in str(caught.value)


def test_cofinancing_empty_or_zero_asks_none(db, admin):
    call = CallFactory()
    for typed, stored in (("12.5", Decimal("12.50")), ("0", None), ("", None)):
        budgets.set_cofinancing(admin, call.id, CofinancingInput.from_input({"cofinancing_percent": typed}))
        assert call.cofinancing_percent == stored
    with pytest.raises(ValidationFailed):
        CofinancingInput.from_input({"cofinancing_percent": "101"})


# --- pages -------------------------------------------------------------------------------------------------------

def test_the_budget_page_is_for_admins_only(db, client, login, admin):
    call = template_call(admin)
    url = f"/admin/calls/{call.id}/budget"
    assert "/auth/login" in client.get(url).headers["Location"]
    for someone in (UserFactory(), UserFactory(roles=["reviewer"])):
        login(someone)
        assert client.get(url).status_code == 404
        assert client.post(f"{url}/headings", data={"heading-label": "X", "heading-kind": "direct"}).status_code == 404
    login(admin)
    page = client.get(url).get_data(as_text=True)
    assert "Indirect costs" in page and "At most 7% of direct costs." in page and "Not funded" in page
    assert _db.session.scalar(select(func.count(BudgetHeading.id))) == 3


def test_another_calls_heading_or_category_is_not_reached_through_this_one(db, client, login, admin):
    call, other = template_call(admin), CallFactory()
    login(admin)
    heading_id, category_id = call.budget_headings[0].id, call.budget_headings[0].categories[0].id
    assert client.get(f"/admin/calls/{other.id}/budget/headings/{heading_id}/edit").status_code == 404
    assert client.post(f"/admin/calls/{other.id}/budget/categories/{category_id}/delete").status_code == 404
    assert client.get("/admin/calls/999999/budget").status_code == 404


def test_adding_a_heading_and_a_category_through_the_page(db, client, login, admin):
    call = CallFactory(programme=ProgrammeFactory(currency="EUR"))
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/budget/headings", data={
        "heading-label": "Indirect costs", "heading-kind": "indirect", "heading-cap_percent": "7",
        "heading-cap_amount": ""})
    assert response.status_code == 302
    [added] = _db.session.get(Call, call.id).budget_headings
    assert (added.kind, added.cap_percent, added.cap_minor) == ("indirect", Decimal("7.00"), None)
    response = client.post(f"/admin/calls/{call.id}/budget/headings/{added.id}/categories",
                           data={f"h{added.id}-label": "Overheads", f"h{added.id}-code": ""})
    assert response.status_code == 302 and added.categories[0].code == "overheads"
    page = client.get(f"/calls/{call.id}").get_data(as_text=True)
    assert "Budget rules" in page and "at most 7% of direct costs" in page and "Overheads" in page


def test_refused_input_is_shown_beside_its_field_with_what_was_typed(db, client, login, admin):
    call = template_call(admin)
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/budget/headings", data={
        "heading-label": "Travel costs", "heading-kind": "direct", "heading-cap_percent": "7.555"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="heading-cap_percent-error"' in page and 'value="Travel costs"' in page
    direct = call.budget_headings[0]
    response = client.post(f"/admin/calls/{call.id}/budget/headings/{direct.id}/categories",
                           data={f"h{direct.id}-label": "Personnel"})  # twice the same: a double click
    assert response.status_code == 422 and "already has a budget category with this label" in response.get_data(
        as_text=True)


def test_a_call_in_review_says_why_its_rules_stay(db, client, login, admin):
    call = template_call(admin)
    call.opens_at, call.closes_at = call.opens_at.replace(year=2020), call.closes_at.replace(year=2021)
    _db.session.commit()
    indirect = call.budget_headings[1]
    login(admin)
    assert "cannot change now" in client.get(f"/admin/calls/{call.id}/budget").get_data(as_text=True)
    response = client.post(f"/admin/calls/{call.id}/budget/headings/{indirect.id}/edit", data={
        "label": "Indirect costs", "kind": "indirect", "cap_percent": "25"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'id="cap_percent-error"' in page and 'value="25"' in page
    assert _db.session.get(BudgetHeading, indirect.id).cap_percent == Decimal("7.00")
    response = client.post(f"/admin/calls/{call.id}/budget/cofinancing", data={"cofinancing_percent": "10"})
    assert response.status_code == 422


def test_grantee_reports_name_spend_lines_by_the_calls_categories(db, client, login):
    from tests.grants.report_helpers import opened_grant

    opened = opened_grant()
    call = opened.grant.call
    # Written straight to the tables: the services refuse to start a template once applications exist.
    direct = BudgetHeading(call_id=call.id, label="Direct costs", kind="direct")
    _db.session.add(direct)
    _db.session.flush()
    _db.session.add(BudgetCategory(call_id=call.id, heading_id=direct.id, code="equipment",
                                   label="Network hardware"))
    _db.session.commit()
    login(opened.owner)
    page = client.get(f"/grants/{opened.grant.id}/reports/{opened.interim.id}").get_data(as_text=True)
    assert "Network hardware: Routers and solar panels" in page
    assert "Training and workshops: Training of local operators" in page  # a code the template lacks


def test_two_admins_adding_the_same_category_at_once_add_it_once(app, db, admin):
    from cade.accounts.models import User
    from tests.concurrency import run_side_by_side

    call = template_call(admin)
    heading_id, admin_id = call.budget_headings[0].id, admin.id
    other_id = UserFactory(roles=["admin"]).id
    _db.session.commit()

    def add_rent(user_id):
        return lambda: budgets.add_category(_db.session.get(User, user_id), heading_id,
                                            CategoryInput.from_input({"label": "Rent"}))

    outcomes = run_side_by_side(app, [add_rent(admin_id), add_rent(other_id)], pause_after="from budget_headings")
    assert sorted("done" if o == "done" else type(o).__name__ for o in outcomes) == ["ValidationFailed", "done"]
    _db.session.expire_all()
    rows = _db.session.scalars(select(BudgetCategory).where(BudgetCategory.label == "Rent")).all()
    assert [(row.code, row.position) for row in rows] == [("rent", 3)]
