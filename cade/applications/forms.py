"""Application forms: shape checks only (numbers, dates, lengths, choices).

Drafts may be incomplete, so no field is required here; completeness is the
submission service's job.
"""

import re

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import FieldList, Form, FormField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, NumberRange, Optional

from cade.applications.constants import BUDGET_CATEGORIES, MAX_BUDGET_LINES
from cade.applications.services import DraftInput
from cade.core.forms import LocalDecimalField, check_money_places, select_choices
from cade.core.money import from_minor
from cade.programmes.budgets import BudgetTemplate, budget_template
from cade.core.questionnaires import KINDS, kind_of
from cade.core.translations import localized

# The kinds an autosave sends (the applications views ask for these by name).
TEXT_KINDS = tuple(kind.value for kind in KINDS.values() if kind.is_text)


def _sent(field) -> bool:
    """Whether the browser sent this field at all (an empty value counts; a missing one does not)."""
    return bool(field.raw_data)


class BudgetLineForm(Form):
    category = SelectField(_l("Category"), validators=[Optional()],
                           choices=select_choices([("", _l("Choose…")), *BUDGET_CATEGORIES.items()]))
    description = StringField(_l("Description"), validators=[Optional(), Length(max=300)])
    amount = LocalDecimalField(_l("Amount"), places=None, validators=[Optional(), NumberRange(min=0)])

    def is_blank(self) -> bool:
        return not (self.category.data or (self.description.data or "").strip()
                    or self.amount.data is not None or (self.amount.raw_data or [""])[0].strip())


def _budget_line_form(budget: BudgetTemplate) -> type[BudgetLineForm]:
    """A budget line whose categories are the call's, grouped by heading; those it does not fund say so, and carry
    the sentence that refuses them (for the live checks, cade/static/budget-checks.js)."""
    choices = [SelectChoice("", _("Choose…"))]
    for heading in budget.headings:
        for option in heading.categories:
            label = _("%(category)s (not funded)", category=option.label) if option.ineligible else option.label
            refusal = {"data-refused": _("%(category)s is not an eligible cost in this call.",
                                         category=option.label)} if option.ineligible else {}
            choices.append(SelectChoice(option.code, label, render_kw=refusal, optgroup=heading.label))

    class CallBudgetLineForm(BudgetLineForm):
        category = SelectField(_l("Category"), validators=[Optional()], choices=choices)

    return CallBudgetLineForm


class RowList(FieldList):
    """A FieldList that reads only row numbers a browser would send (ASCII digits, short):
    WTForms' own reading calls int() on any Unicode digit or 5,000-digit key and fails."""

    _INDEX = re.compile(r"[0-9]{1,6}")

    def _extract_indices(self, prefix, formdata):
        offset = len(prefix) + 1
        for key in formdata:
            if key.startswith(prefix):
                index = key[offset:].split("-", 1)[0]
                if self._INDEX.fullmatch(index):
                    yield int(index)


class ApplicationForm(FlaskForm):
    title = StringField(_l("Title"), validators=[Optional(), Length(max=200)])
    summary = TextAreaField(_l("Summary"), validators=[Optional()],
                            description=_l("A few sentences: what you will do, where and for whom."))
    requested_amount = LocalDecimalField(_l("Amount requested"), places=None,
                                    validators=[Optional(), NumberRange(min=0)])
    # Shown only where the call asks for co-financing (cade/programmes/budgets.py).
    cofinancing = LocalDecimalField(_l("Co-financing: what you fund yourselves or from other sources"), places=None,
                                    validators=[Optional(), NumberRange(min=0)])
    # One more than allowed is read, so that the service can say what is wrong; the rest is dropped
    # before any work is done on it (no browser sends more: "Add a budget line" stops at the limit).
    budget_lines = RowList(FormField(BudgetLineForm), min_entries=1, max_entries=MAX_BUDGET_LINES + 1)
    attach_to = SelectField(_l("This file is for"), validators=[Optional()], choices=select_choices([("", "")]))
    file = FileField(_l("Add a file"), description=_l(
        "PDF, DOCX, XLSX, ODT, PNG or JPEG; at most 10 MB each, 25 MB in all."))

    currency = "USD"
    budget: BudgetTemplate | None = None  # the call's budget template
    questions: list = []
    lines_changed = False

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for field in [self.requested_amount, self.cofinancing] + [entry.form.amount for entry in self.budget_lines]:
            ok = check_money_places(field, self.currency) and ok
        return ok

    def question_fields(self):
        """(question, field or None) in the call's order; file questions have no field."""
        return [(q, getattr(self, q.field_name, None)) for q in self.questions]

    def add_line(self) -> bool:
        """Add an empty budget line; False (and an error on the list) once the limit is reached."""
        if len(self.budget_lines) >= MAX_BUDGET_LINES:
            self.budget_lines.errors = [_("Use at most %(n)d budget lines.", n=MAX_BUDGET_LINES)]
            return False
        self.budget_lines.append_entry()
        return True

    def remove_line(self, index: int) -> bool:
        """Drop the `index`th row as posted, the others keeping what was typed; False if there is no such row."""
        if not 0 <= index < len(self.budget_lines.entries):
            return False
        del self.budget_lines.entries[index]
        self.lines_changed = True  # saved even when no row is left to say that the budget was sent
        if not self.budget_lines.entries:
            self.budget_lines.append_entry()
        return True


def application_form(call, application=None, formdata=None, **kwargs) -> ApplicationForm:
    """The edit form for `call`'s questions; filled from `application` when no form was posted."""

    class CallApplicationForm(ApplicationForm):
        pass

    for question in call.questions:
        field = kind_of(question.kind).form_field(question)
        if field is not None:
            setattr(CallApplicationForm, question.field_name, field)
    budget = budget_template(call)
    if budget.headings:
        CallApplicationForm.budget_lines = RowList(FormField(_budget_line_form(budget)), min_entries=1,
                                                   max_entries=MAX_BUDGET_LINES + 1)
    data = None
    if application is not None and formdata is None:
        data = _data_from(application)
    if formdata is not None:
        kwargs["formdata"] = formdata
    form = CallApplicationForm(data=data, **kwargs)
    form.currency = call.currency
    form.budget = budget
    form.questions = list(call.questions)
    form.attach_to.choices = select_choices([("", _("General supporting document")), *(
        (q.id, localized(q, "label").text) for q in call.questions if kind_of(q.kind).stores is None)])
    return form


def _data_from(application) -> dict:
    currency = application.call.currency
    data = {
        "title": application.title,
        "summary": application.summary,
        "requested_amount": (from_minor(application.requested_amount_minor, currency)
                             if application.requested_amount_minor is not None else None),
        "cofinancing": (from_minor(application.cofinancing_minor, currency)
                        if application.cofinancing_minor is not None else None),
        "budget_lines": [
            {"category": line.category, "description": line.description,
             "amount": from_minor(line.amount_minor, currency)}
            for line in application.budget_lines
        ] or [{}],
    }
    questions = {question.id: question for question in application.call.questions}
    for answer in application.answers:
        question = questions.get(answer.question_id)
        if question is not None:
            data[question.field_name] = kind_of(question.kind).form_value(answer)
    return data


def draft_input(form: ApplicationForm, text_only: bool = False) -> DraftInput:
    """The validated form as a DraftInput; `text_only` keeps title, summary and text answers.

    Only the fields the browser sent go in: a field it did not send at all is
    left as it is (KEEP), so a partial post, such as an autosave of some
    fields, never wipes the others. Raises ValidationFailed as the command does.
    """
    data: dict = {"answers": {}}
    for question, field in form.question_fields():
        if field is None or (text_only and not kind_of(question.kind).is_text) or not _sent(field):
            continue
        data["answers"][question.id] = field.data
    for name in ("title", "summary") + (() if text_only else ("requested_amount", "cofinancing")):
        if _sent(form[name]):
            data[name] = form[name].data
    # A line typed without a category goes under "Other", where the call has no template of its own to choose from.
    fallback = None if form.budget and form.budget.headings else "other"
    if not text_only and (form.lines_changed or any(_sent(sub) for entry in form.budget_lines for sub in entry.form)):
        data["budget_lines"] = [
            {"category": entry.form.category.data or fallback, "description": entry.form.description.data,
             "amount": entry.form.amount.data}
            for entry in form.budget_lines if not entry.form.is_blank()
        ]
    return DraftInput.from_input(data, currency=form.currency, budget=form.budget)


class StartForm(FlaskForm):
    """Which of the user's organisations applies (checked against membership by the service)."""

    organisation_id = SelectField(_l("Apply on behalf of"), coerce=int, choices=[])
