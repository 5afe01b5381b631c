"""Service errors placed on forms (cade.core.forms)."""

from wtforms import DecimalField, FieldList, Form, FormField, StringField

from cade.core.errors import DeadlinePassed, ValidationFailed
from cade.core.forms import place_errors


class LineForm(Form):
    amount = DecimalField()


class ExampleForm(Form):
    title = StringField()
    budget_amount = DecimalField()
    lines = FieldList(FormField(LineForm), min_entries=2)


def make_form():
    form = ExampleForm()
    form.form_errors = []
    return form


def test_field_errors_go_beside_their_fields_and_the_rest_above_the_form():
    form = make_form()
    unplaced = place_errors(form, ValidationFailed({
        "title": ["Give a title."],
        "lines-1-amount": ["Enter an amount."],
        "budget_minor": ["Too large."],
        "lines": ["Add at least one line."],
        "nowhere": ["Something else."],
    }), aliases={"budget_minor": "budget_amount"})
    assert form.title.errors == ["Give a title."]
    assert form.lines[1].amount.errors == ["Enter an amount."]
    assert not form.lines[0].amount.errors
    assert form.budget_amount.errors == ["Too large."]
    assert unplaced == {"lines": ["Add at least one line."], "nowhere": ["Something else."]}
    assert form.form_errors == ["Add at least one line.", "Something else."]


def test_a_single_message_goes_to_its_field_or_above_the_form(app):
    with app.test_request_context():
        form = make_form()
        place_errors(form, DeadlinePassed("Too late.", field="title"))
        place_errors(form, DeadlinePassed("Closed."))
        assert form.title.errors == ["Too late."]
        assert form.form_errors == ["Closed."]


def test_errors_can_be_returned_without_touching_the_form_top():
    form = make_form()
    unplaced = place_errors(form, {"q_7": ["Upload the file."]}, form_level=False)
    assert unplaced == {"q_7": ["Upload the file."]}
    assert form.form_errors == []


def test_a_local_decimal_field_is_a_text_input_with_a_decimal_keypad():
    # A browser's <input type="number"> would refuse "25 000,50" before the server could read it.
    from cade.core.forms import LocalDecimalField

    class AmountForm(Form):
        amount = LocalDecimalField()

    html = str(AmountForm().amount())
    assert 'type="text"' in html and 'inputmode="decimal"' in html
    assert 'inputmode="numeric"' in str(AmountForm().amount(inputmode="numeric"))
