"""Whether an organisation may apply to a call, with reasons and remedies in the reader's language.

The rules themselves are registered by the domains that own their data (see
cade/core/rules.py); this module only asks each of them.
"""

from dataclasses import dataclass, field

from cade.core.rules import Remedy, registered_rules


@dataclass(frozen=True)
class Finding:
    """One thing a rule says about an organisation, and what the organisation can do about it."""

    text: str
    remedies: tuple[Remedy, ...] = ()


@dataclass
class EligibilityResult:
    """`blocking` findings stop an application; `advisory` ones are shown but do not block."""

    blocking: list[Finding] = field(default_factory=list)
    advisory: list[Finding] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return not self.blocking

    @property
    def reasons(self) -> list[str]:
        return [finding.text for finding in self.blocking]

    @property
    def notes(self) -> list[str]:
        return [finding.text for finding in self.advisory]


def prepare_eligibility(call, organisations) -> None:
    """Let every rule read at once what it needs for `organisations` before they are assessed one by one."""
    for rule in registered_rules():
        rule.prepare(call, organisations)


def assess_eligibility(call, organisation) -> EligibilityResult:
    """Check every registered rule of `call` against `organisation`, each finding with its remedies.

    A rule the call does not set restricts nothing. Rules combine with AND;
    how the entries of one rule combine is the rule's own business (the
    country and region rules admit a match on any entry). A remedy already
    offered under an earlier finding ("see the calls open now") is not
    repeated under the next.
    """
    result = EligibilityResult()
    offered: list[Remedy] = []
    for rule in registered_rules():
        reasons, notes = rule.check(call, organisation), rule.notes(call, organisation)
        if not (reasons or notes):
            continue
        remedies = [remedy for remedy in rule.remedies(call, organisation) if remedy not in offered]
        offered.extend(remedies)
        for text in reasons:
            result.blocking.append(Finding(text, tuple(remedies)))
            remedies = []
        for text in notes:
            result.advisory.append(Finding(text, tuple(remedies)))
            remedies = []
    return result


def check_eligibility(call, organisation) -> list[str]:
    """The reasons `organisation` may not apply to `call`; an empty list means eligible."""
    return assess_eligibility(call, organisation).reasons
