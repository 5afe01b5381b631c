"""A call from sign-up to release on a production-shaped deployment (issue 16, part 2).

Two gunicorn hosts, two Celery workers and beat on PostgreSQL, once on Redis and
once on RabbitMQ (tests/production/conftest.py). Applicants register, confirm
their address from the e-mail, describe their organisation (one invites a
colleague), apply with a PDF uploaded through one host and read back through
the other, and all press "Submit" at the same moment, one of them twice. The
reviewer scores, the administrator decides and releases. Then: every
application was submitted exactly once, every e-mail arrived exactly once, no
request answered 5xx, and the outbox holds nothing pending or failed.
"""

import re
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from sqlalchemy import func, select

from tests.production import harness, journey
from tests.production.browser import Person
from tests.production.conftest import STAFF_PASSWORD

# Applicant organisations per run: each has its own person pressing "Submit" at the same moment.
CLIENTS = {"redis": 12, "rabbitmq": 6}
SIGN_UP_THREADS = 4  # as many as the two hosts have processes
AWARDED = 20_000_00
QUIET_SECONDS = 1.5  # after the last expected e-mail, how long a duplicate is given to show up
# Applicant i gets OUTCOMES[i % 3]: four awards of 20,000 among twelve stay inside the 100,000 envelope.
OUTCOMES = ("award", "reject", "waitlist")
# What the second press of a double click is told, whichever step it reached while the first press submitted:
# the edit page ("…has been submitted and can no longer be changed."), saving the draft ("…has been submitted
# or withdrawn…") or the submission itself ("…has already been submitted.").
ALREADY_SUBMITTED = re.compile(r"This application has (already )?been submitted")


@contextmanager
def phase(timings: dict, name: str):
    started = time.monotonic()
    try:
        yield
    finally:
        timings[name] = time.monotonic() - started


def test_a_call_from_sign_up_to_release_on_two_hosts_two_workers_and_beat(stack):
    deployment, sink, timings = stack.deployment, stack.sink, stack.timings
    clients = CLIENTS[stack.broker]
    prefix = harness.address_prefix(stack.tag)
    applicants = [Person(f"Applicant {i}", f"applicant{i}-{stack.tag}@org{i}.example", f"{prefix}{i + 1}",
                         deployment.hosts, host=i % 2) for i in range(clients)]
    colleague = Person("Colleague 0", f"colleague0-{stack.tag}@org0.example", f"{prefix}200", deployment.hosts)
    members = {i: [person.email] for i, person in enumerate(applicants)}
    members[0].append(colleague.email)
    application_ids: dict[int, int] = {}

    def apply(i: int):
        person = applicants[i]
        journey.sign_up(person, sink)
        organisation_id = journey.register_organisation(person, f"Community Network {i} {stack.tag}")
        if i == 0:
            journey.invite_and_join(person, colleague, organisation_id, sink)
        application_ids[i] = journey.start_application(person, stack.call_id)
        # Written through host A, read back through host B: the hosts share the files.
        attachment = journey.fill_draft(person.on(0), application_ids[i], i, stack.question_field)
        assert journey.download(person.on(1), attachment) == journey.pdf_for(i), f"applicant {i}'s file differs"

    with phase(timings, "sign-up, organisation, draft with a file"):
        with ThreadPoolExecutor(SIGN_UP_THREADS) as pool:
            list(pool.map(apply, range(clients)))
    # In the bucket (or the shared folder), not on one host's disk.
    assert deployment.stored_files() == clients

    with phase(timings, f"{clients} submits at once (+1 double click)"):
        outcomes = submit_all_at_once(applicants, application_ids)
    submitted = [flash for flash in outcomes if "Your application was submitted" in flash]
    assert len(submitted) == clients, outcomes
    # The double click: one press submits, the other is told (whichever page it reached first).
    assert sum("Your application was submitted" in flash for flash in (outcomes[0], outcomes[-1])) == 1, outcomes
    assert any(ALREADY_SUBMITTED.search(flash) for flash in (outcomes[0], outcomes[-1])), outcomes
    assert_submitted_once(stack, application_ids)

    admin = Person("Ada Admin", stack.admin_email, f"{prefix}250", deployment.hosts, host=0)
    reviewer = Person("Rui Reviewer", stack.reviewer_email, f"{prefix}251", deployment.hosts, host=1)
    with phase(timings, "assignment and reviews"):
        journey.sign_in(admin, STAFF_PASSWORD)
        result = journey.assign_automatically(admin, stack.call_id)
        assert f"Assignmentsmade{clients}" in result.replace(" ", ""), result[:500]
        journey.sign_in(reviewer, STAFF_PASSWORD)
        assert journey.review_everything(reviewer) == clients

    outcomes_by_applicant = {i: OUTCOMES[i % 3] for i in range(clients)}
    with phase(timings, "decisions and release"):
        for i, outcome in outcomes_by_applicant.items():
            journey.decide(admin.on(i), application_ids[i], outcome)
        flashes = journey.release(admin.on(1), stack.call_id, clients)
        assert f"{clients} decisions released" in flashes, flashes

    expected = expected_mail(members, colleague.email, stack.reviewer_email, stack.admin_email)
    with phase(timings, "last e-mails"):
        sink.wait_for(sum(expected.values()), timeout=60)
        time.sleep(QUIET_SECONDS)
    received, duplicates = received_mail(stack)
    print_summary(stack, received, duplicates)

    assert duplicates == {}, f"e-mails sent more than once (notification id: copies): {duplicates}"
    assert received == expected, _difference(expected, received)
    assert len(deployment.access_log()) > 100  # the access logs were read: every page of the journey is in them
    assert deployment.server_errors() == [], "\n".join(deployment.server_errors())
    assert deployment.dead() == [], deployment.dead()
    assert_outbox_empty(stack, sum(expected.values()))
    assert_award_states(stack, application_ids, outcomes_by_applicant)
    tracebacks = [service.name for service in deployment.services if "Traceback" in service.text()]
    assert tracebacks == [], f"tracebacks in the logs of {tracebacks}"


def expected_mail(members: dict[int, list[str]], colleague: str, reviewer: str, admin: str) -> Counter:
    """(recipient, kind) → how many e-mails the journey should have sent: each exactly once per event."""
    expected = Counter({(colleague, "accounts.verify_email"): 1, (colleague, "organisations.invitation"): 1,
                        (reviewer, "reviews.assigned"): len(members),
                        # Production requires a second factor of staff: each sets it up on first sign-in.
                        (admin, "accounts.two_factor_changed"): 1, (reviewer, "accounts.two_factor_changed"): 1})
    for emails in members.values():
        expected[(emails[0], "accounts.verify_email")] += 1  # the applicant who registered the organisation
        for email in emails:  # every member of the organisation
            expected[(email, "applications.submitted")] += 1
            expected[(email, "awards.decision_released")] += 1
    return expected


def submit_all_at_once(applicants: list[Person], application_ids: dict[int, int]) -> list[str]:
    """Every applicant presses "Submit application" at the same moment; the first presses it twice at once.

    Each loads the edit page first (as a person has it open), then all wait at a barrier and post together.
    Returns the flash messages of every answer.
    """
    presses = [(person, person.get(f"/applications/{application_ids[i]}/edit").form("Submit application"))
               for i, person in enumerate(applicants)]
    double_click = applicants[0].clone().on(applicants[0].host + 1)  # the second click may reach the other host
    presses.append((double_click, presses[0][1]))
    barrier = threading.Barrier(len(presses))
    flashes: list[str] = [""] * len(presses)

    def press(index: int):
        person, form = presses[index]
        barrier.wait(timeout=30)
        flashes[index] = person.submit(form).flashes()

    with ThreadPoolExecutor(len(presses)) as pool:
        list(pool.map(press, range(len(presses))))
    return flashes


def assert_submitted_once(stack, application_ids: dict[int, int]) -> None:
    """Each application is submitted, under its own reference, numbered without gaps, by one transition."""
    from cade.applications.constants import ApplicationStatus
    from cade.applications.models import Application
    from cade.core.audit import AuditEvent
    from cade.extensions import db

    with stack.staff_app.app_context():
        rows = db.session.execute(select(Application.id, Application.status, Application.reference)
                                  .where(Application.id.in_(application_ids.values()))).all()
        assert {status for _id, status, _ref in rows} == {ApplicationStatus.SUBMITTED}, rows
        references = sorted(reference for _id, _status, reference in rows)
        assert references == [f"{stack.call_prefix}-{n:04d}" for n in range(1, len(application_ids) + 1)]
        transitions = dict(db.session.execute(
            select(AuditEvent.object_id, func.count()).where(
                AuditEvent.object_type == "Application", AuditEvent.object_id.in_(application_ids.values()),
                AuditEvent.verb.like("%submitted")).group_by(AuditEvent.object_id)).all())
        assert transitions == {application_id: 1 for application_id in application_ids.values()}, transitions
        db.session.remove()


def received_mail(stack) -> tuple[Counter, dict[int, int]]:
    """What reached the sink, as (recipient, kind) counts, and the outbox rows delivered more than once.

    Each message names its outbox row in its Message-ID (`<...n<id>@domain>`); the row gives the kind.
    """
    from cade.extensions import db
    from cade.notifications.models import Notification

    copies = Counter()
    for message in list(stack.sink.messages):
        match = re.search(r"\.n(\d+)@", str(message["Message-ID"]))
        assert match, f"a message without an outbox id: {message['Message-ID']} {message['Subject']}"
        copies[int(match.group(1))] += 1
    with stack.staff_app.app_context():
        rows = {row.id: row for row in db.session.scalars(select(Notification).where(Notification.id.in_(copies)))}
        db.session.remove()
    assert set(rows) == set(copies), f"messages naming no outbox row: {set(copies) - set(rows)}"
    received = Counter()
    for notification_id, count in copies.items():
        received[(rows[notification_id].recipient_email, rows[notification_id].kind)] += count
    return received, {notification_id: count for notification_id, count in copies.items() if count > 1}


def assert_outbox_empty(stack, expected_rows: int) -> None:
    from cade.extensions import db
    from cade.notifications.constants import NotificationStatus
    from cade.notifications.models import Notification

    with stack.staff_app.app_context():
        statuses = dict(db.session.execute(select(Notification.status, func.count()).group_by(Notification.status))
                        .all())
        db.session.remove()
    assert statuses == {NotificationStatus.SENT: expected_rows}, f"outbox by status: {statuses}"


def assert_award_states(stack, application_ids: dict[int, int], outcomes: dict[int, str]) -> None:
    """What the applicants read after the release: the outcome decided, with the amount for an award."""
    from cade.awards.models import Decision
    from cade.extensions import db

    with stack.staff_app.app_context():
        decisions = {row.application_id: row for row in db.session.scalars(
            select(Decision).where(Decision.application_id.in_(application_ids.values())))}
        assert {i: str(decisions[application_ids[i]].outcome) for i in outcomes} == outcomes
        assert all(decision.released_at is not None for decision in decisions.values())
        assert sum(d.amount_minor or 0 for d in decisions.values()) == AWARDED * list(outcomes.values()).count("award")
        db.session.remove()


def _difference(expected: Counter, received: Counter) -> str:
    missing, extra = expected - received, received - expected
    return f"e-mails missing: {dict(missing)}\ne-mails not expected: {dict(extra)}"


def print_summary(stack, received: Counter, duplicates: dict) -> None:
    """What `pytest -s` shows: e-mails per kind, duplicates, and the time each phase took."""
    by_kind = Counter()
    for (_email, kind), count in received.items():
        by_kind[kind] += count
    deployment = stack.deployment
    queue = deployment.broker.queue or "the default queue in a vhost of its own"
    lines = [f"--- production-shaped journey on {stack.broker} ({queue}), storage {harness.STORAGE_MODE}, "
             f"{len(deployment.access_log())} requests, {len(deployment.server_errors())} answered 5xx",
             *(f"  e-mails {kind:<28} {count}" for kind, count in sorted(by_kind.items())),
             f"  duplicates found: {sum(count - 1 for count in duplicates.values())}",
             *(f"  {name:<48} {seconds:6.1f} s" for name, seconds in stack.timings.items())]
    print("\n" + "\n".join(lines))
