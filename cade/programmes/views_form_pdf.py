"""The printable blank form of a published call (cade/programmes/form_pdf.py), for anyone to download.

It joins the programmes blueprint (cade/programmes/views.py).
"""

import io

from flask import abort, request, send_file
from flask_babel import gettext as _

from cade.core.errors import DomainError
from cade.core.templating import language_name
from cade.core.translations import reader_language
from cade.extensions import db
from cade.programmes import form_pdf as printed_forms
from cade.programmes.constants import CallStatus
from cade.programmes.models import Call
from cade.programmes.views import bp


@bp.get("/calls/<int:call_id>/form.pdf")
def form_pdf(call_id: int):
    call = db.session.get(Call, call_id)
    # Drafts are unknown to the public; a form is printed only once the call is published (admins included).
    if call is None or call.status != CallStatus.PUBLISHED:
        abort(404)
    languages = printed_forms.form_languages()
    language = request.args.get("lang") or reader_language()
    if language not in languages:
        raise DomainError(_("The form is printed in these languages only: %(languages)s. Choose one of them.",
                            languages=", ".join(f"{language_name(code)} (lang={code})" for code in languages)))
    printed = printed_forms.form_pdf(call, language)
    response = send_file(io.BytesIO(printed.pdf), mimetype="application/pdf", as_attachment=True,
                         download_name=f"{call.reference_prefix}-form-{language}.pdf", etag=printed.digest,
                         conditional=True, max_age=0)
    # The same for everyone who names the language: shared caches may keep it, and ask again each time (a 304
    # when unchanged, which slow links feel). Without `lang` it is in the reader's language: theirs alone.
    response.headers["Cache-Control"] = "public, no-cache" if "lang" in request.args else "private, no-cache"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response
