"""The training catalogue, a participant's enrolments and the admin pages for courses and sessions."""

from io import BytesIO

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select

from cade.core.db import utcnow
from cade.core.errors import DomainError, NotFound, ValidationFailed
from cade.core.forms import current_actor, place_errors, save_form
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.training import services
from cade.training.constants import COURSE_FORMAT_LABELS, DIMENSION_LABELS, ENROLMENT_STATUS_LABELS
from cade.training.calendar_file import calendar_session, session_ics
from cade.training.certificate_pdf import certificate_pdf
from cade.training.forms import (
    ConfirmForm,
    CourseForm,
    EnrolForm,
    RevokeForm,
    SessionForm,
    language_label,
    session_form_data,
)
from cade.training.models import Certificate, Course, Session
from cade.training.services import attendance as attendance_services
from cade.training.services import certificates as certificate_services
from cade.training.permissions import can_view_course
from cade.training.services import CourseInput, EnrolInput, SessionInput

bp = Blueprint("training", __name__)


@bp.context_processor
def _labels():
    return {"COURSE_FORMAT_LABELS": COURSE_FORMAT_LABELS, "DIMENSION_LABELS": DIMENSION_LABELS,
            "ENROLMENT_STATUS_LABELS": ENROLMENT_STATUS_LABELS, "language_label": language_label}


def _viewer_tz() -> str | None:
    return current_user.timezone if current_user.is_authenticated else None


# ---------------------------------------------------------------- public and participant pages


@bp.get("/training/")
def catalogue():
    return render_template("training/catalogue.html", courses=services.catalogue(), viewer_tz=_viewer_tz())


def _enrol_form(session: Session, reader) -> EnrolForm:
    form = EnrolForm(prefix=f"s{session.id}")
    organisations = reader.organisations if reader else []
    form.organisation_id.choices = [(str(o.id), o.display_name) for o in organisations]
    return form


def _course_page(course: Course, *, refused=None, refused_session_id=None, status=200):
    rows = services.course_sessions(course)
    reader = services.reader_standing(current_user if current_user.is_authenticated else None, course, rows)
    forms = {row.session.id: _enrol_form(row.session, reader) for row in rows} if reader else {}
    if refused_session_id in forms:  # what was chosen stays chosen, with the reason beside it
        form = forms[refused_session_id]
        form.organisation_id.data = request.form.get(f"s{refused_session_id}-organisation_id")
        place_errors(form, refused)
    return render_template("training/course.html", course=course, rows=rows, reader=reader, forms=forms,
                           refused=refused, refused_session_id=refused_session_id, now=utcnow(),
                           viewer_tz=_viewer_tz()), status


@bp.get("/training/courses/<int:course_id>")
def course(course_id):
    course = db.get_or_404(Course, course_id)
    if not can_view_course(current_user, course):
        abort(404)
    return _course_page(course)


@bp.post("/training/sessions/<int:session_id>/enrol")
@login_required
def enrol(session_id):
    session = db.get_or_404(Session, session_id)
    if not can_view_course(current_user, session.course):
        abort(404)
    form = EnrolForm(prefix=f"s{session.id}")
    if not form.validate_on_submit():
        flash(_("The form had expired. Please press the button again."), "error")
        return redirect(url_for(".course", course_id=session.course_id))
    try:
        command = EnrolInput.from_input({"organisation_id": form.organisation_id.data or None})
        enrolment = services.enrol(current_actor(), session.id, command)
    except DomainError as exc:
        db.session.rollback()
        return _course_page(session.course, refused=exc, refused_session_id=session.id, status=exc.status)
    db.session.commit()
    if enrolment.status == "confirmed":
        flash(_("You have a seat in “%(title)s”.", title=session.display_title), "success")
    else:
        flash(_("The session is full: you are number %(position)d on the waiting list. We will tell you if a "
                "seat frees up.", position=enrolment.waitlist_position), "info")
    return redirect(url_for(".mine"))


@bp.get("/training/mine")
@login_required
def mine():
    return render_template("training/mine.html", enrolments=services.my_enrolments(current_actor()),
                           certificates=certificate_services.my_certificates(current_actor()),
                           form=ConfirmForm(), now=utcnow(), viewer_tz=_viewer_tz())


@bp.post("/training/enrolments/<int:enrolment_id>/cancel")
@login_required
def cancel_enrolment(enrolment_id):
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Please press the button again."), "error")
        return redirect(url_for(".mine"))
    try:
        services.cancel_enrolment(current_actor(), enrolment_id)
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc), "error")
    else:
        db.session.commit()
        flash(_("Your enrolment is cancelled."), "success")
    return redirect(url_for(".mine"))


# ---------------------------------------------------------------- admin


@bp.get("/admin/training/")
@admin_required
def admin_index():
    return render_template("training/admin_index.html", courses=services.admin_courses(), form=ConfirmForm(),
                           now=utcnow())


def _other_courses(course_id=None) -> list[Course]:
    query = select(Course).order_by(Course.title, Course.id)
    if course_id is not None:
        query = query.where(Course.id != course_id)
    return list(db.session.scalars(query))


def _course_data(form) -> dict:
    return {**form.data, "prerequisite_id": form.prerequisite_id.data or None}


@bp.route("/admin/training/courses/new", methods=["GET", "POST"])
@admin_required
def course_create():
    form = CourseForm(courses=_other_courses())
    if form.validate_on_submit() and save_form(
            form, lambda: services.create_course(current_actor(), CourseInput.from_input(_course_data(form))),
            _("Course saved.")):
        return redirect(url_for(".admin_index"))
    return render_template("training/course_form.html", form=form, course=None)


@bp.route("/admin/training/courses/<int:course_id>/edit", methods=["GET", "POST"])
@admin_required
def course_edit(course_id):
    course = db.get_or_404(Course, course_id)
    form = CourseForm(obj=course, courses=_other_courses(course.id))
    if request.method == "GET":
        form.prerequisite_id.data = str(course.prerequisite_id or "")
    if form.validate_on_submit() and save_form(
            form, lambda: services.update_course(current_actor(), course.id,
                                                 CourseInput.from_input(_course_data(form))),
            _("Course saved.")):
        return redirect(url_for(".admin_index"))
    return render_template("training/course_form.html", form=form, course=course)


def _save_session(form, action) -> bool:
    try:
        action(SessionInput.from_input(form.data))
    except ValidationFailed as exc:
        db.session.rollback()
        place_errors(form, exc)
        return False
    except DomainError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc))
        return False
    db.session.commit()
    flash(_("Session saved."), "success")
    return True


@bp.route("/admin/training/courses/<int:course_id>/sessions/new", methods=["GET", "POST"])
@admin_required
def session_create(course_id):
    course = db.get_or_404(Course, course_id)
    form = SessionForm(trainers=services.trainer_choices())
    if form.validate_on_submit() and _save_session(
            form, lambda command: services.create_session(current_actor(), course.id, command)):
        return redirect(url_for(".admin_index"))
    return render_template("training/session_form.html", form=form, course=course, session=None)


@bp.route("/admin/training/sessions/<int:session_id>/edit", methods=["GET", "POST"])
@admin_required
def session_edit(session_id):
    session = db.get_or_404(Session, session_id)
    form = SessionForm(data=session_form_data(session), trainers=services.trainer_choices())
    if form.validate_on_submit() and _save_session(
            form, lambda command: services.update_session(current_actor(), session.id, command)):
        return redirect(url_for(".admin_index"))
    return render_template("training/session_form.html", form=form, course=session.course, session=session)


@bp.post("/admin/training/sessions/<int:session_id>/cancel")
@admin_required
def session_cancel(session_id):
    session = db.get_or_404(Session, session_id)
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Please press the button again."), "error")
    else:
        try:
            services.cancel_session(current_actor(), session.id)
        except DomainError as exc:
            db.session.rollback()
            flash(str(exc), "error")
        else:
            db.session.commit()
            flash(_("Session cancelled; everyone enrolled has been told."), "success")
    return redirect(url_for(".admin_index"))


# ---------------------------------------------------------------- trainers: teaching and attendance


@bp.get("/training/teaching")
@login_required
def teaching():
    return render_template("training/teaching.html", rows=attendance_services.my_teaching(current_actor()),
                           now=utcnow(), viewer_tz=_viewer_tz())


def _teaching_session(session_id) -> Session:
    try:
        return attendance_services.teaching_session(current_actor(), session_id)
    except NotFound:
        abort(404)


def _attendance_page(session, *, error=None, marks=None, status=200):
    sheet = attendance_services.attendance_sheet(session)
    marks = marks if marks is not None else {e.id: e.status for e in sheet}
    return render_template("training/attendance.html", session=session, sheet=sheet, marks=marks, error=error,
                           form=ConfirmForm(), now=utcnow(), viewer_tz=_viewer_tz()), status


@bp.route("/training/sessions/<int:session_id>/attendance", methods=["GET", "POST"])
@login_required
def attendance(session_id):
    session = _teaching_session(session_id)
    if request.method == "GET":
        return _attendance_page(session)
    if not ConfirmForm().validate_on_submit():
        return _attendance_page(session, error=_("The form had expired. Please save again."), status=400)
    marks, typed = {}, {}
    for enrolment in attendance_services.attendance_sheet(session):
        value = request.form.get(f"e{enrolment.id}")
        if value in ("attended", "no_show"):
            marks[enrolment.id] = value == "attended"
            typed[enrolment.id] = value
        else:
            typed[enrolment.id] = enrolment.status
    try:
        changed = attendance_services.mark_attendance(current_actor(), session.id, marks)
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as exc:
        db.session.rollback()
        return _attendance_page(db.session.get(Session, session_id), error=str(exc), marks=typed,
                                status=exc.status)
    db.session.commit()
    flash(_("Attendance saved (%(count)d changed).", count=len(changed)), "success")
    return redirect(url_for(".attendance", session_id=session.id))


@bp.get("/training/sessions/<int:session_id>.ics")
@login_required
def session_calendar(session_id):
    try:
        session = calendar_session(current_actor(), session_id)
    except NotFound:
        abort(404)
    return Response(session_ics(session, current_app.config["BASE_URL"]), content_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="session-{session.id}.ics"'})


@bp.get("/training/sessions/<int:session_id>/participants.csv")
@login_required
def participants_csv(session_id):
    session = _teaching_session(session_id)
    stream = BytesIO()
    attendance_services.write_participants_csv(session, stream)
    return Response(stream.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="session-{session.id}-participants.csv"'})


# ---------------------------------------------------------------- certificates


@bp.get("/certificates/<code>")
def verify(code):
    certificate = certificate_services.certificate_by_code(code)
    if certificate is None:
        return render_template("training/verify.html", certificate=None, code=code[:40]), 404
    return render_template("training/verify.html", certificate=certificate, code=certificate.code), \
        410 if certificate.is_revoked else 200


@bp.get("/training/certificates/<int:certificate_id>.pdf")
@login_required
def certificate_download(certificate_id):
    try:
        certificate = certificate_services.own_certificate(current_actor(), certificate_id)
    except NotFound:
        abort(404)
    return Response(certificate_pdf(certificate), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="certificate-{certificate.code}.pdf"'})


@bp.get("/admin/training/courses/<int:course_id>/certificates")
@admin_required
def course_certificates(course_id):
    course = db.get_or_404(Course, course_id)
    return render_template("training/course_certificates.html", course=course,
                           certificates=certificate_services.course_certificates(course.id))


@bp.route("/admin/training/certificates/<int:certificate_id>/revoke", methods=["GET", "POST"])
@admin_required
def certificate_revoke(certificate_id):
    certificate = db.get_or_404(Certificate, certificate_id)
    form = RevokeForm()
    if form.validate_on_submit():
        try:
            certificate_services.revoke_certificate(
                current_actor(), certificate.id,
                certificate_services.RevokeInput.from_input({"reason": form.reason.data}))
        except ValidationFailed as exc:
            db.session.rollback()
            place_errors(form, exc)
        except DomainError as exc:
            db.session.rollback()
            form.form_errors.append(str(exc))
        else:
            db.session.commit()
            flash(_("Certificate revoked."), "success")
            return redirect(url_for(".course_certificates", course_id=certificate.course_id))
    status = 400 if request.method == "POST" else 200
    return render_template("training/certificate_revoke.html", form=form, certificate=certificate), status


from cade.training import views_assessments  # noqa: E402,F401  (capacity assessment pages, on this blueprint)
from cade.training import views_resources  # noqa: E402,F401  (resource library and admin pages, on this blueprint)
