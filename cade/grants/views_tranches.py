"""Tranche pages: the schedule on a grant's page with the admins' pay forms, and a call's schedule (admins)."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, NotFound, ValidationFailed
from cade.core.permissions import admin_required, is_admin
from cade.extensions import db
from cade.grants import tranches as service
from cade.grants.constants import (GRANT_STATUS_LABELS, MAX_SCHEDULE_ROWS, TRANCHE_CONDITION_LABELS,
                                   TRANCHE_STATUS_LABELS, TRANCHE_UNLOCKS, TrancheCondition,
                                   TrancheStatus)
from cade.diligence.readiness import payment_readiness
from cade.grants.models import Tranche
from cade.grants.offer_terms import offer_terms
from cade.grants.timeline import grant_timeline
from cade.grants.views import _viewable, bp
from cade.programmes.models import Call

# The awards offer page asks grants for the terms it commits to (awards may not import grants).
bp.add_app_template_global(offer_terms, "offer_terms")


def schedule_context(grant, *, paying: dict | None = None) -> dict:
    """What the grant page needs for its schedule: the tranches, their words, and the pay form being answered.

    `paying` is {"tranche_id", "values", "errors", "refusal"} when a payment was just refused.
    """
    tranches = service.tranches_of(grant)
    locked = service.next_locked(tranches)
    can_pay = is_admin(current_user)
    # Only the admin paying sees the account in full, and only while a tranche is still to pay.
    readiness = (payment_readiness(grant) if can_pay and any(t.status != TrancheStatus.PAID for t in tranches)
                 else None)
    return {"tranches": tranches, "condition_labels": TRANCHE_CONDITION_LABELS, "readiness": readiness,
            "tranche_labels": TRANCHE_STATUS_LABELS,
            "next_unlock": TRANCHE_UNLOCKS[TrancheCondition(locked.condition)] if locked else None,
            "can_pay": can_pay, "paying": paying or {}, "today": utcnow().date().isoformat()}


def _show(grant, status: int = 200, **paying):
    return render_template("grants/show.html", grant=grant, timeline=grant_timeline(grant),
                           status_labels=GRANT_STATUS_LABELS, **schedule_context(grant, paying=paying)), status


@bp.post("/grants/<int:grant_id>/tranches/<int:tranche_id>/pay")
@login_required
def pay_tranche(grant_id: int, tranche_id: int):
    grant = _viewable(grant_id)
    if not is_admin(current_user):
        abort(404)
    tranche = db.session.get(Tranche, tranche_id)
    if tranche is None or tranche.grant_id != grant.id:
        abort(404)
    values = {"paid_on": request.form.get("paid_on", ""), "reference": request.form.get("reference", "")}
    try:
        command = service.PaymentInput.from_input(values, today=utcnow().date())
        service.pay_tranche(current_user, tranche.id, command)
    except ValidationFailed as error:
        db.session.rollback()
        return _show(grant, error.status, tranche_id=tranche_id, values=values,
                     errors={name: [str(m) for m in messages] for name, messages in error.errors.items()})
    except InvalidTransition as error:
        db.session.rollback()
        return _show(grant, error.status, tranche_id=tranche_id, values=values, refusal=str(error))
    db.session.commit()
    flash(_("Payment recorded: tranche %(position)s, reference %(reference)s.", position=tranche.position,
            reference=command.reference), "success")
    return redirect(url_for("grants.show", grant_id=grant.id, _anchor="schedule"))


def _call_or_404(call_id: int) -> Call:
    call = db.session.get(Call, call_id)
    if call is None:
        abort(404)
    return call


def _rows_from(schedule) -> list[dict]:
    rows = [{"share": f"{(row.share * 100).normalize():f}", "condition": str(row.condition),
             "days": str(row.due_after_days)} for row in schedule]
    return rows + [{"share": "", "condition": "", "days": ""}] * (MAX_SCHEDULE_ROWS - len(rows))


@bp.route("/admin/calls/<int:call_id>/tranches", methods=["GET", "POST"])
@admin_required
def call_tranches(call_id: int):
    call = _call_or_404(call_id)
    errors: dict = {}
    status = 200
    if request.method == "POST":
        rows = [{key: request.form.get(f"{key}-{index}", "") for key in ("share", "condition", "days")}
                for index in range(MAX_SCHEDULE_ROWS)]
        try:
            service.set_schedule(current_user, call.id, rows)
        except ValidationFailed as error:
            db.session.rollback()
            errors = {name: [str(m) for m in messages] for name, messages in error.errors.items()}
            status = error.status
        except NotFound:
            abort(404)
        else:
            db.session.commit()
            flash(_("The tranche schedule is saved. It applies to grants opened from now on."), "success")
            return redirect(url_for("grants.call_tranches", call_id=call.id))
    else:
        rows = _rows_from(service.call_schedule(call.id))
    return render_template("grants/call_tranches.html", call=call, rows=rows, errors=errors,
                           own=service.has_own_schedule(call.id), condition_labels=TRANCHE_CONDITION_LABELS), status
