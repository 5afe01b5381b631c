"""A call's report templates: the schedule, their questions (the same services as a call's application form), pages."""

import re

import pytest
from sqlalchemy import func, select

from cade.core.audit import AuditEvent
from cade.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationFailed
from cade.core.questionnaires import Question, Questionnaire, QuestionnairePurpose
from cade.extensions import db as _db
from cade.grants import report_templates as service
from cade.grants.constants import ReportKind, ReportStatus
from cade.grants.models import ReportTemplate
from cade.grants.report_templates import ReportPlan, ReportScheduleInput
from cade.grants.tranches import set_schedule
from cade.programmes.services.questions import (QuestionInput, add_question, add_questionnaire_question,
                                                call_of_question, delete_question, move_question,
                                                owner_of_questionnaire, update_question)
from tests.factories import CallFactory, MembershipFactory, QuestionFactory
from tests.grants.report_template_helpers import grant_and_call, report_using

INTERIM_TRANCHE = [{"share": "50", "condition": "on_signature", "days": "0"},
                   {"share": "50", "condition": "interim_report_approved", "days": "200"}]


def schedule(interim=True, interim_days="90", final_days="300") -> ReportScheduleInput:
    return ReportScheduleInput.from_input({"interim": interim, "interim_days": interim_days,
                                           "final_days": final_days})


def question(label="What changed for the people you serve?", kind="long_text", **data) -> QuestionInput:
    return QuestionInput.from_input({"kind": kind, "label": label, **data})


def errors_of(excinfo) -> dict:
    return {name: [str(m) for m in messages] for name, messages in excinfo.value.errors.items()}


def reload(template_id):
    _db.session.expire_all()
    return _db.session.get(ReportTemplate, template_id)


# ---------------------------------------------------------------- the schedule


def test_a_call_without_templates_owes_the_default_reports(db):
    call = CallFactory()
    assert service.templates_of(call.id) == {}
    assert service.report_plans(call.id) == [ReportPlan(ReportKind.FINAL, 365, None)]

    set_schedule(None, call.id, INTERIM_TRANCHE)  # a tranche waits for the interim report: it is owed too
    assert service.report_plans(call.id) == [ReportPlan(ReportKind.INTERIM, 180, None),
                                             ReportPlan(ReportKind.FINAL, 365, None)]


def test_setting_the_schedule_creates_both_templates_with_report_questionnaires_audited(db, admin):
    call = CallFactory()

    templates = service.set_report_schedule(admin, call.id, schedule())
    db.session.commit()

    assert {kind: t.due_after_days for kind, t in service.templates_of(call.id).items()} == {"interim": 90,
                                                                                            "final": 300}
    for template in templates.values():
        assert template.questionnaire.purpose == QuestionnairePurpose.GRANT_REPORT
    assert service.report_plans(call.id) == [
        ReportPlan(ReportKind.INTERIM, 90, templates["interim"].questionnaire_id),
        ReportPlan(ReportKind.FINAL, 300, templates["final"].questionnaire_id)]
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.verb == "call.reports_set"))
    assert event.object_id == call.id and event.actor_id == admin.id
    assert event.before == {"reports": None} and event.after == {"reports": {"final": 300, "interim": 90}}


def test_changing_the_days_keeps_the_templates_and_their_questions(db, admin):
    call = CallFactory()
    first = service.set_report_schedule(admin, call.id, schedule())
    add_questionnaire_question(admin, first["final"].questionnaire_id, question())

    again = service.set_report_schedule(admin, call.id, schedule(interim_days="120", final_days="400"))
    db.session.commit()

    assert {kind: t.id for kind, t in again.items()} == {kind: t.id for kind, t in first.items()}
    assert reload(first["final"].id).due_after_days == 400 and reload(first["interim"].id).due_after_days == 120
    assert [q.label for q in reload(first["final"].id).questionnaire.questions] == [
        "What changed for the people you serve?"]


def test_dropping_an_empty_interim_report_removes_its_template_and_questionnaire(db, admin):
    call = CallFactory()
    interim = service.set_report_schedule(admin, call.id, schedule())["interim"]
    questionnaire_id = interim.questionnaire_id

    service.set_report_schedule(admin, call.id, schedule(interim=False, interim_days=""))
    db.session.commit()

    assert set(service.templates_of(call.id)) == {"final"}
    assert db.session.get(Questionnaire, questionnaire_id) is None


def test_an_interim_report_with_questions_is_not_dropped_silently(db, admin):
    call = CallFactory()
    interim = service.set_report_schedule(admin, call.id, schedule())["interim"]
    add_questionnaire_question(admin, interim.questionnaire_id, question())
    add_questionnaire_question(admin, interim.questionnaire_id, question("Who took part?", kind="short_text"))
    db.session.commit()

    with pytest.raises(ValidationFailed) as refused:
        service.set_report_schedule(admin, call.id, schedule(interim=False))
    assert errors_of(refused) == {"interim": [
        "The interim report still asks 2 questions. Delete them first if the call should ask no interim report."]}
    db.session.rollback()
    assert set(service.templates_of(call.id)) == {"interim", "final"}


def test_the_interim_report_stays_while_a_tranche_waits_for_it(db, admin):
    call = CallFactory()
    set_schedule(None, call.id, INTERIM_TRANCHE)

    with pytest.raises(ValidationFailed) as refused:
        service.set_report_schedule(admin, call.id, schedule(interim=False))
    assert "interim" in errors_of(refused) and "tranche" in errors_of(refused)["interim"][0]
    assert service.schedule_as_input(call.id) == ReportScheduleInput(interim=True, interim_days=180,
                                                                       final_days=365)


@pytest.mark.parametrize(("data", "expected"), [
    ({"interim": "y", "interim_days": "200", "final_days": "200"},
     {"final_days": ["The final report must be due after the interim report (more than 200 days after "
                     "acceptance)."]}),
    ({"interim": "y", "interim_days": "-1", "final_days": "3651"},
     {"interim_days": ["Enter a whole number of days from 0 to 3650."],
      "final_days": ["Enter a whole number of days from 0 to 3650."]}),
    ({"interim": "y", "interim_days": "", "final_days": ""},
     {"interim_days": ["Enter a whole number of days from 0 to 3650."],
      "final_days": ["Enter a whole number of days from 0 to 3650."]}),
    ({"interim": "y", "interim_days": "ninety", "final_days": "1.5"},
     {"interim_days": ["Enter a whole number of days from 0 to 3650."],
      "final_days": ["Enter a whole number of days from 0 to 3650."]}),
])
def test_bad_days_are_named(data, expected):
    with pytest.raises(ValidationFailed) as refused:
        ReportScheduleInput.from_input(data)
    assert errors_of(refused) == expected


def test_the_interim_days_are_not_judged_when_no_interim_report_is_asked():
    command = ReportScheduleInput.from_input({"interim_days": "ninety", "final_days": "0"})
    assert command == ReportScheduleInput(interim=False, interim_days=None, final_days=0)


def test_only_an_admin_sets_the_schedule_of_a_call_that_exists(db, admin):
    call = CallFactory()
    member = MembershipFactory().user
    with pytest.raises(PermissionDenied):
        service.set_report_schedule(member, call.id, schedule())
    with pytest.raises(PermissionDenied):
        service.add_report_question(member, call.id, "final", question())
    with pytest.raises(NotFound):
        service.set_report_schedule(admin, call.id + 1000, schedule())
    with pytest.raises(NotFound):
        service.add_report_question(admin, call.id, "midterm", question())
    assert db.session.scalar(select(func.count()).select_from(ReportTemplate)) == 0


# ---------------------------------------------------------------- questions


def test_a_question_for_the_final_report_creates_its_template_with_the_default_days(db, admin):
    call = CallFactory()

    added = service.add_report_question(admin, call.id, "final", question())
    db.session.commit()

    final = service.templates_of(call.id)["final"]
    assert final.due_after_days == 365 and added.questionnaire_id == final.questionnaire_id
    assert call_of_question(added) == call
    owner = owner_of_questionnaire(final.questionnaire_id)
    assert (owner.purpose, owner.anchor) == (QuestionnairePurpose.GRANT_REPORT, "final-questions")
    assert db.session.scalar(select(func.count()).select_from(AuditEvent)
                             .where(AuditEvent.verb == "question.added")) == 1


def test_a_question_for_an_interim_report_the_call_does_not_ask_is_refused(db, admin):
    call = CallFactory()
    with pytest.raises(InvalidTransition, match="asks no interim report"):
        service.add_report_question(admin, call.id, "interim", question())


def test_the_same_services_edit_move_and_delete_report_questions(db, admin):
    call = CallFactory()
    first = service.add_report_question(admin, call.id, "final", question("Narrative of the year"))
    second = service.add_report_question(admin, call.id, "final", question("Setting", kind="choice",
                                                                              choices="Rural\nUrban"))
    update_question(admin, first.id, question("Story of the year", kind="short_text"))
    move_question(admin, second.id, "up")
    db.session.commit()
    final = service.templates_of(call.id)["final"]
    assert [(q.label, q.kind, q.position) for q in final.questionnaire.questions] == [
        ("Setting", "choice", 0), ("Story of the year", "short_text", 1)]

    delete_question(admin, second.id)
    db.session.commit()
    assert [(q.label, q.position) for q in reload(final.id).questionnaire.questions] == [("Story of the year", 0)]
    verbs = db.session.scalars(select(AuditEvent.verb).order_by(AuditEvent.id)).all()
    assert verbs[-4:] == ["question.added", "question.updated", "question.moved", "question.deleted"]


def test_the_generalised_services_still_serve_a_calls_application_questions(db, admin):
    call = CallFactory()
    existing = QuestionFactory(call=call, label="Describe your community")

    by_call = add_question(admin, call.id, question("Budget justification"))
    by_questionnaire = add_questionnaire_question(admin, call.questionnaire_id, question("Partners"))
    db.session.commit()

    assert [q.label for q in call.questionnaire.questions] == ["Describe your community", "Budget justification",
                                                               "Partners"]
    # (The factory numbers positions from a sequence shared by the whole run: compare with the first.)
    assert (by_call.position, by_questionnaire.position) == (existing.position + 1, existing.position + 2)
    assert call_of_question(existing) == call and call_of_question(by_questionnaire) == call
    owner = owner_of_questionnaire(call.questionnaire_id)
    assert (owner.purpose, owner.anchor) == (QuestionnairePurpose.CALL_APPLICATION, "questions")


def test_a_questionnaire_no_call_owns_is_not_found(db, admin):
    stray = Questionnaire(purpose=QuestionnairePurpose.GRANT_REPORT)
    db.session.add(stray)
    db.session.flush()
    with pytest.raises(NotFound):
        add_questionnaire_question(admin, stray.id, question())
    with pytest.raises(NotFound):
        add_questionnaire_question(admin, stray.id + 1000, question())


def test_a_draft_report_fixes_kinds_and_keeps_its_questions(db, admin):
    grant, call = grant_and_call()
    asked = service.add_report_question(admin, call.id, "final", question())
    final = service.templates_of(call.id)["final"]
    report_using(grant, final, ReportStatus.DRAFT)

    with pytest.raises(ValidationFailed) as refused:
        update_question(admin, asked.id, question(kind="short_text"))
    assert errors_of(refused) == {"kind": [
        "The kind of question cannot change once grants of this call have this report."]}
    db.session.rollback()
    with pytest.raises(InvalidTransition, match="cannot be deleted"):
        delete_question(admin, asked.id)
    db.session.rollback()

    update_question(admin, asked.id, question("What changed, in your words?"))  # a clearer label is fine
    service.add_report_question(admin, call.id, "final", question("Who took part?"))
    db.session.commit()
    assert [q.label for q in reload(final.id).questionnaire.questions] == ["What changed, in your words?",
                                                                           "Who took part?"]


@pytest.mark.parametrize("status", [ReportStatus.SUBMITTED, ReportStatus.CHANGES_REQUESTED, ReportStatus.APPROVED])
def test_a_submitted_report_freezes_the_questions_of_its_template(db, admin, status):
    grant, call = grant_and_call()
    asked = service.add_report_question(admin, call.id, "final", question())
    other = service.add_report_question(admin, call.id, "final", question("Who took part?"))
    final = service.templates_of(call.id)["final"]
    report_using(grant, final, status)

    attempts = [lambda: service.add_report_question(admin, call.id, "final", question("One more")),
                lambda: update_question(admin, asked.id, question("A new label")),
                lambda: delete_question(admin, asked.id),
                lambda: move_question(admin, other.id, "up")]
    for attempt in attempts:
        with pytest.raises(InvalidTransition, match="already submitted a report answering them"):
            attempt()
        db.session.rollback()
    assert [q.label for q in reload(final.id).questionnaire.questions] == [
        "What changed for the people you serve?", "Who took part?"]


def test_a_report_of_another_call_freezes_nothing_here(db, admin):
    grant, call = grant_and_call()
    service.add_report_question(admin, call.id, "final", question())
    report_using(grant, service.templates_of(call.id)["final"], ReportStatus.SUBMITTED)
    elsewhere = CallFactory()

    service.add_report_question(admin, elsewhere.id, "final", question())
    db.session.commit()
    assert len(service.templates_of(elsewhere.id)["final"].questionnaire.questions) == 1


# ---------------------------------------------------------------- pages


def page_of(response) -> str:
    return response.get_data(as_text=True)


def test_only_admins_reach_the_report_pages(db, client, login):
    call = CallFactory()
    asked = QuestionFactory(call=call)
    urls = [("get", f"/admin/calls/{call.id}/reports"), ("post", f"/admin/calls/{call.id}/reports"),
            ("post", f"/admin/calls/{call.id}/reports/final/questions")]
    for method, url in urls:
        assert getattr(client, method)(url).status_code == 302  # to sign in
    login(MembershipFactory().user)  # a member of an organisation, not an admin
    for method, url in urls:
        assert getattr(client, method)(url, data={"schedule-final_days": "10"}).status_code == 404
    assert client.post(f"/admin/questions/{asked.id}/delete").status_code == 404
    assert db.session.scalar(select(func.count()).select_from(ReportTemplate)) == 0


def test_unknown_calls_kinds_and_questions_are_not_found(db, client, login, admin):
    call = CallFactory()
    login(admin)
    assert client.get(f"/admin/calls/{call.id + 1000}/reports").status_code == 404
    assert client.post(f"/admin/calls/{call.id}/reports/midterm/questions",
                       data={"midterm-question-kind": "long_text", "midterm-question-label": "X"}).status_code == 404
    assert client.get("/admin/questions/999999/edit").status_code == 404


def test_the_call_page_links_to_its_tranches_and_reports(db, client, login, admin):
    call = CallFactory()
    login(admin)
    page = page_of(client.get(f"/admin/calls/{call.id}"))
    assert f'href="/admin/calls/{call.id}/tranches"' in page and f'href="/admin/calls/{call.id}/reports"' in page


def test_an_admin_sets_the_schedule_without_javascript(db, client, login, admin):
    call = CallFactory()
    login(admin)
    page = page_of(client.get(f"/admin/calls/{call.id}/reports"))
    assert 'name="schedule-final_days"' in page and 'value="365"' in page  # the defaults, shown

    response = client.post(f"/admin/calls/{call.id}/reports", data={
        "schedule-interim": "y", "schedule-interim_days": "120", "schedule-final_days": "400"})
    assert response.status_code == 302
    page = page_of(client.get(response.headers["Location"]))
    assert "The report schedule is saved" in page
    assert 'value="120"' in page and 'value="400"' in page
    assert 'id="interim-questions"' in page and 'id="final-questions"' in page
    assert {k: t.due_after_days for k, t in service.templates_of(call.id).items()} == {"interim": 120, "final": 400}


def test_a_bad_schedule_is_refused_beside_its_field_and_kept(db, client, login, admin):
    call = CallFactory()
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/reports", data={
        "schedule-interim": "y", "schedule-interim_days": "300", "schedule-final_days": "250"})
    page = page_of(response)
    assert response.status_code == 200
    assert 'class="error-summary"' in page and 'href="#schedule-final_days"' in page
    assert "The final report must be due after the interim report" in page
    assert 'value="300"' in page and 'value="250"' in page

    page = page_of(client.post(f"/admin/calls/{call.id}/reports", data={"schedule-final_days": "forever"}))
    assert 'href="#schedule-final_days"' in page and 'value="forever"' in page
    assert service.templates_of(call.id) == {}


def test_a_refused_drop_of_the_interim_report_says_why_on_the_page(db, client, login, admin):
    call = CallFactory()
    interim = service.set_report_schedule(admin, call.id, schedule())["interim"]
    add_questionnaire_question(admin, interim.questionnaire_id, question())
    db.session.commit()
    login(admin)
    page = page_of(client.post(f"/admin/calls/{call.id}/reports", data={"schedule-final_days": "500"}))
    assert "The interim report still asks 1 questions" in page and 'href="#schedule-interim"' in page
    assert 'value="500"' in page
    assert reload(service.templates_of(call.id)["final"].id).due_after_days == 300


def test_report_questions_are_added_edited_moved_and_deleted_from_the_reports_page(db, client, login, admin):
    call = CallFactory()
    login(admin)
    add = f"/admin/calls/{call.id}/reports/final/questions"
    response = client.post(add, data={"final-question-kind": "long_text",
                                      "final-question-label": "What changed?", "final-question-required": "y"})
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/admin/calls/{call.id}/reports#final-questions")
    client.post(add, data={"final-question-kind": "short_text", "final-question-label": "Who took part?"})
    first, second = service.templates_of(call.id)["final"].questionnaire.questions
    page = page_of(client.get(f"/admin/calls/{call.id}/reports"))
    assert "What changed?" in page and f'action="/admin/questions/{second.id}/move"' in page

    edit = client.get(f"/admin/questions/{first.id}/edit")
    assert f'href="/admin/calls/{call.id}/reports#final-questions"' in page_of(edit)  # back to the reports page
    response = client.post(f"/admin/questions/{first.id}/edit", data={"kind": "long_text", "label": "What changed "
                                                                       "for the people you serve?"})
    assert response.headers["Location"].endswith(f"/admin/calls/{call.id}/reports#final-questions")
    response = client.post(f"/admin/questions/{second.id}/move", data={"direction": "up"})
    assert response.headers["Location"].endswith(f"/admin/calls/{call.id}/reports#question-{second.id}")
    response = client.post(f"/admin/questions/{first.id}/delete")
    assert response.headers["Location"].endswith(f"/admin/calls/{call.id}/reports#final-questions")
    _db.session.expire_all()
    assert [(q.label, q.position) for q in service.templates_of(call.id)["final"].questionnaire.questions] == [
        ("Who took part?", 0)]


def test_a_bad_report_question_is_refused_and_kept(db, client, login, admin):
    call = CallFactory()
    login(admin)
    response = client.post(f"/admin/calls/{call.id}/reports/final/questions", data={
        "final-question-kind": "choice", "final-question-label": "Where do you work?",
        "final-question-choices": "Only one"})
    page = page_of(response)
    assert response.status_code == 200
    assert "at least two different choices" in page and 'href="#final-question-choices"' in page
    assert 'value="Where do you work?"' in page and "Only one</textarea>" in page
    assert service.templates_of(call.id) == {}  # nothing saved, not even the template


def test_an_interim_question_without_an_interim_report_is_refused_on_the_page(db, client, login, admin):
    call = CallFactory()
    login(admin)
    page = page_of(client.post(f"/admin/calls/{call.id}/reports/interim/questions", data={
        "interim-question-kind": "long_text", "interim-question-label": "Halfway: what changed?"}))
    assert "This call asks no interim report" in page and 'value="Halfway: what changed?"' in page
    assert service.templates_of(call.id) == {}


def test_frozen_questions_are_shown_without_buttons_and_their_edit_is_refused_keeping_the_input(
        db, client, login, admin):
    grant, call = grant_and_call()
    asked = service.add_report_question(admin, call.id, "final", question())
    report_using(grant, service.templates_of(call.id)["final"], ReportStatus.SUBMITTED)
    login(admin)

    page = page_of(client.get(f"/admin/calls/{call.id}/reports"))
    assert "already submitted a report answering them" in page
    assert f"/admin/questions/{asked.id}/edit" not in page and "final-question-label" not in page

    response = client.post(f"/admin/questions/{asked.id}/edit", data={"kind": "long_text", "label": "Rewritten"})
    page = page_of(response)
    assert response.status_code == 200 and "already submitted a report answering them" in page
    assert 'value="Rewritten"' in page
    _db.session.expire_all()
    assert _db.session.get(Question, asked.id).label == "What changed for the people you serve?"
    response = client.post(f"/admin/questions/{asked.id}/delete")
    assert response.headers["Location"].endswith(f"/admin/calls/{call.id}/reports#final-questions")
    assert "already submitted" in page_of(client.get(response.headers["Location"]))
    assert _db.session.get(Question, asked.id) is not None


def input_tag(page: str, field_id: str) -> str:
    return re.search(rf'<input[^>]*id="{field_id}"[^>]*>', page).group(0)


def test_a_refused_question_leaves_the_other_forms_of_the_page_as_saved(db, client, login, admin):
    call = CallFactory()
    service.set_report_schedule(admin, call.id, schedule(interim_days="90", final_days="300"))
    db.session.commit()
    login(admin)
    page = page_of(client.post(f"/admin/calls/{call.id}/reports/final/questions", data={
        "final-question-kind": "long_text", "final-question-label": ""}))
    assert 'href="#final-question-label"' in page
    assert "checked" in input_tag(page, "schedule-interim")
    assert 'value="90"' in input_tag(page, "schedule-interim_days")
    assert 'value="300"' in input_tag(page, "schedule-final_days")
    assert "checked" in input_tag(page, "interim-question-required")  # a new question is required by default
