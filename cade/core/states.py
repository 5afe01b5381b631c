"""One way for an aggregate to change state: a transition table as data, a compare-and-set move, audited.

Each aggregate declares one `StateMachine`: its model, its status enum and the
table of allowed moves. Everything else is derived from that table, so it is
never restated: `can(obj, new)` for predicates and templates, `sources(new)`
for queries ("which applications can still be withdrawn" is
`machine.sources(WITHDRAWN)`), and `docs/states.md`, which `flask
states-doc` writes from every machine declared here.

A move is one UPDATE … WHERE status = <old> per old status: of two
concurrent moves of the same row only one matches, and the loser gets the
machine's domain error, as it would had it come second. Three ways to move:
`move` one object, `move_many` a list of ids (all or nothing), `move_where`
whatever rows still match (a claim: a second claim finds nothing). Every
moved row gets an audit event `<noun>.<new status>` (or the machine's own
verb for that status) with the status before and after, all written in one
statement.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum

from sqlalchemy import ColumnElement, update

from cade.core.audit import record_events
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition

# Every machine declared, in declaration order: what `flask states-doc` documents.
MACHINES: dict[str, StateMachine] = {}


@dataclass(frozen=True, eq=False)
class StateMachine:
    """The allowed moves of one aggregate's `status` column.

    `transitions` maps each status to the statuses it may move to; every
    status of `statuses` must appear as a key (a final status maps to an
    empty set), and only statuses of `statuses` may appear at all. `noun`
    names the aggregate in audit verbs and in the docs; the verb of a move
    to a status is `<noun>.<status>` unless `verbs` names it otherwise
    (a call taken back to draft is "call.unpublished").
    """

    noun: str
    model: type
    statuses: type[StrEnum]
    transitions: Mapping[str, Iterable[str]]
    initial: str
    column: str = "status"
    error: type[InvalidTransition] = InvalidTransition
    description: str = ""
    verbs: Mapping[str, str] = field(default_factory=dict)
    register: bool = True  # False for a throw-away machine (tests); declared machines are documented
    _table: dict[str, frozenset[str]] = field(init=False, repr=False)

    def __post_init__(self):
        table = {self.statuses(old): frozenset(self.statuses(new) for new in news)
                 for old, news in self.transitions.items()}
        missing = set(self.statuses) - set(table)
        if missing:
            raise ValueError(f"{self.noun}: no transitions declared from {sorted(missing)}")
        self.statuses(self.initial)
        for status in self.verbs:
            self.statuses(status)
        object.__setattr__(self, "_table", table)
        if self.register:
            if self.noun in MACHINES:
                raise ValueError(f"a state machine for {self.noun!r} is already declared")
            MACHINES[self.noun] = self

    # What the table says -------------------------------------------------

    def allows(self, old: str, new: str) -> bool:
        return self.statuses(new) in self._table[self.statuses(old)]

    def can(self, obj, new: str) -> bool:
        """Whether `obj`, in its current status, may move to `new`."""
        return self.allows(getattr(obj, self.column), new)

    def sources(self, new: str) -> tuple[str, ...]:
        """The statuses from which `new` may be reached, for queries (`status.in_(...)`)."""
        new = self.statuses(new)
        return tuple(old for old, news in self._table.items() if new in news)

    def targets(self, old: str) -> frozenset[str]:
        return self._table[self.statuses(old)]

    def is_final(self, status: str) -> bool:
        return not self._table[self.statuses(status)]

    def edges(self) -> list[tuple[str, str]]:
        return [(old.value, new.value) for old in self.statuses for new in sorted(self._table[old])]

    def verb(self, new: str) -> str:
        """The audit verb of a move to `new`."""
        new = self.statuses(new)
        return f"{self.noun}.{self.verbs.get(new, new.value)}"

    # Moving ----------------------------------------------------------------

    def move(self, actor, obj, new: str, *, audit: tuple[dict | None, dict | None] | None = None, **values):
        """Move `obj` from its current status to `new`; set `values` in the same UPDATE; audit it.

        `audit` adds (before, after) details to the audit row beside the
        status, for a move that changes more than its status (a review's
        scores at submission). Raises the machine's error when the table does
        not allow the move or when another transaction moved `obj` first (then
        `obj` is refreshed, so the caller reads the status that won).
        """
        from cade.extensions import db

        old = self.statuses(getattr(obj, self.column))
        try:
            moved = self._claim(actor, self.model.id == obj.id, new, (old,), values, audit)
            if not moved:
                raise self.error()
        except InvalidTransition:
            db.session.refresh(obj)
            raise
        return obj

    def move_many(self, actor, ids: Iterable[int], new: str, *, from_statuses: Iterable[str] | None = None,
                  **values) -> list[int]:
        """Move every row of `ids` (each now in one of `from_statuses`) to `new`; audit each; return their ids.

        `from_statuses` defaults to every status the table allows `new` from.
        One compare-and-set UPDATE per old status, whatever the number of rows,
        and one INSERT for all the audit events. Objects loaded in the session
        see their new status. Raises the machine's error when the table does not
        allow one of the moves or when a row is not (or no longer) in
        `from_statuses`: the caller rolls back.
        """
        ids = list(dict.fromkeys(ids))
        if not ids:
            self._olds(new, from_statuses)  # a refused move is refused even with nothing to move
            return []
        moved = self._claim(actor, self.model.id.in_(ids), new, from_statuses, values)
        if len(moved) != len(ids):
            raise self.error()
        return moved

    def move_where(self, actor, new: str, *criteria: ColumnElement[bool], from_statuses: Iterable[str] | None = None,
                   **values) -> list[int]:
        """Move whichever rows match `criteria` (and are in `from_statuses`) to `new`; audit each; return their ids.

        For claiming work ("release every decision still to release"): rows
        another transaction moved first simply do not match, so a second
        claim finds nothing and returns []. Raises the machine's error only
        when the table does not allow one of the moves.
        """
        return self._claim(actor, criteria, new, from_statuses, values)

    def _olds(self, new: str, from_statuses: Iterable[str] | None) -> list[StrEnum]:
        olds = (self.sources(new) if from_statuses is None
                else [self.statuses(status) for status in dict.fromkeys(from_statuses)])
        if any(not self.allows(old, new) for old in olds):
            raise self.error()
        return olds

    def _claim(self, actor, criteria, new: str, from_statuses, values: dict,
               audit: tuple[dict | None, dict | None] | None = None) -> list[int]:
        """The compare-and-set UPDATEs (one per old status) and one INSERT of their audit rows."""
        from cade.extensions import db

        db.session.flush()  # what the caller changed is written first, whatever happens next
        new = self.statuses(new)
        olds = self._olds(new, from_statuses)
        criteria = criteria if isinstance(criteria, tuple) else (criteria,)
        model, column = self.model, getattr(self.model, self.column)
        if hasattr(model, "updated_at"):
            values = {"updated_at": utcnow(), **values}
        moved: dict[int, str] = {}
        for old in olds:
            rows = db.session.scalars(
                update(model).where(*criteria, column == old.value)
                .values({self.column: new.value, **values}).returning(model.id)
                .execution_options(synchronize_session="fetch")
            ).all()
            moved.update(dict.fromkeys(rows, old.value))
        before, after = audit or (None, None)
        record_events(actor, self.verb(new), model.__name__, [
            (object_id, {**(before or {}), self.column: old}, {**(after or {}), self.column: new.value})
            for object_id, old in moved.items()
        ])
        return list(moved)


def describe_machines() -> str:
    """docs/states.md: every declared machine as a table and a Mermaid diagram, from the code."""
    lines = [
        "# States",
        "",
        "Generated from the code by `flask --app wsgi states-doc`; a test fails when this file is stale.",
        "Every aggregate below changes state only through its machine (`cade/core/states.py`): one",
        "compare-and-set UPDATE per move, one audit event per row moved.",
        "",
    ]
    for noun, machine in sorted(MACHINES.items()):
        lines += [f"## {noun}", ""]
        if machine.description:
            lines += [machine.description, ""]
        verbs = ", ".join(f"`{machine.verb(status)}`" for status in machine.statuses if machine.sources(status))
        lines += [f"Model `{machine.model.__name__}`, column `{machine.column}`, starts as `{machine.initial}`; "
                  f"the audit events of its moves: {verbs}.", "",
                  "| from | may move to |", "| --- | --- |"]
        for status in machine.statuses:
            targets = ", ".join(f"`{t}`" for t in sorted(machine.targets(status))) or "— (final)"
            lines.append(f"| `{status.value}` | {targets} |")
        lines += ["", "```mermaid", "stateDiagram-v2", f"    [*] --> {machine.initial}"]
        lines += [f"    {old} --> {new}" for old, new in machine.edges()]
        lines += ["```", ""]
    return "\n".join(lines)
