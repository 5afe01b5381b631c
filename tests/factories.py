"""factory_boy factories with traits for the states tests need."""

from datetime import timedelta

import factory
from werkzeug.security import generate_password_hash

from cade.accounts.models import User, UserRole
from cade.applications.constants import ApplicationStatus
from cade.applications.models import Application, BudgetLine
from cade.awards.constants import DecisionOutcome, DecisionStatus
from cade.awards.models import Decision
from cade.awards.services.figures import keep_award_figures
from cade.core.countries import get_country
from cade.core.db import utcnow
from cade.extensions import db
from cade.organisations.models import Membership, Organisation
from cade.programmes.constants import CallStatus, ProgrammeKind, QuestionKind
from cade.programmes.models import Call, Programme, Question, RubricCriterion
from cade.reviews.constants import Recommendation, ReviewStatus
from cade.reviews.services.aggregation import keep_scores
from cade.reviews.models import (
    Assignment,
    CallReviewSettings,
    ConflictDeclaration,
    Review,
    ReviewerProfile,
    ReviewScore,
)

PASSWORD = "correct horse battery staple"
# Hashing at full strength for every factory user would dominate the suite's time.
_PASSWORD_HASH = generate_password_hash(PASSWORD, method="pbkdf2:sha256:1000")


class BaseFactory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = lambda: db.session  # noqa: E731
        sqlalchemy_session_persistence = "commit"


class UserFactory(BaseFactory):
    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"user{n}@example.org")
    name = factory.Faker("name")
    password_hash = _PASSWORD_HASH
    locale = "en"
    timezone = "UTC"
    verified_at = factory.LazyFunction(utcnow)

    class Params:
        unverified = factory.Trait(verified_at=None)

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        for role in extracted or []:
            self.roles.append(UserRole(role=role))
        if create and extracted:
            db.session.commit()


class OrganisationFactory(BaseFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Community Network {n}")
    acronym = None
    country = "KE"
    region_code = factory.LazyAttribute(lambda o: get_country(o.country).region_code)
    subregion_code = factory.LazyAttribute(lambda o: get_country(o.country).subregion_code)
    city = "Nairobi"
    organisation_type = "ngo"
    stakeholder_group = "civil_society"
    focus_areas = factory.LazyFunction(lambda: ["connectivity"])
    languages = factory.LazyFunction(lambda: ["en"])
    annual_budget_minor = 5_000_000
    annual_budget_currency = "USD"


class MembershipFactory(BaseFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = "owner"


class ProgrammeFactory(BaseFactory):
    class Meta:
        model = Programme

    name = "Community Network Grants"
    kind = ProgrammeKind.COMMUNITY_NETWORK
    funder_name = "CADE Foundation"
    funder_identifier = "XM-DAC-0000"
    currency = "USD"


class CallFactory(BaseFactory):
    class Meta:
        model = Call

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Community networks call {n}")
    reference_prefix = factory.Sequence(lambda n: f"CN{n}-2026")
    description = "Grants for community networks."
    status = CallStatus.PUBLISHED
    opens_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=10))
    closes_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=20))
    timezone = "Africa/Nairobi"
    budget_envelope_minor = 100_000_00
    min_award_minor = 5_000_00
    max_award_minor = 40_000_00
    reviews_required = 2

    class Params:
        closed = factory.Trait(
            opens_at=factory.LazyFunction(lambda: utcnow() - timedelta(days=40)),
            closes_at=factory.LazyFunction(lambda: utcnow() - timedelta(days=1)),
        )
        draft = factory.Trait(status=CallStatus.DRAFT)


class QuestionFactory(BaseFactory):
    """A question on a call's application form: `QuestionFactory(call=call)` adds it to the call's questionnaire."""

    class Meta:
        model = Question
        exclude = ("call",)

    call = factory.SubFactory(CallFactory)
    questionnaire = factory.SelfAttribute("call.questionnaire")
    position = factory.Sequence(int)
    kind = QuestionKind.LONG_TEXT
    label = factory.Sequence(lambda n: f"Question {n}")
    required = True
    word_limit = 300
    choices = factory.LazyFunction(list)


class RubricCriterionFactory(BaseFactory):
    class Meta:
        model = RubricCriterion

    call = factory.SubFactory(CallFactory)
    position = factory.Sequence(int)
    label = factory.Sequence(lambda n: f"Criterion {n}")
    weight = 1
    max_score = 5


class ApplicationFactory(BaseFactory):
    class Meta:
        model = Application

    call = factory.SubFactory(CallFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    status = ApplicationStatus.DRAFT
    title = "Solar-powered mesh network for three villages"
    summary = "We will connect three villages."
    requested_amount_minor = 20_000_00

    class Params:
        submitted = factory.Trait(
            status=ApplicationStatus.SUBMITTED,
            submitted_at=factory.LazyFunction(utcnow),
            reference=factory.LazyAttributeSequence(lambda a, n: f"{a.call.reference_prefix}-{n + 1:04d}"),
        )
        under_review = factory.Trait(submitted=True, status=ApplicationStatus.UNDER_REVIEW)
        withdrawn = factory.Trait(status=ApplicationStatus.WITHDRAWN)


class BudgetLineFactory(BaseFactory):
    class Meta:
        model = BudgetLine

    application = factory.SubFactory(ApplicationFactory)
    position = factory.Sequence(int)
    category = "equipment"
    description = "Routers and solar panels"
    amount_minor = 20_000_00


class ReviewerProfileFactory(BaseFactory):
    """A reviewer: the user gets the reviewer role and a profile."""

    class Meta:
        model = ReviewerProfile

    user = factory.SubFactory(UserFactory, roles=["reviewer"])
    expertise = factory.LazyFunction(lambda: ["connectivity"])
    languages = factory.LazyFunction(lambda: ["en"])
    regions = factory.LazyFunction(lambda: ["002"])
    max_load = 10


class CallReviewSettingsFactory(BaseFactory):
    class Meta:
        model = CallReviewSettings

    call = factory.SubFactory(CallFactory, closed=True)
    review_deadline_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=14))
    region_targets = factory.LazyFunction(dict)
    stakeholder_targets = factory.LazyFunction(dict)


class AssignmentFactory(BaseFactory):
    class Meta:
        model = Assignment

    application = factory.SubFactory(ApplicationFactory, under_review=True)
    call_id = factory.LazyAttribute(lambda a: a.application.call_id)
    reviewer = factory.LazyFunction(lambda: ReviewerProfileFactory().user)
    due_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=14))


class ConflictDeclarationFactory(BaseFactory):
    class Meta:
        model = ConflictDeclaration

    application_id = factory.LazyAttribute(lambda d: d.assignment.application_id)
    reviewer_id = factory.LazyAttribute(lambda d: d.assignment.reviewer_id)
    has_conflict = False
    reason = None

    class Params:
        assignment = factory.SubFactory(AssignmentFactory)

    @factory.post_generation
    def kept_scores(self, create, extracted, **kwargs):
        """A conflict can exclude a submitted review: keep the figures as declare_conflict does."""
        if create and self.has_conflict:
            _keep_scores_of(self.application.call_id, self.reviewer_id)


def _keep_scores_of(call_id: int, reviewer_id: int) -> None:
    """Bring the kept review figures up to date, as the services do when a review is saved or excluded."""
    keep_scores(call_id, reviewer_id)
    db.session.commit()


class ReviewFactory(BaseFactory):
    """A review; pass `scores={criterion: score}` to score criteria (traits: submitted)."""

    class Meta:
        model = Review

    assignment = factory.SubFactory(AssignmentFactory)
    call_id = factory.LazyAttribute(lambda r: r.assignment.call_id)
    application_id = factory.LazyAttribute(lambda r: r.assignment.application_id)
    reviewer_id = factory.LazyAttribute(lambda r: r.assignment.reviewer_id)
    status = ReviewStatus.DRAFT
    comment_to_applicant = "Clear plan; the budget for solar panels needs quotes."
    confidential_comment = "Strong team."

    class Params:
        submitted = factory.Trait(
            status=ReviewStatus.SUBMITTED,
            recommendation=Recommendation.FUND,
            submitted_at=factory.LazyFunction(utcnow),
        )

    @factory.post_generation
    def scores(self, create, extracted, **kwargs):
        for criterion, score in (extracted or {}).items():
            self.scores.append(ReviewScore(criterion_id=criterion.id, score=score))
        if create and extracted:
            db.session.commit()
        if create and self.status == ReviewStatus.SUBMITTED:  # as save_review keeps them on submission
            _keep_scores_of(self.call_id, self.reviewer_id)


class ReviewScoreFactory(BaseFactory):
    class Meta:
        model = ReviewScore

    review = factory.SubFactory(ReviewFactory)
    criterion = factory.SubFactory(RubricCriterionFactory)
    score = 3


class DecisionFactory(BaseFactory):
    class Meta:
        model = Decision

    application = factory.SubFactory(ApplicationFactory, under_review=True)
    call_id = factory.LazyAttribute(lambda d: d.application.call_id)
    outcome = DecisionOutcome.AWARD
    amount_minor = 10_000_00
    currency = factory.LazyAttribute(lambda d: d.application.call.programme.currency)
    feedback = "A strong proposal; please send quarterly updates."
    rationale = "Ranked in the top third; fits the region target."
    # A decision given a release time was released (DECISION_MACHINE); pass status= for any other.
    status = factory.LazyAttribute(
        lambda d: DecisionStatus.RELEASED if getattr(d, "released_at", None) else DecisionStatus.DECIDED)
    # A released decision keeps the text it was sent with (release_decisions): here its feedback, no comment.
    released_feedback = factory.LazyAttribute(lambda d: d.feedback if d.status != DecisionStatus.DECIDED else None)
    released_comments = factory.LazyAttribute(lambda d: [] if d.status != DecisionStatus.DECIDED else None)

    @factory.post_generation
    def kept_figures(self, create, extracted, **kwargs):
        """Keep the call's award figures, as the services that decide, release and answer offers do."""
        if create:
            keep_award_figures(self.call_id)
            db.session.commit()


def reviewed_application(call, reviews: int = 2, *, scores=None, members: int = 0, **kwargs) -> Application:
    """An application to `call` under review, with `reviews` submitted reviews and `members` members.

    Each review is by its own reviewer, "Reviewer <application id>-<n>", with the comment for the
    applicant "Comment <n> on <title>". `scores` (one number per review: as many reviews as scores)
    score the call's first criterion. The members ("Member <n> of <organisation>") join the
    applicant organisation with the role "member". Other keyword arguments go to ApplicationFactory
    (status=, title=, organisation=…).
    """
    application = ApplicationFactory(call=call, under_review=True, **kwargs)
    if scores is not None:
        reviews = len(scores)
    for index in range(reviews):
        reviewer = ReviewerProfileFactory(user__name=f"Reviewer {application.id}-{index}").user
        ReviewFactory(assignment=AssignmentFactory(application=application, reviewer=reviewer), submitted=True,
                      scores={call.criteria[0]: scores[index]} if scores is not None else None,
                      comment_to_applicant=f"Comment {index} on {application.title}")
    for index in range(members):
        # A name of our own, not Faker's: a "Ramirez" must not look like a reviewer's name leaking into a mail.
        MembershipFactory(organisation=application.organisation, role="member",
                          user__name=f"Member {index + 1} of {application.organisation.name}")
    return application


# --- training (cade/training) ----------------------------------------------------------------------------------

from cade.training.constants import CourseFormat, EnrolmentStatus  # noqa: E402
from cade.training.models import Course, Enrolment, Session  # noqa: E402


class CourseFactory(BaseFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Digital security basics {n}")
    description = "Protect your organisation's accounts and devices."
    format = CourseFormat.WORKSHOP
    language = "en"
    dimensions = factory.LazyFunction(lambda: ["digital_security"])
    published = True

    class Params:
        draft = factory.Trait(published=False)


class SessionFactory(BaseFactory):
    """A session in 10 days (two hours, Nairobi time), enrolment open now, 10 seats, a place and a link."""

    class Meta:
        model = Session

    course = factory.SubFactory(CourseFactory)
    starts_at = factory.LazyFunction(lambda: utcnow() + timedelta(days=10))
    ends_at = factory.LazyAttribute(lambda s: s.starts_at + timedelta(hours=2))
    timezone = "Africa/Nairobi"
    place = "Nairobi Garage, Ngong Road"
    online_url = "https://meet.example.org/cade-training"
    seats = 10
    enrolment_opens_at = factory.LazyFunction(lambda: utcnow() - timedelta(days=5))
    enrolment_closes_at = factory.LazyAttribute(lambda s: s.starts_at - timedelta(days=1))


def member(**kwargs):
    """A user who belongs to one organisation (keyword arguments go to UserFactory)."""
    return MembershipFactory(user=UserFactory(**kwargs)).user


class EnrolmentFactory(BaseFactory):
    class Meta:
        model = Enrolment

    session = factory.SubFactory(SessionFactory)
    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    status = EnrolmentStatus.CONFIRMED
    waitlist_position = None
    status_changed_at = factory.LazyFunction(utcnow)


from cade.training.models import Certificate  # noqa: E402


class CertificateFactory(BaseFactory):
    class Meta:
        model = Certificate

    user = factory.SubFactory(UserFactory)
    course = factory.SubFactory(CourseFactory)
    code = factory.Sequence(lambda n: f"TEST{n:08d}")
    issued_at = factory.LazyFunction(utcnow)


from cade.training.assessments.models import AssessmentScore, CapacityAssessment  # noqa: E402
from cade.training.constants import CapacityDimension  # noqa: E402


class CapacityAssessmentFactory(BaseFactory):
    """A submitted baseline; `scores` sets every dimension at once ({dimension: score}, or one int for all)."""

    class Meta:
        model = CapacityAssessment

    organisation = factory.SubFactory(OrganisationFactory)
    kind = "baseline"
    status = "submitted"
    submitted_at = factory.LazyFunction(utcnow)

    class Params:
        follow_up = factory.Trait(kind="follow_up")
        draft = factory.Trait(status="draft", submitted_at=None)

    @factory.post_generation
    def scores(self, create, extracted, **kwargs):
        if extracted is None:
            return
        for dimension in CapacityDimension:
            score = extracted if isinstance(extracted, int) else extracted.get(dimension)
            self.scores.append(AssessmentScore(dimension=dimension, score=score, justification="Because."))
        if create:
            db.session.commit()


from cade.training.resources import Resource  # noqa: E402


def _store_pdf():
    import io

    from cade.core.storage import get_storage
    from tests.applications.files import make_pdf

    return get_storage().put(io.BytesIO(make_pdf()))


class ResourceFactory(BaseFactory):
    """A public link in the library (no stored file); `file=True` stores a small real PDF."""

    class Meta:
        model = Resource
        exclude = ("stored_file",)

    title = factory.Sequence(lambda n: f"Foundational paper {n}")
    description = "Why capacity matters."
    language = "en"
    kind = "link"
    url = "https://papers.example.org/capacity.pdf"
    stored_file = None
    stored_name = factory.LazyAttribute(lambda o: o.stored_file.name if o.stored_file else None)
    sha256 = factory.LazyAttribute(lambda o: o.stored_file.sha256 if o.stored_file else None)
    size = factory.LazyAttribute(lambda o: o.stored_file.size if o.stored_file else 2 * 1024 * 1024)
    original_name = factory.LazyAttribute(lambda o: "paper.pdf" if o.stored_file else None)
    content_type = factory.LazyAttribute(lambda o: "application/pdf" if o.stored_file else None)
    in_library = True
    public = True

    class Params:
        file = factory.Trait(kind="file", url=None, stored_file=factory.LazyFunction(_store_pdf))
