"""Thread pages: an application's (or its grant's) messages and the form to write one, sharing a message with
the reviewers, and downloading a message's file. They join the conversations blueprint."""

from flask import abort, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.conversations import threads
from cade.conversations.constants import ThreadTopic
from cade.conversations.fields import named_fields
from cade.conversations.forms import MessageForm
from cade.conversations.models import Message
from cade.conversations.panels import author_label, clarifications_of
from cade.conversations.permissions import can_post_message, can_share_message, reviewing_assignment
from cade.conversations.views import bp
from cade.core.errors import DomainError, NotFound, StorageUnavailable, UploadRejected, ValidationFailed
from cade.core.forms import current_actor, place_errors
from cade.core.permissions import admin_required, is_admin
from cade.extensions import db


def _render_thread(application, topic: str, form: MessageForm, status: int = 200):
    thread = threads.thread_of(application.id, topic)
    messages = thread.messages if thread else []
    requests = clarifications_of(messages)
    viewer = current_actor()
    authors = {message.id: author_label(message, viewer, reviewer_asked=(
        message.clarification_id in requests and requests[message.clarification_id].requested_as == "reviewer"))
        for message in messages}
    fields = {clarification_id: named_fields(application.call, clarification.fields)
              for clarification_id, clarification in requests.items()}
    return render_template(
        "conversations/thread.html", application=application, call=application.call, topic=topic, form=form,
        messages=messages, authors=authors, requests=requests, request_fields=fields,
        can_post=can_post_message(viewer, application, topic), staff=is_admin(viewer)), status


@bp.route("/applications/<int:application_id>/messages", methods=["GET", "POST"],
          defaults={"topic": ThreadTopic.APPLICATION.value})
@bp.route("/applications/<int:application_id>/messages/<any(grant):topic>", methods=["GET", "POST"])
@login_required
def thread(application_id: int, topic: str):
    try:
        application = threads.load_for_thread(current_actor(), application_id, topic)
    except NotFound:
        abort(404)
    form = MessageForm()
    if not form.validate_on_submit():
        return _render_thread(application, topic, form, status=422 if form.errors else 200)
    uploads = [threads.Upload(upload.stream, upload.filename) for upload in form.files.data or []
               if getattr(upload, "filename", None)]
    try:
        command = threads.MessageInput.from_input(form.data)
        threads.post_message(current_actor(), application.id, topic, command, uploads)
        db.session.commit()
    except (ValidationFailed, UploadRejected) as error:
        db.session.rollback()
        place_errors(form, error)
        if isinstance(error, UploadRejected):
            form.files.errors = [*form.files.errors, _("Choose the files again: a browser cannot keep them.")]
        return _render_thread(application, topic, form, status=422)
    except StorageUnavailable as error:
        db.session.rollback()  # nothing is sent; the message stays typed in the form
        form.files.errors = [*form.files.errors, error.message,
                             _("Choose the files again: a browser cannot keep them.")]
        return _render_thread(application, topic, form, status=error.status)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return _render_thread(application, topic, form, status=error.status)
    flash(_("Your message was sent."), "success")
    return redirect(url_for("conversations.thread", application_id=application.id,
                            topic=topic, _anchor="latest"), code=303)


@bp.post("/messages/<int:message_id>/share")
@admin_required
def share(message_id: int):
    message = db.session.get(Message, message_id)
    if message is None:
        abort(404)
    application_id = message.thread.application_id
    if not can_share_message(current_user, message) and message.shared_at is None:
        abort(404)
    try:
        threads.share_message(current_actor(), message.id)
        db.session.commit()
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
    else:
        flash(_("The message is shared with the application's reviewers."), "success")
    return redirect(url_for("conversations.thread", application_id=application_id, _anchor=f"message-{message_id}"))


@bp.get("/messages/files/<int:attachment_id>")
@login_required
def download(attachment_id: int):
    try:
        attachment, stream = threads.open_message_attachment(current_actor(), attachment_id)
    except NotFound:
        abort(404)
    application = attachment.message.thread.application
    # A reviewer of a blind call gets the file under a number, as the review page shows it.
    blind = (application.call.blind_review and not is_admin(current_user)
             and reviewing_assignment(current_actor(), application) is not None)
    response = send_file(stream, mimetype=attachment.content_type, as_attachment=True, max_age=0,
                         download_name=threads.attachment_download_name(attachment, blind=blind))
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "private, no-store"
    return response
