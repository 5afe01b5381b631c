"""Questionnaires: ordered questions that a call's application form (and later a grantee-report
template, a travel claim or a capacity assessment) asks, and what each kind of question does.

A `Questionnaire` knows nothing of its owner: the owner holds a
`questionnaire_id` (`calls.questionnaire_id` today), so a new owner adds a
column of its own and this package never imports a domain. What a kind of
question does (its form field, cleaning, emptiness, completeness, reading
view and export value) lives in one object per kind in `kinds.py`, and every
form, service and template asks that object.
"""

from cade.core.questionnaires.kinds import (
    KINDS,
    QUESTION_KIND_LABELS,
    SHORT_TEXT_MAX_CHARS,
    QuestionKind,
    answer_errors,
    clean_answer,
    kind_of,
    store_answers,
)
from cade.core.questionnaires.models import Question, Questionnaire, QuestionnairePurpose

__all__ = [
    "KINDS", "QUESTION_KIND_LABELS", "SHORT_TEXT_MAX_CHARS", "Question", "QuestionKind", "Questionnaire",
    "QuestionnairePurpose", "answer_errors", "clean_answer", "kind_of", "store_answers",
]
