"""The notifications of training: one context shape for every message about an enrolment."""

from cade.core.timeutil import moment_json
from cade.notifications.services import notify
from cade.training.models import Enrolment


def tell(kind: str, enrolment: Enrolment, key: str, **extra) -> None:
    """Queue `training.<kind>` to the enrolment's participant, in their language, once per `key`."""
    session = enrolment.session
    notify(f"training.{kind}", recipient=enrolment.user, locale=enrolment.user.locale, key=f"training.{kind}:{key}",
           context={"course_title": session.course.title, "session_title": session.display_title,
                    "course_id": session.course_id, "session_id": session.id, "enrolment_id": enrolment.id,
                    "starts": moment_json(session.starts_at, session.timezone),
                    "ends": moment_json(session.ends_at, session.timezone),
                    "position": enrolment.waitlist_position, **extra})
