"""Everything CADE Grants holds about one person, as one JSON document they may download.

Each section is one query (its children come with `selectinload`, one more
query per kind of child), so the export runs the same number of statements
whether the person wrote one application or a hundred. Secrets never leave:
no password hash, token digest, TOTP secret, recovery code or remembered
device, and no notification context (a reset link's token lives there). What
other people wrote about the person (reviews of their applications by
others, administrators' notes) belongs to those people's records and is left
out; the person's own applications carry what was sent to them.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import selectinload

from cade.accounts.models import ApiToken, User
from cade.applications.models import Answer, Application
from cade.conversations.models import ClarificationRequest, Message, MessageThread
from cade.core.audit import record_event
from cade.core.db import utcnow
from cade.enquiries.models import CallQuestion
from cade.extensions import db
from cade.notifications.models import Notification
from cade.organisations.models import Membership
from cade.privacy.constants import EXPORT_VERSION
from cade.programmes.models import Call
from cade.reviews.models import ConflictDeclaration, Review, ReviewScore
from cade.training.models import Certificate, Enrolment, Session
from cade.travel.models import Claim, Trip


def export_personal_data(user: User) -> dict:
    """The person's data as a JSON-serialisable dict (version, generated_at, one key per section); audited.

    Writes the audit event `user.data_exported` (flushes, never commits).
    """
    data = {
        "version": EXPORT_VERSION,
        "generated_at": _when(utcnow()),
        "profile": _profile(user),
        "memberships": _memberships(user),
        "applications": _applications(user),
        "reviews": _reviews(user),
        "conflict_declarations": _conflicts(user),
        "notifications": _notifications(user),
        "api_tokens": _api_tokens(user),
        "messages": _messages(user),
        "clarification_answers": _clarification_answers(user),
        "call_questions": _call_questions(user),
        "trips": _trips(user),
        "travel_claims": _claims(user),
        "training_enrolments": _enrolments(user),
        "certificates": _certificates(user),
    }
    record_event(user, "user.data_exported", user, after={"version": EXPORT_VERSION})
    return data


def _when(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def _number(value):
    return str(value) if isinstance(value, Decimal) else value


def _profile(user: User) -> dict:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "locale": user.locale,
        "timezone": user.timezone,
        "created_at": _when(user.created_at),
        "verified_at": _when(user.verified_at),
        "last_sign_in_at": _when(user.last_login_at),
        "roles": user.role_names,
        "two_factor_enabled": user.has_two_factor,
        "two_factor_enabled_at": _when(user.totp_enabled_at),
    }


def _memberships(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Membership).where(Membership.user_id == user.id)
        .options(selectinload(Membership.organisation)).order_by(Membership.id))
    return [{"organisation_id": m.organisation_id, "organisation": m.organisation.name, "role": m.role,
             "since": _when(m.created_at)} for m in rows]


def _applications(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Application).where(Application.created_by_id == user.id)
        .options(selectinload(Application.call).selectinload(Call.programme), selectinload(Application.organisation),
                 selectinload(Application.answers).selectinload(Answer.question),
                 selectinload(Application.budget_lines), selectinload(Application.attachments))
        .order_by(Application.id))
    return [{
        "id": a.id,
        "reference": a.reference,
        "call": a.call.title,
        "organisation": a.organisation.name,
        "status": a.status,
        "title": a.title,
        "summary": a.summary,
        "requested_amount": {"minor": a.requested_amount_minor, "currency": a.call.currency},
        "created_at": _when(a.created_at),
        "submitted_at": _when(a.submitted_at),
        "withdrawn_at": _when(a.withdrawn_at),
        "answers": [{"question": answer.question.label, "text": answer.text, "number": _number(answer.number),
                     "date": _when(answer.date_value)} for answer in a.answers],
        "budget_lines": [{"category": line.category, "description": line.description,
                          "amount_minor": line.amount_minor} for line in a.budget_lines],
        "attachments": [{"name": f.original_name, "content_type": f.content_type, "size": f.size,
                         "uploaded_at": _when(f.uploaded_at)} for f in a.attachments],
    } for a in rows]


def _reviews(user: User) -> list[dict]:
    # The application's reference and title only: on a blind call the reviewer never saw the organisation.
    rows = db.session.execute(
        select(Review, Application.reference, Application.title)
        .join(Application, Application.id == Review.application_id)
        .where(Review.reviewer_id == user.id)
        .options(selectinload(Review.scores).selectinload(ReviewScore.criterion))
        .order_by(Review.id))
    return [{
        "application_reference": reference,
        "application_title": title,
        "status": review.status,
        "recommendation": review.recommendation,
        "comment_to_applicant": review.comment_to_applicant,
        "confidential_comment": review.confidential_comment,
        "submitted_at": _when(review.submitted_at),
        "scores": [{"criterion": s.criterion.label, "score": s.score} for s in review.scores],
    } for review, reference, title in rows]


def _conflicts(user: User) -> list[dict]:
    rows = db.session.execute(
        select(ConflictDeclaration, Application.reference)
        .join(Application, Application.id == ConflictDeclaration.application_id)
        .where(ConflictDeclaration.reviewer_id == user.id).order_by(ConflictDeclaration.id))
    return [{"application_reference": reference, "has_conflict": d.has_conflict, "reason": d.reason,
             "declared_at": _when(d.declared_at)} for d, reference in rows]


def _notifications(user: User) -> dict:
    rows = list(db.session.scalars(
        select(Notification)
        .where(or_(Notification.recipient_id == user.id, Notification.recipient_email == user.email))
        .order_by(Notification.id)))
    return {
        "in_app": [{"kind": n.kind, "subject": n.subject, "created_at": _when(n.created_at),
                    "read_at": _when(n.read_at)} for n in rows if n.in_app and n.recipient_id == user.id],
        "emails": [{"kind": n.kind, "subject": n.subject, "to": n.recipient_email, "status": n.status,
                    "created_at": _when(n.created_at), "sent_at": _when(n.sent_at)} for n in rows],
    }


def _api_tokens(user: User) -> list[dict]:
    rows = db.session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id))
    return [{"name": t.name, "prefix": t.prefix, "scopes": list(t.scopes or []), "created_at": _when(t.created_at),
             "expires_at": _when(t.expires_at), "last_used_at": _when(t.last_used_at),
             "revoked_at": _when(t.revoked_at)} for t in rows]


def _messages(user: User) -> list[dict]:
    rows = db.session.execute(
        select(Message, MessageThread.topic, Application.reference)
        .join(MessageThread, MessageThread.id == Message.thread_id)
        .join(Application, Application.id == MessageThread.application_id)
        .where(Message.author_id == user.id)
        .options(selectinload(Message.attachments)).order_by(Message.id))
    return [{"application_reference": reference, "topic": topic, "side": m.side, "body": m.body,
             "created_at": _when(m.created_at), "attachments": [f.original_name for f in m.attachments]}
            for m, topic, reference in rows]


def _clarification_answers(user: User) -> list[dict]:
    rows = db.session.execute(
        select(ClarificationRequest, Application.reference)
        .join(Application, Application.id == ClarificationRequest.application_id)
        .where(ClarificationRequest.answered_by_id == user.id).order_by(ClarificationRequest.id))
    return [{"application_reference": reference, "response": c.response, "answered_at": _when(c.answered_at)}
            for c, reference in rows]


def _call_questions(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(CallQuestion).where(CallQuestion.asked_by_id == user.id)
        .options(selectinload(CallQuestion.call)).order_by(CallQuestion.id))
    return [{"call": q.call.title, "question": q.body, "asked_at": _when(q.asked_at), "status": q.status,
             "published_at": _when(q.published_at)} for q in rows]


def _trips(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Trip).where(Trip.traveller_user_id == user.id)
        .options(selectinload(Trip.application), selectinload(Trip.event)).order_by(Trip.id))
    return [{
        "application_reference": t.application.reference,
        "event": t.event.name if t.event else None,
        "traveller_name": t.traveller_name,
        "traveller_email": t.traveller_email,
        "role": t.role,
        "origin_city": t.origin_city,
        "origin_country": t.origin_country,
        "departs_on": _when(t.departs_on),
        "returns_on": _when(t.returns_on),
        "passport_country": t.passport_country,
        "gender": t.gender,
        "first_time": t.first_time,
    } for t in rows]


def _claims(user: User) -> list[dict]:
    rows = db.session.execute(
        select(Claim, Application.reference)
        .join(Trip, Trip.id == Claim.trip_id).join(Application, Application.id == Trip.application_id)
        .where(or_(Claim.submitted_by_id == user.id, Trip.traveller_user_id == user.id))
        .options(selectinload(Claim.lines)).order_by(Claim.id))
    return [{
        "application_reference": reference,
        "status": c.status,
        "submitted_at": _when(c.submitted_at),
        "paid_on": _when(c.paid_on),
        "lines": [{"category": line.category, "description": line.description, "paid_minor": line.paid_minor,
                   "paid_currency": line.paid_currency, "amount_minor": line.amount_minor,
                   "reimbursable_minor": line.reimbursable_minor} for line in c.lines],
    } for c, reference in rows]


def _enrolments(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Enrolment).where(Enrolment.user_id == user.id)
        .options(selectinload(Enrolment.session).selectinload(Session.course),
                 selectinload(Enrolment.organisation))
        .order_by(Enrolment.id))
    return [{"course": e.session.course.title, "session_starts_at": _when(e.session.starts_at),
             "organisation": e.organisation.name, "status": e.status, "enrolled_at": _when(e.created_at)}
            for e in rows]


def _certificates(user: User) -> list[dict]:
    rows = db.session.scalars(
        select(Certificate).where(Certificate.user_id == user.id)
        .options(selectinload(Certificate.course)).order_by(Certificate.id))
    return [{"course": c.course.title, "code": c.code, "organisation": c.organisation_name,
             "issued_at": _when(c.issued_at), "revoked_at": _when(c.revoked_at)} for c in rows]
