"""Travel routes (setup): a travel call's settings, events and caps, and the per diem table (admins only).

They join the travel blueprint (cade/travel/views.py)."""

from datetime import date

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from cade.core.countries import country_name, is_country
from cade.core.errors import DomainError, InvalidTransition, NotFound, ValidationFailed
from cade.core.forms import current_actor, save_form
from cade.core.money import from_minor
from cade.core.permissions import admin_required
from cade.core.timeutil import utcnow
from cade.extensions import db
from cade.programmes.constants import ProgrammeKind
from cade.programmes.models import Call
from cade.travel import per_diem
from cade.travel import setup as service
from cade.travel.constants import DEFAULT_DATE_MARGIN_DAYS, DEFAULT_POST_TRIP_DAYS
from cade.travel.forms_setup import EventForm, PerDiemRateForm, TravelSettingsForm
from cade.travel.models import PerDiemRate, TravelEvent
from cade.travel.views import bp


def _call_or_404(call_id: int) -> Call:
    call = db.session.get(Call, call_id)
    if call is None or call.programme.kind != ProgrammeKind.TRAVEL_SUPPORT:
        abort(404)  # only a travel support programme's call has travel pages
    return call


def _event_or_404(call: Call, event_id: int) -> TravelEvent:
    event = db.session.get(TravelEvent, event_id)
    if event is None or event.call_id != call.id:
        abort(404)  # another call's event is not reached through this one
    return event


def _settings_form(call: Call) -> TravelSettingsForm:
    settings = service.travel_settings(call.id)
    margin, days = ((settings.date_margin_days, settings.post_trip_days) if settings
                    else (DEFAULT_DATE_MARGIN_DAYS, DEFAULT_POST_TRIP_DAYS))
    # formdata=None: another form of the page was posted, this one shows what is saved.
    return TravelSettingsForm(formdata=None, data={"date_margin_days": str(margin), "post_trip_days": str(days)})


def _caps_values(call: Call) -> dict[str, str]:
    return {category: service.cap_text(cap, call.currency) for category, _label, cap in service.cap_rows(call.id)}


def _call_page(call: Call, status: int = 200, *, settings_form=None, event_form=None, caps_values=None,
               caps_errors=None):
    settings = service.travel_settings(call.id)
    return render_template(
        "travel/admin_call.html", call=call, settings=settings,
        settings_form=settings_form or _settings_form(call),
        event_form=event_form or EventForm(formdata=None),
        events=service.events_of(call.id) if settings else [],
        named=service.events_named_by_trips(call.id) if settings else set(),
        cap_rows=service.cap_rows(call.id), caps_values=caps_values or _caps_values(call),
        caps_errors=caps_errors or {}), status


def _back(call: Call, anchor: str | None = None):
    return redirect(url_for("travel.admin_call", call_id=call.id, _anchor=anchor))


def _flash_refusal(error: DomainError) -> None:
    messages = [str(m) for ms in getattr(error, "errors", {}).values() for m in ms] or [str(error)]
    flash(" ".join(messages), "error")


@bp.get("/admin/calls/<int:call_id>/travel")
@admin_required
def admin_call(call_id: int):
    return _call_page(_call_or_404(call_id))


@bp.post("/admin/calls/<int:call_id>/travel/settings")
@admin_required
def save_settings(call_id: int):
    call = _call_or_404(call_id)
    form = TravelSettingsForm()
    if form.validate_on_submit() and save_form(form, lambda: service.make_travel_call(
            current_actor(), call.id, service.TravelSettingsInput.from_input(form.data)),
            _("The travel settings are saved."), refusal=DomainError):
        return _back(call, "settings")
    return _call_page(call, 422, settings_form=form)


@bp.post("/admin/calls/<int:call_id>/travel/events")
@admin_required
def add_event(call_id: int):
    call = _call_or_404(call_id)
    form = EventForm()
    if form.validate_on_submit() and save_form(form, lambda: service.add_event(
            current_actor(), call.id, service.EventInput.from_input(form.data)),
            _("Event added."), refusal=DomainError):
        return _back(call, "events")
    return _call_page(call, 422, event_form=form)


@bp.route("/admin/calls/<int:call_id>/travel/events/<int:event_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_event(call_id: int, event_id: int):
    call = _call_or_404(call_id)
    event = _event_or_404(call, event_id)
    form = EventForm(data=_event_data(event)) if request.method == "GET" else EventForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and save_form(form, lambda: service.edit_event(
                current_actor(), event.id, service.EventInput.from_input(form.data)),
                _("Event saved."), refusal=DomainError):
            return _back(call, f"event-{event.id}")
        status = 422
    return render_template("travel/admin_event.html", call=call, event=event, form=form), status


def _event_data(event: TravelEvent) -> dict:
    return {"name": event.name, "city": event.city, "country": event.country,
            "starts_on": event.starts_on.isoformat(), "ends_on": event.ends_on.isoformat(),
            "website": event.website or "", "language": event.language or ""}


@bp.post("/admin/calls/<int:call_id>/travel/events/<int:event_id>/delete")
@admin_required
def delete_event(call_id: int, event_id: int):
    call = _call_or_404(call_id)
    event = _event_or_404(call, event_id)
    name = event.name
    _run(lambda: service.delete_event(current_actor(), event.id), _("“%(name)s” is deleted.", name=name))
    return _back(call, "events")


@bp.post("/admin/calls/<int:call_id>/travel/events/<int:event_id>/move")
@admin_required
def move_event(call_id: int, event_id: int):
    call = _call_or_404(call_id)
    event = _event_or_404(call, event_id)
    _run(lambda: service.move_event(current_actor(), event.id, request.form.get("direction", "")),
         _("Event moved."))
    return _back(call, f"event-{event.id}")


@bp.post("/admin/calls/<int:call_id>/travel/caps")
@admin_required
def save_caps(call_id: int):
    call = _call_or_404(call_id)
    typed = {category: request.form.get(f"cap-{category}", "") for category, _label, _cap in
             service.cap_rows(call.id)}
    try:
        service.set_caps(current_actor(), call.id, service.CapsInput.from_form(request.form, call.currency))
    except ValidationFailed as error:
        db.session.rollback()
        return _call_page(call, error.status, caps_values=typed,
                          caps_errors={name: [str(m) for m in ms] for name, ms in error.errors.items()})
    except InvalidTransition as error:
        db.session.rollback()
        return _call_page(call, error.status, caps_values=typed, caps_errors={"caps": [str(error)]})
    db.session.commit()
    flash(_("The caps are saved."), "success")
    return _back(call, "caps")


def _run(action, success_message: str) -> bool:
    """Run one service behind a button: commit and say so, or roll back and say why."""
    try:
        action()
    except NotFound:
        abort(404)
    except DomainError as error:
        db.session.rollback()
        _flash_refusal(error)
        return False
    db.session.commit()
    flash(success_message, "success")
    return True


# ---------------------------------------------------------------- the per diem table


def _rate_or_404(rate_id: int) -> PerDiemRate:
    rate = db.session.get(PerDiemRate, rate_id)
    if rate is None:
        abort(404)
    return rate


def _country_filter() -> str | None:
    code = (request.args.get("country") or "").strip().upper()
    return code if is_country(code) else None


def _table_page(form: PerDiemRateForm | None = None, status: int = 200, retiring: dict | None = None):
    country = _country_filter()
    countries = [(code, country_name(code)) for code in per_diem.table_countries()]
    return render_template("travel/admin_per_diem.html", form=form or PerDiemRateForm(formdata=None),
                           rates=per_diem.rates_table(country), country=country,
                           countries=sorted(countries, key=lambda pair: pair[1]), retiring=retiring or {},
                           today=utcnow().date().isoformat(), place_name=per_diem.place_name), status


@bp.route("/admin/per-diem", methods=["GET", "POST"])
@admin_required
def admin_per_diem():
    if request.method == "GET":
        return _table_page()
    form = PerDiemRateForm()
    if form.validate_on_submit() and save_form(form, lambda: per_diem.add_rate(
            current_actor(), per_diem.PerDiemRateInput.from_input(form.data)), _("Rate added."),
            refusal=DomainError):
        return redirect(url_for("travel.admin_per_diem", country=form.country.data or None))
    return _table_page(form, 422)


@bp.route("/admin/per-diem/<int:rate_id>/edit", methods=["GET", "POST"])
@admin_required
def edit_rate(rate_id: int):
    rate = _rate_or_404(rate_id)
    form = PerDiemRateForm(data=_rate_data(rate)) if request.method == "GET" else PerDiemRateForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit() and save_form(form, lambda: per_diem.edit_rate(
                current_actor(), rate.id, per_diem.PerDiemRateInput.from_input(form.data)), _("Rate saved."),
                refusal=DomainError):
            return redirect(url_for("travel.admin_per_diem", country=rate.country, _anchor=f"rate-{rate.id}"))
        status = 422
    return render_template("travel/admin_rate.html", rate=rate, form=form), status


def _rate_data(rate: PerDiemRate) -> dict:
    return {"country": rate.country, "city": rate.city or "", "currency": rate.currency,
            "daily_amount": f"{from_minor(rate.daily_minor, rate.currency):f}",
            "valid_from": rate.valid_from.isoformat(), "valid_to": rate.valid_to.isoformat() if rate.valid_to else "",
            "source": rate.source or "", "is_example": rate.is_example}


@bp.post("/admin/per-diem/<int:rate_id>/retire")
@admin_required
def retire_rate(rate_id: int):
    rate = _rate_or_404(rate_id)
    typed = request.form.get("last_day", "")
    try:
        per_diem.retire_rate(current_actor(), rate.id, per_diem.RetireInput.from_input({"last_day": typed}))
    except (ValidationFailed, InvalidTransition) as error:
        db.session.rollback()
        messages = [str(m) for ms in getattr(error, "errors", {}).values() for m in ms] or [str(error)]
        return _table_page(status=error.status, retiring={"rate_id": rate.id, "value": typed, "errors": messages})
    db.session.commit()
    flash(_("The rate now ends on %(day)s.", day=format_date(date.fromisoformat(typed), "long")), "success")
    return redirect(url_for("travel.admin_per_diem", country=request.args.get("country") or None,
                            _anchor=f"rate-{rate.id}"))
