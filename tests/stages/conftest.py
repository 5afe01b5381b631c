"""Two-stage calls under test: a pair of calls of one programme with a concept note under review."""

from datetime import timedelta

import pytest
from cade.applications.models import Answer
from cade.core.db import utcnow
from cade.extensions import db as _db
from tests.factories import (
    ApplicationFactory,
    BudgetLineFactory,
    CallFactory,
    MembershipFactory,
    OrganisationFactory,
    ProgrammeFactory,
    QuestionFactory,
    RubricCriterionFactory,
    UserFactory,
    reviewed_application,
)


class TwoStages:
    """A concept-note call (closed, in review) and its full-proposal call (open), margin 10 %, in USD."""

    def __init__(self, admin):
        programme = ProgrammeFactory(name="Community Network Grants", currency="USD")
        self.concept = CallFactory(programme=programme, title="Concept notes 2026", reference_prefix="CN-CONCEPT",
                                   closed=True, reviews_required=1, blind_review=False)
        self.full = CallFactory(programme=programme, title="Full proposals 2026", reference_prefix="CN-FULL",
                                reviews_required=1, concept_call_id=self.concept.id, concept_margin_percent=10)
        for call in (self.concept, self.full):
            RubricCriterionFactory(call=call, label="Relevance")
        self.plan = QuestionFactory(call=self.concept, label="Describe the network you will build.",
                                    kind="long_text")
        self.stage = QuestionFactory(call=self.concept, label="What stage is the network at?", kind="choice",
                                     choices=["Planning", "Pilot"])
        self.letter = QuestionFactory(call=self.concept, label="Letter of support", kind="file", required=False)
        self.only_concept = QuestionFactory(call=self.concept, label="Asked only of concept notes",
                                            kind="short_text", required=False)
        QuestionFactory(call=self.full, label="Describe the network you will build.", kind="long_text")
        QuestionFactory(call=self.full, label="What stage is the network at?", kind="choice",
                        choices=["Planning", "Pilot", "Operating"])
        QuestionFactory(call=self.full, label="Letter of support", kind="file", required=False)
        QuestionFactory(call=self.full, label="How will the network pay for itself?", kind="long_text")
        self.admin = admin
        _db.session.commit()

    def concept_note(self, name: str, amount_minor: int = 20_000_00, members: int = 1, **kwargs):
        """A concept note under review, with one submitted review, one budget line and answers; its owner first."""
        organisation = OrganisationFactory(name=name)
        owner = UserFactory(name=f"Owner of {name}")
        MembershipFactory(user=owner, organisation=organisation, role="owner")
        note = reviewed_application(self.concept, reviews=1, members=members - 1, organisation=organisation,
                                    created_by=owner, title=f"Concept: {name}", summary=f"Summary of {name}.",
                                    requested_amount_minor=amount_minor, **kwargs)
        BudgetLineFactory(application=note, category="equipment", description="Radios",
                          amount_minor=amount_minor)
        note.answers.append(Answer(question_id=self.plan.id, text=f"Mesh network of {name}."))
        note.answers.append(Answer(question_id=self.stage.id, text="Pilot"))
        note.answers.append(Answer(question_id=self.only_concept.id, text="Only here"))
        _db.session.commit()
        return note, owner


@pytest.fixture()
def stages(db, admin):
    return TwoStages(admin)


def opens_later(call, days: int = 5):
    """Move `call`'s opening into the future (it has not opened yet)."""
    call.opens_at = utcnow() + timedelta(days=days)
    _db.session.commit()


def draft_of(call, organisation):
    """A plain draft to `call` (not started from a concept note)."""
    return ApplicationFactory(call=call, organisation=organisation)
