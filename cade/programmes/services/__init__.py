"""Programmes, calls, questions and rubric criteria: every rule and change, with audit rows.

Services take the acting user first, then the ids they act on, then, when
they take typed input, one command (`ProgrammeInput`, `CallInput`,
`QuestionInput`, `CriterionInput`: cade/core/commands.py) that the boundary
built with `XInput.from_input(data, **context)`. They flush but never commit,
and raise `cade.core.errors` domain errors (`ValidationFailed.errors` maps a
field name to its messages, the same names the commands use).

Hook for the domains above this one
-----------------------------------
`call_lock_checks` is a list of functions `check(call) -> bool`. A function
returns True when the call has records (applications, above all) that must
not lose their meaning. While any check says so, the call's reference prefix
cannot change, the call cannot be unpublished, and questions cannot be deleted
or change their kind. The applications domain registers its check when its
services are imported, e.g.::

    from cade.programmes import services as programme_services

    def _call_has_applications(call) -> bool:
        return bool(db.session.scalar(
            select(func.count(Application.id)).where(Application.call_id == call.id)))

    programme_services.call_lock_checks.append(_call_has_applications)

`rubric_lock_checks` works the same way for the rubric: a check returns True
once the call has reviews (drafts included), whose scores must keep their
meaning. While any check says so, criteria cannot be added or deleted and their
weight and maximum score cannot change; labels and guidance stay editable. The
reviews domain registers its check in `cade.reviews.services`.

`blind_review_lock_checks` works the same way for blind review: a check
returns True once a reviewer has opened an application of the call (answered
its conflict question). While any check says so, blind review cannot change.
The reviews domain registers its check in `cade.reviews.services`.

`commitment_sources` is a list of functions `committed(call_id) -> int`: the
amount, in minor units, that the call's decisions hold against its budget
envelope (`committed_in_call` adds them up). The envelope cannot be lowered
below it. The awards domain's `committed_total` is registered by
`cade.wiring.register_hooks`.

(Programmes cannot ask about applications, reviews or awards itself: the
import would point up the stack.)
"""

from cade.programmes.services.calls import (
    CallEditRules,
    CallInput,
    call_as_input,
    call_edit_rules,
    create_call,
    publish_call,
    publish_problems,
    unpublish_call,
    update_call,
)
from cade.programmes.services.common import (
    blind_review_lock_checks,
    call_lock_checks,
    commitment_sources,
    committed_in_call,
    is_blind_review_locked,
    is_call_locked,
    is_rubric_locked,
    rubric_lock_checks,
)
from cade.programmes.services.programmes import PROGRAMME_FIELDS, ProgrammeInput, create_programme, update_programme
from cade.programmes.services.queries import (
    RECENTLY_CLOSED_DAYS,
    call_counts_by_programme,
    latest_calls_by_programme,
    open_calls,
    open_calls_page,
    programme_calls_page,
    programmes_page,
    recently_closed_calls,
    upcoming_calls,
)
from cade.programmes.services.questions import (
    CRITERION_FIELDS,
    QUESTION_FIELDS,
    CriterionInput,
    QuestionInput,
    add_criterion,
    add_question,
    delete_criterion,
    delete_question,
    move_criterion,
    move_question,
    update_criterion,
    update_question,
)

__all__ = [
    "CRITERION_FIELDS", "PROGRAMME_FIELDS", "QUESTION_FIELDS", "RECENTLY_CLOSED_DAYS",
    "CallEditRules", "CallInput", "CriterionInput", "ProgrammeInput", "QuestionInput",
    "add_criterion", "add_question", "blind_review_lock_checks", "call_as_input", "call_edit_rules",
    "call_lock_checks", "commitment_sources", "committed_in_call", "create_call", "create_programme",
    "is_blind_review_locked",
    "delete_criterion", "delete_question", "is_call_locked", "is_rubric_locked", "move_criterion", "move_question",
    "call_counts_by_programme", "latest_calls_by_programme", "open_calls", "open_calls_page",
    "programme_calls_page", "programmes_page", "publish_call", "publish_problems", "recently_closed_calls",
    "rubric_lock_checks", "unpublish_call", "upcoming_calls", "update_call", "update_criterion", "update_programme",
    "update_question",
]
