"""The training catalogue, a participant's enrolments and the admin pages for courses and sessions."""

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
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
from cade.training.forms import ConfirmForm, CourseForm, EnrolForm, SessionForm, language_label, session_form_data
from cade.training.models import Course, Session
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
