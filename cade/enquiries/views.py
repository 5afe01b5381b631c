"""Pages of cade/enquiries: asking a question about a call (signed-in people), what the public call page shows of
answers and notices (a context processor), and the admin pages joined below (questions, answers, notices)."""

from flask import Blueprint, abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from cade.core.errors import DomainError
from cade.core.forms import current_actor, save_form
from cade.enquiries import asking
from cade.enquiries.constants import ENQUIRY_STATUS_LABELS, NOTICE_KIND_LABELS
from cade.enquiries.forms import QuestionForm
from cade.enquiries.reading import call_enquiries
from cade.extensions import db
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call

bp = Blueprint("enquiries", __name__)


@bp.app_context_processor
def _call_page_data():
    # The public call page (programmes) shows the answers and notices; programmes cannot import enquiries.
    def enquiries_of(call):
        return call_enquiries(call, current_actor() if current_user.is_authenticated else None)

    return {"call_enquiries": enquiries_of, "NOTICE_KIND_LABELS": NOTICE_KIND_LABELS}


def _published_call_or_404(call_id: int) -> Call:
    call = db.session.get(Call, call_id)
    if call is None or call.status != CallStatus.PUBLISHED:
        abort(404)
    return call


def _ask_page(call: Call, form: QuestionForm, status: int = 200):
    return render_template("enquiries/ask.html", call=call, form=form, cutoff=asking.question_cutoff(call),
                           is_open=asking.questions_open(call),
                           mine=asking.questions_of_asker(current_user, call.id),
                           STATUS_LABELS=ENQUIRY_STATUS_LABELS), status


@bp.route("/calls/<int:call_id>/questions/ask", methods=["GET", "POST"])
@login_required
def ask(call_id: int):
    call = _published_call_or_404(call_id)
    form = QuestionForm()
    if not current_user.is_verified:
        return _ask_page(call, form, 403)
    if form.validate_on_submit():
        if save_form(form, lambda: asking.ask_question(
                current_actor(), call.id, asking.QuestionInput.from_input(form.data)),
                _("Your question is sent. Its answer will be published on the call page, without your name."),
                refusal=DomainError):
            return redirect(url_for("enquiries.ask", call_id=call.id, _anchor="mine"), code=303)
        return _ask_page(call, form, 422)
    return _ask_page(call, form, 422 if form.errors else 200)


from cade.enquiries import views_admin  # noqa: E402,F401
from cade.enquiries import views_notices  # noqa: E402,F401
