"""The eligibility rule diligence owns: a call may ask for valid due-diligence documents at submission or at award.

The call's setting is two columns (`Call.required_documents`, the kinds, and
`Call.documents_required_at`, when), edited as one field of the admin's call
form: a small group of check boxes and radio buttons that works without
JavaScript. Registered from cade/wiring.py beside the other rules, so
applications checks it through the registry without importing diligence.

At submission the rule refuses (`check`), naming each missing kind and what
is wrong with it (none on file, waiting for verification, refused, expired),
with a link to the organisation's documents page. At award it only warns the
applicant (`notes`); the award itself is refused by the decide service, which
asks every registered rule with `at_award` for `check_award(call,
organisation)` (cade/awards/services/decisions.py, `award_refusals`). "Valid"
is cade/diligence/documents.py's definition, on the day of the check. The
kind "other" names no particular document, so a call cannot require it.
"""

from collections.abc import Mapping

from flask_babel import format_date
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from wtforms import Form, FormField, Label, RadioField

from cade.core.commands import Choice, Cleaner, Cleaning, Codes
from cade.core.db import utcnow
from cade.core.forms import MultiCheckboxField, select_choices
from cade.core.rules import Remedy, Rule
from cade.diligence.constants import DOCUMENT_KIND_LABELS, DocumentKind, DocumentStatus, DocumentsRequiredAt
from cade.diligence.documents import is_valid, latest_by_kind, missing_documents

REQUIRABLE_KINDS = tuple(kind for kind in DocumentKind if kind != DocumentKind.OTHER)


def kind_label(kind: str) -> str:
    try:
        return str(DOCUMENT_KIND_LABELS[DocumentKind(kind)])
    except ValueError:
        return kind


# ---------------------------------------------------------------- the call's setting


class DocumentsSetting(Cleaner):
    """{"kinds": [...], "at": "submission" | "award" | ""} → (kinds, when), or ([], None) for "not asked for".

    Errors are named by the sub-field they are about (`required_documents-kinds`,
    `required_documents-at`), so the call form shows each beside its boxes.
    """

    def clean(self, raw, cleaning):
        raw = raw if isinstance(raw, Mapping) else {}
        kinds_name, at_name = f"{cleaning.name}-kinds", f"{cleaning.name}-at"
        kinds = Codes(REQUIRABLE_KINDS).clean(raw.get("kinds"), Cleaning(kinds_name, cleaning.errors,
                                                                         cleaning.context, cleaning.values))
        at = Choice(DocumentsRequiredAt).clean(raw.get("at"), Cleaning(at_name, cleaning.errors, cleaning.context,
                                                                       cleaning.values))
        if kinds and not at and at_name not in cleaning.errors:
            cleaning.errors.add(at_name, _l("Choose when the documents are asked for."))
        if at and not kinds and kinds_name not in cleaning.errors:
            cleaning.errors.add(kinds_name, _l("Choose at least one document, or choose “Not asked for”."))
        return (kinds, at) if kinds and at else ([], None)


def _choices(field) -> str:
    return Markup("").join(Markup('<div class="choice">{} {}</div>').format(sub(), sub.label) for sub in field)


class GroupLabel(Label):
    """The group's name: not a <label> (nothing to focus), but the text the group is labelled by."""

    def __call__(self, text=None, **kwargs):
        return Markup('<span class="label-line" id="{}-label">{}</span>').format(self.field_id, text or self.text)


class DocumentsSettingWidget:
    """The two parts of the setting as two fieldsets in one group (the site's field macro adds label and errors)."""

    def __call__(self, field, **kwargs):
        attrs = {"id": field.id, "role": "group", "aria-labelledby": f"{field.id}-label", **kwargs}
        opening = Markup("<div {}>").format(Markup(" ").join(
            Markup('{}="{}"').format(name, escape(value)) for name, value in attrs.items() if value is not None))
        parts = [opening]
        for sub in field.form:
            parts.append(Markup('<fieldset id="{}"><legend>{}</legend>{}</fieldset>').format(
                sub.id, sub.label.text, _choices(sub)))
        parts.append(Markup("</div>"))
        return Markup("").join(parts)


class DocumentsSettingField(FormField):
    """The setting's sub-form; its errors read as one list, as every other field's do."""

    widget = DocumentsSettingWidget()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.label = GroupLabel(self.id, self.label.text)

    @property
    def errors(self):
        return [message for sub in self.form for message in sub.errors]


def _setting_form():
    class DocumentsSettingForm(Form):
        kinds = MultiCheckboxField(_l("Documents asked for"), choices=select_choices(
            (kind.value, DOCUMENT_KIND_LABELS[kind]) for kind in REQUIRABLE_KINDS))
        at = RadioField(_l("When"), default="", choices=select_choices([
            ("", _l("Not asked for")), (DocumentsRequiredAt.SUBMISSION, _l("At submission: no application without "
                                                                           "them")),
            (DocumentsRequiredAt.AWARD, _l("At award: no award without them"))]))

    return DocumentsSettingForm


# ---------------------------------------------------------------- the rule


def documents_page(organisation) -> Remedy:
    """Upload or replace documents (owners only: others are told whom to ask)."""
    return Remedy(_("Upload the missing documents on your organisation's documents page; the programme team "
                    "verifies them."), _("Open your organisation's documents"), "diligence.documents",
                  {"organisation_id": organisation.id}, profile=True)


class RequiredDocumentsRule(Rule):
    key = "required_documents"
    field_name = "required_documents"
    columns = ("required_documents", "documents_required_at")
    cleaner = DocumentsSetting()
    at_award = True  # awards asks `check_award` before an award (cade/awards/services/decisions.py)

    def form_field(self, currency):
        return DocumentsSettingField(_setting_form(), _l("Due-diligence documents"), description=_l(
            "Verified documents, valid on the day, that the organisation must have on file."))

    def form_value(self, call):
        return {"kinds": list(call.required_documents or []), "at": call.documents_required_at or ""}

    def settings(self, value):
        kinds, at = value if value else ([], None)
        return {"required_documents": list(kinds), "documents_required_at": at}

    def is_set(self, call) -> bool:
        return bool(call.required_documents) and call.documents_required_at in set(DocumentsRequiredAt)

    def _kinds(self, call) -> str:
        return ", ".join(kind_label(kind) for kind in call.required_documents or [])

    def sentence(self, call) -> str:
        if call.documents_required_at == DocumentsRequiredAt.AWARD:
            return _("Valid due-diligence documents on file before an award: %(kinds)s.", kinds=self._kinds(call))
        return _("Valid due-diligence documents on file when the application is submitted: %(kinds)s.",
                 kinds=self._kinds(call))

    def _missing(self, call, organisation, at: str) -> list[tuple[str, str]]:
        """(kind, what is wrong with it) for each kind the call asks for `at` that has no valid document today."""
        if not self.is_set(call) or call.documents_required_at != at:
            return []
        today = utcnow().date()
        missing = missing_documents(organisation, call.required_documents, today)
        latest = latest_by_kind(organisation.id, missing) if missing else {}
        return [(kind, _state(latest.get(kind), today)) for kind in missing]

    def check(self, call, organisation):
        return [_("%(kind)s: %(state)s This call asks for it, verified and valid, when you submit.",
                  kind=kind_label(kind), state=state)
                for kind, state in self._missing(call, organisation, DocumentsRequiredAt.SUBMISSION)]

    def notes(self, call, organisation):
        return [_("%(kind)s: %(state)s This call asks for it, verified and valid, before an award.",
                  kind=kind_label(kind), state=state)
                for kind, state in self._missing(call, organisation, DocumentsRequiredAt.AWARD)]

    def check_award(self, call, organisation) -> list[str]:
        """Why `organisation` may not be awarded in `call` today: each required kind missing, and why."""
        return [_("%(organisation)s cannot be awarded yet. %(kind)s: %(state)s This call asks for it, verified "
                  "and valid, before an award.", organisation=organisation.name, kind=kind_label(kind), state=state)
                for kind, state in self._missing(call, organisation, DocumentsRequiredAt.AWARD)]

    def remedies(self, call, organisation):
        if not (self.check(call, organisation) or self.notes(call, organisation)):
            return []
        return [documents_page(organisation)]


def _state(document, today) -> str:
    """What is wrong with the latest document of a kind that is not valid today, in one sentence."""
    if document is None:
        return _("none is on file.")
    if document.status == DocumentStatus.PENDING:
        return _("the one uploaded is waiting for verification by the programme team.")
    if document.status == DocumentStatus.REFUSED:
        return _("the one uploaded was refused; upload another.")
    if not is_valid(document, today) and document.expires_on is not None and document.expires_on < today:
        return _("the verified one expired on %(day)s.", day=format_date(document.expires_on, "long"))
    return _("none is valid today.")


def diligence_rules() -> list[Rule]:
    return [RequiredDocumentsRule()]
