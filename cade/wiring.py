"""The parts create_app plugs together: extensions, blueprints, templates, errors, commands."""

import importlib

from flask import Flask, current_app, has_request_context, request, session
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine

from cade.extensions import babel, csrf, db, limiter, login_manager, migrate

DOMAINS = ["core", "accounts", "organisations", "programmes", "applications", "training", "reviews", "awards",
           "diligence", "grants", "travel", "enquiries", "conversations", "stages", "notifications", "reports",
           "api", "privacy"]


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # Web server and worker share one SQLite file: WAL lets readers and one writer
    # work side by side, and a busy timeout turns a lock into a short wait.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=15000")
        cursor.close()


def select_locale() -> str:
    if not has_request_context():  # a task or command: callers force the recipient's locale
        return current_app.config.get("BABEL_DEFAULT_LOCALE", "en")
    languages = _languages()
    # A language picked from the menu wins, then the account's, then the browser's.
    if session.get("locale") in languages:
        return session["locale"]
    if current_user and current_user.is_authenticated and current_user.locale in languages:
        return current_user.locale
    return request.accept_languages.best_match(languages) or "en"


def select_timezone() -> str | None:
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.timezone
    return None


def _languages() -> list[str]:
    from flask import current_app

    return current_app.config["LANGUAGES"]


def init_extensions(app: Flask) -> None:
    from cade import models  # noqa: F401  (every table known to SQLAlchemy and Alembic)
    from cade.core import observability

    observability.init_app(app)  # logs, request ids, metrics, Sentry: in place before anything else runs

    db.init_app(app)
    from cade.core import after_commit
    from cade.notifications import outbox

    after_commit.init_app(app)  # work that waits for its transaction: cade/core/after_commit.py

    outbox.init_app(app)  # notifications are enqueued only after the change they report commits
    migrate.init_app(app, db, directory=str(app.root_path + "/../migrations"), render_as_batch=True)
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(
        app,
        locale_selector=select_locale,
        timezone_selector=select_timezone,
        default_translation_directories=str(app.root_path + "/translations"),
    )
    login_manager.init_app(app)
    login_manager.login_view = "accounts.login"
    login_manager.session_protection = "strong"
    from flask_babel import lazy_gettext as _l

    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    from cade.accounts.services import load_signed_in_user

    login_manager.user_loader(load_signed_in_user)


def register_rules(app: Flask) -> None:
    """Fill the app's eligibility-rule registry; a key registered twice stops start-up (DuplicateRule).

    Each domain contributes the rules over its own data, so that applications,
    which checks them, never imports the domains that own them.
    """
    from cade.core import rules
    from cade.programmes.eligibility import call_rules

    from cade.training.eligibility import training_rules
    from cade.grants.eligibility import grant_rules
    from cade.diligence.eligibility import diligence_rules
    from cade.travel.eligibility import travel_rules
    from cade.stages.eligibility import stage_rules

    registry = rules.init_app(app)
    for rule in [*call_rules(), *training_rules(), *grant_rules(), *diligence_rules(), *travel_rules(),
                 *stage_rules()]:
        registry.register(rule)


def register_hooks(app: Flask) -> None:
    """Hand a lower domain the answers only a domain above it holds (each hook is described where it is offered).

    The awards domain knows the amount committed in a call; the programmes
    domain, which may not import it, needs it to keep a call's envelope above
    it (`cade.programmes.services.commitment_sources`); the grants domain opens
    a grant when awards records an accepted offer (`acceptance_hooks`).
    Registering twice (a second app in one process) adds nothing.
    """
    from cade.awards.services.commitments import committed_total
    from cade.programmes import services as programme_services

    if committed_total not in programme_services.commitment_sources:
        programme_services.commitment_sources.append(committed_total)
    # An accepted offer opens its grant, in the same transaction (cade/grants registers open_grant once).
    from cade import grants
    from cade.awards.services import offers

    grants.register(offers.acceptance_hooks)
    # The open-data files follow every release and acceptance (cade/reports/open_data/documents.py).
    from cade.awards.services import release as awards_release
    from cade.reports.open_data.documents import on_decisions_released as publish_open_data, on_offer_accepted

    if publish_open_data not in awards_release.release_hooks:
        awards_release.release_hooks.append(publish_open_data)
    if on_offer_accepted not in offers.acceptance_hooks:
        offers.acceptance_hooks.append(on_offer_accepted)
    # People of organisations at risk get e-mails with a neutral subject and sender (cade/notifications/discretion.py);
    # an organisation's consent, at-risk mark or name reaches the open-data files in the same transaction.
    from cade.notifications import discretion
    from cade.organisations import discretion as organisation_discretion
    from cade.organisations.services import profiles as organisation_profiles
    from cade.reports.open_data.documents import on_organisation_changed

    organisation_discretion.register(discretion.discretion_checks)
    if on_organisation_changed not in organisation_profiles.profile_change_hooks:
        organisation_profiles.profile_change_hooks.append(on_organisation_changed)
    # A call's report templates hold questionnaires too: programmes' question services find them through this.
    from cade.grants.report_templates import report_questions
    from cade.programmes.services.questions import questionnaire_owners

    if report_questions not in questionnaire_owners:
        questionnaire_owners.append(report_questions)
    # A travel application is complete only with its trip (and a traveller not blocked by a missing report).
    from cade.applications.services import submission
    from cade.travel.trips import trip_completeness

    if trip_completeness not in submission.completeness_sources:
        submission.completeness_sources.append(trip_completeness)
    # A travel award's release is the traveller's approval: travel sets the post-trip due day and tells them.
    from cade.awards.services import release
    from cade.travel.approval import register as register_travel_release

    register_travel_release(release.release_hooks)
    # A full proposal of a two-stage call stays within its concept note's margin; releasing a concept-note
    # call's shortlist starts each shortlisted organisation's full proposal from its concept note.
    from cade.stages.completeness import concept_margin_completeness
    from cade.stages.invitations import on_decisions_released as invite_shortlisted

    if concept_margin_completeness not in submission.completeness_sources:
        submission.completeness_sources.append(concept_margin_completeness)
    if invite_shortlisted not in release.release_hooks:
        release.release_hooks.append(invite_shortlisted)
    from cade.awards.services import decisions
    from cade.travel.approval import award_matches_approval

    if award_matches_approval not in decisions.award_checks:
        decisions.award_checks.append(award_matches_approval)
    register_reminders()


def register_reminders() -> None:
    """Every domain's reminder sweep, for `send-reminders` (cade/core/reminders.py); the beat runs each alone."""
    from cade.applications.services.reminders import queue_call_closing_reminders
    from cade.awards.services.offers import remind_offer_deadlines
    from cade.conversations.reminders import remind_due_clarifications
    from cade.core.reminders import register_sweep
    from cade.diligence.reminders import remind_expiring_documents
    from cade.grants.reminders import send_report_reminders
    from cade.reviews.services.reminders import queue_review_reminders
    from cade.training.assessments.reminders import remind_due_follow_ups
    from cade.training.services.reminders import queue_session_reminders
    from cade.travel.reminders import remind_post_trip

    register_sweep("calls closing", queue_call_closing_reminders)
    register_sweep("reviews due", queue_review_reminders)
    register_sweep("offer deadlines", remind_offer_deadlines)
    register_sweep("training sessions", queue_session_reminders)
    register_sweep("capacity follow-ups", remind_due_follow_ups)
    register_sweep("grantee reports", send_report_reminders)
    register_sweep("post-trip reports", remind_post_trip)
    register_sweep("expiring documents", remind_expiring_documents)
    register_sweep("clarifications due", remind_due_clarifications)


def register_blueprints(app: Flask) -> None:
    for domain in DOMAINS:
        views = importlib.import_module(f"cade.{domain}.views")
        app.register_blueprint(views.bp)


def register_templates(app: Flask) -> None:
    from cade.core import templating

    templating.init_app(app)
    # How each kind of question reads (templates/applications/_reading.html), for every blueprint's pages.
    from cade.core.questionnaires import kind_of

    app.jinja_env.globals["question_kind"] = kind_of
    for domain in DOMAINS:
        try:
            module = importlib.import_module(f"cade.{domain}.permissions")
        except ModuleNotFoundError:
            continue
        for name in dir(module):
            if name.startswith("can_"):
                app.jinja_env.globals[name] = getattr(module, name)


def register_errors(app: Flask) -> None:
    from cade.core import security, views

    views.register_error_handlers(app)
    security.init_app(app)


def register_commands(app: Flask) -> None:
    for domain in DOMAINS + ["demo"]:
        try:
            module = importlib.import_module(f"cade.{domain}.cli")
        except ModuleNotFoundError as exc:
            if exc.name not in (f"cade.{domain}.cli", f"cade.{domain}"):
                raise
            continue
        module.register(app)
