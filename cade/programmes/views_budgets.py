"""A call's budget template pages (admins): headings and their caps, categories, co-financing.

They join the programmes blueprint (imported at the end of cade/programmes/views.py)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from cade.core.errors import DomainError, ValidationFailed
from cade.core.forms import current_actor, save_form
from cade.core.money import minor_units
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.programmes import budgets
from cade.programmes.constants import BUDGET_HEADING_KIND_LABELS
from cade.programmes.forms_budgets import CategoryForm, CofinancingForm, heading_form
from cade.programmes.models import BudgetCategory, BudgetHeading, Call
from cade.programmes.services import is_call_locked
from cade.programmes.views import bp


@bp.app_context_processor
def _budget_reading():
    # Any page naming a budget line's category asks the call (cade/programmes/budgets).
    return {"category_label": budgets.category_label, "percent_text": budgets.percent_text,
            "money_places": minor_units}


def _call_or_404(call_id: int) -> Call:
    return db.get_or_404(Call, call_id)


def _heading_or_404(call: Call, heading_id: int) -> BudgetHeading:
    heading = db.session.get(BudgetHeading, heading_id)
    if heading is None or heading.call_id != call.id:
        abort(404)  # another call's heading is not reached through this one
    return heading


def _category_or_404(call: Call, category_id: int) -> BudgetCategory:
    category = db.session.get(BudgetCategory, category_id)
    if category is None or category.call_id != call.id:
        abort(404)
    return category


def _category_form(heading: BudgetHeading, formdata=None) -> CategoryForm:
    # One form per heading on the page: the prefix keeps their fields' ids apart.
    return CategoryForm(prefix=f"h{heading.id}", formdata=formdata)


def _page(call: Call, status: int = 200, *, new_heading=None, category_forms=None, cofinancing=None):
    headings = call.budget_headings
    forms = {heading.id: _category_form(heading) for heading in headings} | (category_forms or {})
    return render_template(
        "programmes/budget.html", call=call, headings=headings, category_forms=forms,
        heading_form=new_heading or heading_form(call, prefix="heading", formdata=None),
        cofinancing_form=cofinancing or CofinancingForm(formdata=None,
                                                        data={"cofinancing_percent": call.cofinancing_percent}),
        kind_labels=BUDGET_HEADING_KIND_LABELS, in_review=call.is_in_review(), locked=is_call_locked(call),
    ), status


def _back(call: Call, anchor: str | None = None):
    return redirect(url_for("programmes.budget", call_id=call.id, _anchor=anchor))


def _save(form, action, message: str) -> bool:
    """Run the service behind a valid form: its field errors go beside the fields, any other refusal above them;
    what was typed stays in the form either way."""
    if not form.validate_on_submit():
        return False
    try:
        return save_form(form, action, message)
    except DomainError as error:
        db.session.rollback()
        form.form_errors.append(str(error))
        return False


def _run(action, message: str) -> None:
    """A button without typing (delete, move): say what happened, or why not."""
    try:
        action()
    except DomainError as error:
        db.session.rollback()
        messages = [str(m) for ms in getattr(error, "errors", {}).values() for m in ms]
        flash(" ".join(messages) if isinstance(error, ValidationFailed) and messages else str(error), "error")
    else:
        db.session.commit()
        flash(message, "success")


@bp.get("/admin/calls/<int:call_id>/budget")
@admin_required
def budget(call_id: int):
    return _page(_call_or_404(call_id))


@bp.post("/admin/calls/<int:call_id>/budget/headings")
@admin_required
def budget_heading_add(call_id: int):
    call = _call_or_404(call_id)
    form = heading_form(call, prefix="heading")
    if _save(form, lambda: budgets.add_heading(current_actor(), call.id, budgets.HeadingInput.from_input(
            form.data, currency=call.currency)), _("Budget heading added.")):
        return _back(call, "headings")
    return _page(call, 422, new_heading=form)


@bp.route("/admin/calls/<int:call_id>/budget/headings/<int:heading_id>/edit", methods=["GET", "POST"])
@admin_required
def budget_heading_edit(call_id: int, heading_id: int):
    call = _call_or_404(call_id)
    heading = _heading_or_404(call, heading_id)
    form = heading_form(call, heading if request.method == "GET" else None)
    if request.method == "POST" and _save(form, lambda: budgets.update_heading(
            current_actor(), heading.id, budgets.HeadingInput.from_input(form.data, currency=call.currency)),
            _("Budget heading saved.")):
        return _back(call, f"heading-{heading.id}")
    return render_template("programmes/budget_heading_form.html", call=call, budget_heading=heading, form=form,
                           in_review=call.is_in_review()), 422 if request.method == "POST" else 200


@bp.post("/admin/calls/<int:call_id>/budget/headings/<int:heading_id>/delete")
@admin_required
def budget_heading_delete(call_id: int, heading_id: int):
    call = _call_or_404(call_id)
    heading = _heading_or_404(call, heading_id)
    _run(lambda: budgets.delete_heading(current_actor(), heading.id), _("Budget heading deleted."))
    return _back(call, "headings")


@bp.post("/admin/calls/<int:call_id>/budget/headings/<int:heading_id>/move")
@admin_required
def budget_heading_move(call_id: int, heading_id: int):
    call = _call_or_404(call_id)
    heading = _heading_or_404(call, heading_id)
    _run(lambda: budgets.move_heading(current_actor(), heading.id, request.form.get("direction", "")),
         _("Budget heading moved."))
    return _back(call, f"heading-{heading.id}")


@bp.post("/admin/calls/<int:call_id>/budget/headings/<int:heading_id>/categories")
@admin_required
def budget_category_add(call_id: int, heading_id: int):
    call = _call_or_404(call_id)
    heading = _heading_or_404(call, heading_id)
    form = _category_form(heading, request.form)
    if _save(form, lambda: budgets.add_category(current_actor(), heading.id, budgets.CategoryInput.from_input(
            form.data)), _("Budget category added.")):
        return _back(call, f"heading-{heading.id}")
    return _page(call, 422, category_forms={heading.id: form})


@bp.route("/admin/calls/<int:call_id>/budget/categories/<int:category_id>/edit", methods=["GET", "POST"])
@admin_required
def budget_category_edit(call_id: int, category_id: int):
    call = _call_or_404(call_id)
    category = _category_or_404(call, category_id)
    form = CategoryForm(obj=category) if request.method == "GET" else CategoryForm()
    if request.method == "POST" and _save(form, lambda: budgets.update_category(
            current_actor(), category.id, budgets.CategoryInput.from_input(form.data)), _("Budget category saved.")):
        return _back(call, f"heading-{category.heading_id}")
    return render_template("programmes/budget_category_form.html", call=call, category=category, form=form,
                           in_review=call.is_in_review(), locked=is_call_locked(call)), (
        422 if request.method == "POST" else 200)


@bp.post("/admin/calls/<int:call_id>/budget/categories/<int:category_id>/delete")
@admin_required
def budget_category_delete(call_id: int, category_id: int):
    call = _call_or_404(call_id)
    category = _category_or_404(call, category_id)
    heading_id = category.heading_id
    _run(lambda: budgets.delete_category(current_actor(), category.id), _("Budget category deleted."))
    return _back(call, f"heading-{heading_id}")


@bp.post("/admin/calls/<int:call_id>/budget/categories/<int:category_id>/move")
@admin_required
def budget_category_move(call_id: int, category_id: int):
    call = _call_or_404(call_id)
    category = _category_or_404(call, category_id)
    _run(lambda: budgets.move_category(current_actor(), category.id, request.form.get("direction", "")),
         _("Budget category moved."))
    return _back(call, f"heading-{category.heading_id}")


@bp.post("/admin/calls/<int:call_id>/budget/cofinancing")
@admin_required
def budget_cofinancing(call_id: int):
    call = _call_or_404(call_id)
    form = CofinancingForm()
    if _save(form, lambda: budgets.set_cofinancing(current_actor(), call.id, budgets.CofinancingInput.from_input(
            form.data)), _("Co-financing saved.")):
        return _back(call, "cofinancing")
    return _page(call, 422, cofinancing=form)
