"""Admin pages of a call's languages: the language it is written in, how far each other language is translated,
and one page per language to translate its texts beside the originals. They join the programmes blueprint."""

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from cade.core.errors import ValidationFailed
from cade.core.forms import current_actor, place_errors, save_form
from cade.core.permissions import admin_required
from cade.core.templating import language_name
from cade.extensions import db
from cade.programmes import call_languages as service
from cade.programmes.forms_languages import CallLanguageForm, translation_form
from cade.programmes.models import Call
from cade.programmes.views import bp

# The languages a call can be read in, for its public page (reads the call's questions, loaded there anyway).
bp.add_app_template_global(service.call_languages, "call_languages")


def _overview(call: Call, language_form: CallLanguageForm | None = None):
    texts = service.call_texts(call)
    return render_template(
        "programmes/languages.html", call=call, in_review=call.is_in_review(),
        language_form=language_form or CallLanguageForm(formdata=None, data={"language": call.language}),
        progress=service.translation_progress(call, texts), available=service.call_languages(call))


@bp.get("/admin/calls/<int:call_id>/languages")
@admin_required
def call_languages(call_id):
    return _overview(db.get_or_404(Call, call_id))


@bp.post("/admin/calls/<int:call_id>/languages")
@admin_required
def call_language_save(call_id):
    call = db.get_or_404(Call, call_id)
    form = CallLanguageForm()
    if form.validate_on_submit() and save_form(
            form, lambda: service.set_call_language(current_actor(), call.id,
                                                    service.CallLanguageInput.from_input(form.data)),
            _("The call's language is saved.")):
        return redirect(url_for(".call_languages", call_id=call.id))
    return _overview(call, form)


# The language is a query argument (…/translate?language=fr): every route of the blueprint takes ids only.
@bp.route("/admin/calls/<int:call_id>/languages/translate", methods=["GET", "POST"])
@admin_required
def call_translation(call_id):
    call = db.get_or_404(Call, call_id)
    language = request.args.get("language", "")
    if language not in current_app.config["LANGUAGES"]:
        abort(404)
    form = translation_form(service.call_texts(call), language)
    if language == call.language and not form.is_submitted():
        flash(_("%(language)s is the language this call is written in: edit the call itself.",
                language=language_name(language)), "info")
        return redirect(url_for(".call_languages", call_id=call.id))
    if form.validate_on_submit():
        try:
            changed = service.translate_call(current_actor(), call.id, service.TranslationInput.from_input(
                {**form.data, "language": language}))
        except ValidationFailed as exc:
            db.session.rollback()
            place_errors(form, exc)  # what was typed stays in the form
            service.call_texts(call)  # the originals again, in four queries rather than one per expired row
        else:
            db.session.commit()
            flash(ngettext("%(num)d text saved.", "%(num)d texts saved.", changed) if changed
                  else _("Nothing to save: the texts are as they were."), "success")
            return redirect(url_for(".call_translation", call_id=call.id, language=language))
    return render_template("programmes/languages_edit.html", call=call, form=form, language=language,
                           in_review=call.is_in_review())
