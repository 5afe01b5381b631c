"""Whether an organisation may apply to a call, with reasons in the reader's language.

The rules themselves are registered by the domains that own their data (see
cade/core/rules.py); this module only asks each of them.
"""

from dataclasses import dataclass, field

from cade.core.rules import registered_rules


@dataclass
class EligibilityResult:
    """`reasons` block an application; `notes` are shown but do not block."""

    reasons: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.reasons


def assess_eligibility(call, organisation) -> EligibilityResult:
    """Check every registered rule of `call` against `organisation`.

    A rule the call does not set restricts nothing. Rules combine with AND;
    how the entries of one rule combine is the rule's own business (the
    country and region rules admit a match on any entry).
    """
    result = EligibilityResult()
    for rule in registered_rules():
        result.reasons.extend(rule.check(call, organisation))
        result.notes.extend(rule.notes(call, organisation))
    return result


def check_eligibility(call, organisation) -> list[str]:
    """The reasons `organisation` may not apply to `call`; an empty list means eligible."""
    return assess_eligibility(call, organisation).reasons
