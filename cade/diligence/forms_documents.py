"""The document forms (shape only: DocumentInput and RefusalInput in cade/diligence/documents.py clean them)."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField

from cade.core.forms import select_choices
from cade.diligence.constants import DOCUMENT_KIND_LABELS


class Required:
    """Marks a field required (the label's asterisk); the command says when it is missing, with every other error."""

    field_flags = {"required": True}

    def __call__(self, form, field):
        pass


class DocumentForm(FlaskForm):
    kind = SelectField(_l("Kind of document"), validators=[Required()], validate_choice=False)
    title = StringField(_l("Name of the document"), description=_l(
        "Required for another kind of document: say what it is. For the others, a note if you like."))
    year = StringField(_l("Financial year"), render_kw={"inputmode": "numeric", "autocomplete": "off"},
                       description=_l("Audited accounts only: the year they cover, e.g. 2025."))
    issued_on = StringField(_l("Issued on"), validators=[Required()], render_kw={"type": "date"},
                            description=_l("As written on the document, e.g. 2026-03-31."))
    expires_on = StringField(_l("Expires on"), render_kw={"type": "date"}, description=_l(
        "Leave empty if the document does not expire. It stays valid up to and including this day."))
    file = FileField(_l("File"), validators=[Required()], description=_l(
        "A PDF, PNG or JPEG file (a scan or a photo of the document)."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = select_choices([("", _l("Choose…")), *DOCUMENT_KIND_LABELS.items()])


class RefusalForm(FlaskForm):
    reason = TextAreaField(_l("Why it is refused"), validators=[Required()], render_kw={"rows": 4}, description=_l(
        "The organisation's owners read this: say what is wrong and what to upload instead."))
