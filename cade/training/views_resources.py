"""Resource pages: the public library, downloads (files as attachments, links shown before leaving), admin pages."""

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from werkzeug.exceptions import RequestEntityTooLarge
from wtforms import BooleanField, RadioField, SelectField, StringField, TextAreaField
from wtforms.validators import Optional

from cade.core.errors import DomainError, NotFound
from cade.core.forms import current_actor, place_errors, select_choices
from cade.core.permissions import admin_required
from cade.extensions import db
from cade.training import resources
from cade.training.constants import COURSE_LANGUAGES
from cade.training.forms import ConfirmForm, language_label
from cade.training.models import Course
from cade.training.views import bp

# Room for the form's other fields around the largest file.
FORM_OVERHEAD_BYTES = 1024 * 1024


class ResourceForm(FlaskForm):
    """Shape only: every rule is the command's and the service's."""

    title = StringField(_l("Title"))
    description = TextAreaField(_l("Description"))
    language = SelectField(_l("Language"), validate_choice=False)
    kind = RadioField(_l("Kind"), choices=select_choices([("file", _l("A file to upload")),
                                                     ("link", _l("A link to another site"))]),
                      default="file", validate_choice=False)
    file = FileField(_l("File"), description=_l("PDF, Word, Excel, PowerPoint, OpenDocument or EPUB."))
    url = StringField(_l("Address of the link"), description=_l("Starting with https:// or http://"))
    stated_size = StringField(_l("Size of what the link leads to (optional)"),
                              description=_l("For example “2 MB”: people on slow connections decide before "
                                             "they download."))
    course_id = SelectField(_l("Course"), validate_choice=False, validators=[Optional()])
    in_library = BooleanField(_l("Show in the public library"), default=True)
    public = BooleanField(_l("Anyone may download it, without an account"), default=True)

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.language.choices = select_choices((code, language_label(code)) for code in COURSE_LANGUAGES)
        self.course_id.choices = select_choices([("", _l("None (library only)"))]
                                                + [(course.id, course.title) for course in courses])


@bp.context_processor
def _resource_helpers():
    return {"course_resources": resources.course_resources, "RESOURCE_KIND_LABELS": resources.KIND_LABELS}


@bp.get("/training/library")
def library():
    return render_template("training/resources/library.html", resources=resources.library_resources())


@bp.get("/training/resources/<int:resource_id>/download")
def resource_download(resource_id: int):
    try:
        resource = resources.find_resource(current_user, resource_id)
    except NotFound:
        abort(404)
    if not resources.can_download_resource(current_user, resource):
        flash(_("Sign in to download this resource."), "info")
        return redirect(url_for("accounts.login", next=request.path))
    if resource.kind == resources.LINK:
        return render_template("training/resources/leave.html", resource=resource)
    try:
        stream = resources.get_storage().open(resource.stored_name)
    except FileNotFoundError:
        abort(404)
    response = send_file(stream, mimetype=resource.content_type, as_attachment=True,
                         download_name=resources.download_name(resource), max_age=0)
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not resource.public:
        response.headers["Cache-Control"] = "private, no-store"
    return response


# ---------------------------------------------------------------- admin


def _courses():
    return db.session.scalars(db.select(Course).order_by(Course.title)).all()


def _edit_page(form, resource=None, status=200):
    return render_template("training/resources/form.html", form=form, resource=resource,
                           max_bytes=resources.max_bytes()), status


@bp.get("/admin/training/resources")
@admin_required
def admin_resources():
    return render_template("training/resources/admin_list.html", resources=resources.all_resources(),
                           form=ConfirmForm())


def _read_form(resource=None):
    """The posted form, or None with the page to answer when the request was too large to read."""
    # An upload may be larger than the site's usual limit: allow this one up to the resource limit.
    request.max_content_length = resources.max_bytes() + FORM_OVERHEAD_BYTES
    try:
        request.files  # noqa: B018  (parse now, so an oversized request is caught here)
    except RequestEntityTooLarge:
        form = ResourceForm(formdata=None, courses=_courses())
        form.form_errors.append(resources.too_large_message())
        form.form_errors.append(_("The form could not be read, so please fill it in again."))
        return None, _edit_page(form, resource, 413)
    return ResourceForm(courses=_courses()), None


def _save(form, resource=None):
    try:
        command = resources.ResourceInput.from_input(
            {**form.data, "kind": resource.kind if resource else form.kind.data})
        if resource is None:
            upload = form.file.data
            stream = upload.stream if upload and upload.filename else None
            resources.add_resource(current_actor(), command, stream, upload.filename if stream else None)
        else:
            resources.update_resource(current_actor(), resource.id, command)
    except NotFound:
        db.session.rollback()
        abort(404)
    except DomainError as error:  # ValidationFailed beside its fields, an UploadRejected beside the file
        db.session.rollback()
        place_errors(form, error)
    else:
        db.session.commit()
        flash(_("The resource was saved."), "success")
        return redirect(url_for(".admin_resources"))
    form.form_errors.append(_("Nothing was saved. If you chose a file, choose it again."))
    return _edit_page(form, resource, 422)


@bp.route("/admin/training/resources/new", methods=["GET", "POST"])
@admin_required
def resource_new():
    if request.method == "GET":
        return _edit_page(ResourceForm(courses=_courses()))
    form, refused = _read_form()
    if refused:
        return refused
    if not form.validate_on_submit():
        return _edit_page(form, None, 400)
    return _save(form)


@bp.route("/admin/training/resources/<int:resource_id>/edit", methods=["GET", "POST"])
@admin_required
def resource_edit(resource_id: int):
    resource = db.get_or_404(resources.Resource, resource_id)
    if request.method == "GET":
        data = {name: getattr(resource, name) for name in resources.EDITABLE}
        data.update(kind=resource.kind, url=resource.url, course_id=str(resource.course_id or ""),
                    stated_size=_stated(resource))
        return _edit_page(ResourceForm(data=data, courses=_courses()), resource)
    form, refused = _read_form(resource)
    if refused:
        return refused
    if not form.validate_on_submit():
        return _edit_page(form, resource, 400)
    return _save(form, resource)


def _stated(resource) -> str:
    if resource.kind != resources.LINK or resource.size is None:
        return ""
    mb = resource.size / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{max(1, resource.size // 1024)} kB"


@bp.post("/admin/training/resources/<int:resource_id>/remove")
@admin_required
def resource_remove(resource_id: int):
    if not ConfirmForm().validate_on_submit():
        flash(_("The form had expired. Please press the button again."), "error")
        return redirect(url_for(".admin_resources"))
    try:
        resources.remove_resource(current_actor(), resource_id)
    except NotFound:
        db.session.rollback()
        abort(404)
    db.session.commit()
    flash(_("The resource was removed."), "success")
    return redirect(url_for(".admin_resources"))
