"""The eligibility-rule registry: which conditions a call may set on who applies, and how each is checked.

Each rule is one small object (`Rule`): a key, the sentence the call page
shows, the field on the admin's call form, the cleaner of cade/core/commands
that reads that field's value into the call's settings, and
`check(call, organisation) -> reasons` (with
`notes` for what is worth saying but does not block, and `remedies` for what
the organisation can do about either). The domain that owns the
data a rule reads writes the rule; `cade/wiring.py` registers every rule at
start-up, so applications asks the registry and never imports the domains
(training, awards) whose rules it enforces.

The registry belongs to the app (`app.extensions`), not to the module: tests
and workers create many apps in one process, and each registers its rules
once. Registering two rules under one key is a programming error and stops
the app from starting.
"""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, current_app

from cade.core.commands import Cleaner

EXTENSION = "cade.rules"


class DuplicateRule(RuntimeError):
    """A second rule under a key already taken: two domains claim one condition."""


@dataclass(frozen=True)
class Remedy:
    """What an organisation a rule turned away (or warned) can do: one sentence, and the page to do it on.

    The page is named (`endpoint` and its `values`), not built: rules are asked
    by services and tasks too, and the page that shows a remedy makes its
    link. `profile` marks a change to the organisation's own profile, which
    only those who may edit it can make; the page tells anyone else whom to ask
    rather than link to a page that would refuse them.
    """

    text: str
    link_text: str | None = None
    endpoint: str | None = None
    values: Mapping[str, Any] = field(default_factory=dict, hash=False)
    profile: bool = False


class Rule:
    """One condition a call may set. Subclasses fill in every method but `notes` and `remedies`.

    `key` is stable and unique; `field_name` names the admin form field and
    the input key of the call's command; `columns` are the call attributes
    that keep the rule's setting (written in audit snapshots); `cleaner`
    reads the typed value, with the programme's currency in its context.
    """

    key: str
    field_name: str
    columns: tuple[str, ...]
    cleaner: Cleaner

    def form_field(self, currency: str | None):
        """An unbound WTForms field for the admin's call form, labelled in the reader's language."""
        raise NotImplementedError

    def form_value(self, call) -> Any:
        """The call's setting as the form field shows it (and as `cleaner` takes it back)."""
        raise NotImplementedError

    def settings(self, value) -> dict[str, Any]:
        """The call columns for a value `cleaner` returned: by default its one column, as cleaned."""
        (column,) = self.columns
        return {column: value}

    def is_set(self, call) -> bool:
        """Whether the call restricts anything through this rule."""
        raise NotImplementedError

    def sentence(self, call) -> str:
        """The condition in words for the call page; asked only when `is_set`."""
        raise NotImplementedError

    def prepare(self, call, organisations) -> None:
        """Read at once what `check` will ask for each of `organisations` (a page listing several), so that the
        page's queries do not grow with them; by default nothing (a call setting reads no table)."""

    def check(self, call, organisation) -> list[str]:
        """Why `organisation` may not apply under this rule; empty when it may."""
        raise NotImplementedError

    def notes(self, call, organisation) -> list[str]:
        """What the applicant should know though it does not block (the programme team will check)."""
        return []

    def further(self, call) -> Remedy | None:
        """A page that says more about the condition, linked after its sentence on the call page (or None)."""
        return None

    def remedies(self, call, organisation) -> list[Remedy]:
        """What `organisation` can do about what `check` and `notes` say; empty when they say nothing.

        The one place a rule's way out is written: the start page and the call
        page show it under each reason, so no page offers a button that cannot work.
        """
        return []


class RuleRegistry:
    """The rules in the order they were registered (the order the call page and form show them)."""

    def __init__(self):
        self._rules: dict[str, Rule] = {}

    def register(self, rule: Rule) -> Rule:
        """Add `rule`; raises DuplicateRule if its key is taken."""
        if rule.key in self._rules:
            raise DuplicateRule(f"an eligibility rule is already registered under {rule.key!r}: "
                                f"{type(self._rules[rule.key]).__name__} and {type(rule).__name__}")
        self._rules[rule.key] = rule
        return rule

    def get(self, key: str) -> Rule:
        return self._rules[key]

    def __iter__(self) -> Iterator[Rule]:
        return iter(list(self._rules.values()))

    def __len__(self) -> int:
        return len(self._rules)

    def __contains__(self, key: str) -> bool:
        return key in self._rules


def init_app(app: Flask) -> RuleRegistry:
    """Give `app` an empty registry and return it for the wiring to fill."""
    registry = RuleRegistry()
    app.extensions[EXTENSION] = registry
    return registry


def registered_rules() -> RuleRegistry:
    """The current app's rules."""
    return current_app.extensions[EXTENSION]


def call_conditions(call) -> list[tuple[str, Remedy | None]]:
    """The conditions `call` sets, for its public page: each as a sentence and the page that says more, if any."""
    return [(rule.sentence(call), rule.further(call)) for rule in registered_rules() if rule.is_set(call)]
