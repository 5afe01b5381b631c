"""Imports every model module, so SQLAlchemy and Alembic see the whole schema."""

from cade.accounts.models import ApiToken, RecoveryCode, RememberedDevice, User, UserRole  # noqa: F401
from cade.applications.models import (  # noqa: F401
    Answer, Application, ApplicationFocusArea, AssistedEntry, Attachment, BudgetLine,
)
from cade.core.audit import AuditEvent  # noqa: F401
from cade.core.runs.models import Run  # noqa: F401
from cade.core.rates import ExchangeRate  # noqa: F401
from cade.notifications.models import Notification  # noqa: F401
from cade.organisations.models import Invitation, Membership, Organisation  # noqa: F401
from cade.programmes.models import (  # noqa: F401
    BudgetCategory, BudgetHeading, Call, Programme, Question, RubricCriterion,
)
from cade.conversations.models import ClarificationRequest, Message, MessageAttachment, MessageThread  # noqa: F401
from cade.enquiries.models import CallNotice, CallQuestion  # noqa: F401
from cade.awards.models import Decision  # noqa: F401
from cade.diligence.models import Document, PayeeAccount, Screening  # noqa: F401
from cade.grants.models import (  # noqa: F401
    AgreementVersion, GrantAmendment, GrantBudgetLine,
    Grant, GrantReport, Indicator, IndicatorTarget, IndicatorValue, ReportAnswer, ReportAttachment, ReportTemplate,
    SpendLine, Tranche, TrancheTemplate,
)
from cade.reports.models import OpenDataDocument, RepresentationTarget  # noqa: F401
from cade.travel.models import (  # noqa: F401
    Claim, ClaimLine, ClaimReceipt, CostCap, PerDiemRate, PostTripAnswer, PostTripReport, TravelEvent, TravelSettings,
    Trip, TripCost, VisaLetter,
)
from cade.training.models import Course, Enrolment, Session, session_trainers  # noqa: F401
from cade.training.assessments import AssessmentScore, CapacityAssessment  # noqa: F401
from cade.training.resources import Resource  # noqa: F401
from cade.reviews.models import (  # noqa: F401
    Assignment,
    CallReviewSettings,
    ConflictDeclaration,
    Review,
    ReviewerInvitation,
    ReviewerProfile,
    ReviewScore,
)
