"""The eligibility rule training owns: "a member of the applying organisation holds a certificate of course X".

Registered from cade/wiring.py beside programmes' rules, so applications checks
it through the registry without importing training. The call keeps the course
in `calls.required_course_id` (NULL: no such rule). A revoked certificate does
not count. The remedy names the course's next session and links its page.
"""

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import SelectField

from cade.core.commands import Cleaner, Id
from cade.core.db import utcnow
from cade.core.forms import select_choices
from cade.core.rules import Remedy, Rule
from cade.core.timeutil import format_in_zone
from cade.extensions import db
from cade.training.constants import SessionStatus
from cade.training.models import Certificate, Course, Session


class PublishedCourse(Cleaner):
    """The id of a published course, or None for "no course required"."""

    def clean(self, raw, cleaning):
        number = Id(required=False).clean(raw, cleaning)
        if number is None:
            return None
        course = db.session.get(Course, number)
        if course is None or not course.published:
            cleaning.refuse(_l("Choose a published course from the list."))
            return None
        return number


def _course_choices():
    courses = db.session.scalars(select(Course).where(Course.published.is_(True)).order_by(Course.title, Course.id))
    return select_choices([("", _("No course required"))] + [(c.id, c.title) for c in courses])


def next_session(course_id: int) -> Session | None:
    """The course's next scheduled session that has not started."""
    return db.session.scalar(select(Session).where(
        Session.course_id == course_id, Session.status == SessionStatus.SCHEDULED, Session.starts_at > utcnow())
        .order_by(Session.starts_at, Session.id).limit(1))


def member_holds_certificate(organisation, course_id: int) -> bool:
    from cade.organisations.models import Membership

    return db.session.scalar(select(Certificate.id).join(Membership, Membership.user_id == Certificate.user_id)
                             .where(Membership.organisation_id == organisation.id,
                                    Certificate.course_id == course_id, Certificate.revoked_at.is_(None))
                             .limit(1)) is not None


class TrainingCertificateRule(Rule):
    key = "training_certificate"
    field_name = "required_course_id"
    columns = ("required_course_id",)
    cleaner = PublishedCourse()

    def form_field(self, currency):
        return SelectField(_l("Required training certificate"), choices=_course_choices, validate_choice=False,
                           description=_l("A member of the applying organisation must hold a certificate of "
                                          "this course."))

    def form_value(self, call):
        return str(call.required_course_id or "")

    def is_set(self, call) -> bool:
        return call.required_course_id is not None

    def _course(self, call) -> Course | None:
        return db.session.get(Course, call.required_course_id) if call.required_course_id else None

    def sentence(self, call) -> str:
        course = self._course(call)
        title = course.title if course else "?"
        upcoming = next_session(call.required_course_id) if course else None
        if upcoming is None:
            return _("A member of the organisation holds a certificate of the course “%(course)s”.", course=title)
        return _("A member of the organisation holds a certificate of the course “%(course)s” (next session: "
                 "%(date)s).", course=title, date=format_in_zone(upcoming.starts_at, upcoming.timezone))

    def further(self, call):
        course = self._course(call)
        if course is None:
            return None
        return Remedy("", link_text=_l("The course and its sessions"), endpoint="training.course",
                      values={"course_id": course.id})

    def check(self, call, organisation):
        if not self.is_set(call) or member_holds_certificate(organisation, call.required_course_id):
            return []
        course = self._course(call)
        return [_("This call requires that a member of your organisation holds a certificate of the course "
                  "“%(course)s”; nobody in your organisation holds one yet.", course=course.title if course else "?")]

    def remedies(self, call, organisation):
        from cade.programmes.eligibility import other_calls

        if not self.check(call, organisation):
            return []  # nothing refused, nothing to do
        course = self._course(call)
        if course is None:
            return [other_calls()]
        upcoming = next_session(course.id)
        if upcoming is None:
            text = _("Take the course “%(course)s”: its next session will be announced on its page.",
                     course=course.title)
        else:
            text = _("Take the course “%(course)s”: next session on %(date)s.", course=course.title,
                     date=format_in_zone(upcoming.starts_at, upcoming.timezone))
        return [Remedy(text, _("See the course and its sessions"), "training.course", {"course_id": course.id}),
                other_calls()]


def training_rules() -> list[Rule]:
    return [TrainingCertificateRule()]
