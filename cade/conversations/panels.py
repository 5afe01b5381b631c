"""What the pages of other domains show of clarifications and threads (the partials in templates/conversations/).

The application page, the reviewer's page, the decision page and the grant page include a partial each and
ask one function here (registered as a Jinja global by cade/conversations/views.py): a fixed handful of
queries, and nothing at all for someone who may not see it.
"""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from cade.applications.models import Application
from cade.conversations.clarifications import open_clarification
from cade.conversations.constants import MessageSide, ThreadTopic
from cade.conversations.history import HistoryEntry, clarification_history
from cade.conversations.models import ClarificationRequest, Message
from cade.conversations.permissions import (
    can_request_clarification,
    can_see_clarifications,
    can_view_thread,
    reviewing_assignment,
)
from cade.conversations.threads import shared_messages, thread_summary
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.organisations.services import is_member


@dataclass(frozen=True)
class ClarificationPanel:
    application: Application
    history: list[HistoryEntry]
    open: ClarificationRequest | None
    staff: bool  # may ask, withdraw and move due dates
    member: bool  # answers
    can_ask: bool
    thread_count: int = 0
    thread_last: datetime | None = None
    shared: list[Message] = field(default_factory=list)
    blind: bool = False


def application_panel(viewer, application: Application) -> ClarificationPanel | None:
    """For the application's page (its members and the admins): requests, the open one, the thread's size."""
    if application is None or not can_see_clarifications(viewer, application):
        return None
    staff, member = is_admin(viewer), is_member(viewer, application.organisation_id)
    if not (staff or member):
        return None
    count, last = thread_summary(application.id) if can_view_thread(viewer, application) else (0, None)
    return ClarificationPanel(application=application, history=clarification_history(viewer, application),
                              open=open_clarification(application.id), staff=staff, member=member,
                              can_ask=staff, thread_count=count, thread_last=last)


def review_panel(viewer, assignment) -> ClarificationPanel | None:
    """For the reviewer's page: the requests, the messages shared with reviewers, and whether they may ask."""
    application = assignment.application if assignment is not None else None
    if application is None or reviewing_assignment(viewer, application) is None:
        return None
    return ClarificationPanel(application=application, history=clarification_history(viewer, application),
                              open=open_clarification(application.id), staff=False, member=False,
                              can_ask=can_request_clarification(viewer, application),
                              shared=shared_messages(application.id), blind=application.call.blind_review)


def author_label(message: Message, viewer, *, blind: bool = False, reviewer_asked: bool = False) -> str:
    """Who wrote `message`, as `viewer` may know it.

    Staff read every name. The organisation reads its own members' names and its programme's staff's, but a
    request a reviewer made reads as the programme's. Reviewers read shared messages as "the applicant" or
    "the programme" in a blind call.
    """
    name = message.author.name if message.author is not None else None
    if message.side == MessageSide.ORGANISATION:
        if blind and not is_admin(viewer):
            return _("The applicant")
        return name or _("The applicant")
    if (reviewer_asked or blind) and not is_admin(viewer):
        return _("The programme")
    return _("%(name)s, for the programme", name=name) if name else _("The programme")


def clarifications_of(messages) -> dict[int, ClarificationRequest]:
    """The requests `messages` ask or answer, by id (one query)."""
    ids = {message.clarification_id for message in messages if message.clarification_id}
    if not ids:
        return {}
    return {clarification.id: clarification for clarification in db.session.scalars(
        select(ClarificationRequest).where(ClarificationRequest.id.in_(ids)))}


def thread_topics(viewer, application: Application) -> list[str]:
    """The threads of the application `viewer` may open (the grant's once awarded)."""
    return [topic for topic in ThreadTopic if can_view_thread(viewer, application, topic)]
