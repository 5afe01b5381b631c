"""The eligibility-rule registry: one rule per key, filled at start-up, asked by applications."""

import pytest
from flask import Flask

from cade import create_app
from cade.applications.eligibility import assess_eligibility
from cade.core import rules
from cade.core.rules import DuplicateRule, Rule, RuleRegistry, call_conditions, registered_rules
from config import TestConfig
from tests.factories import CallFactory, OrganisationFactory


class NoBlueRule(Rule):
    """A rule for tests: organisations whose name contains "Blue" may not apply when the call says so."""

    key = "no_blue"
    field_name = "no_blue"
    columns = ()

    def __init__(self, key="no_blue"):
        self.key = key

    def is_set(self, call):
        return "Blue" in (call.description or "")

    def sentence(self, call):
        return "No blue organisations."

    def check(self, call, organisation):
        return ["Blue is not welcome."] if self.is_set(call) and "Blue" in organisation.name else []


def test_a_registry_keeps_rules_in_the_order_they_came():
    registry = RuleRegistry()
    first, second = registry.register(NoBlueRule("a")), registry.register(NoBlueRule("b"))
    assert list(registry) == [first, second]
    assert len(registry) == 2 and "a" in registry and registry.get("b") is second


def test_a_second_rule_under_one_key_is_refused():
    registry = RuleRegistry()
    registry.register(NoBlueRule())
    with pytest.raises(DuplicateRule, match="no_blue"):
        registry.register(NoBlueRule())
    assert len(registry) == 1


def test_a_rule_registered_twice_stops_the_app_from_starting(monkeypatch):
    from cade.programmes import eligibility

    original = eligibility.call_rules
    monkeypatch.setattr(eligibility, "call_rules", lambda: [*original(), original()[0]])
    with pytest.raises(DuplicateRule, match="countries"):
        create_app(TestConfig)


def test_each_app_has_a_registry_of_its_own():
    one, two = Flask("one"), Flask("two")
    rules.init_app(one).register(NoBlueRule())
    rules.init_app(two)
    with two.app_context():
        assert len(registered_rules()) == 0
    with one.app_context():
        assert [rule.key for rule in registered_rules()] == ["no_blue"]


def test_the_app_starts_with_todays_eleven_rules(app):
    with app.app_context():
        assert [rule.key for rule in registered_rules()] == [
            "countries", "country_lists", "regions", "organisation_types", "stakeholder_groups", "max_annual_budget",
            "training_certificate", "no_overdue_report", "required_documents",
            "no_overdue_post_trip_report", "shortlisted_in_concept_stage"]


def test_a_rule_without_notes_has_none():
    assert NoBlueRule().notes(None, None) == []


def test_a_registered_rule_is_checked_and_stated(db, app):
    registry = registered_rules()
    rule = NoBlueRule()
    registry.register(rule)
    try:
        call = CallFactory(description="Blue")
        assert assess_eligibility(call, OrganisationFactory(name="Blue Sky Network")).reasons == [
            "Blue is not welcome."]
        assert assess_eligibility(call, OrganisationFactory(name="Red Earth")).eligible
        # Every call also states the condition that holds for all (grants' overdue-report rule).
        every_call = [condition for condition in call_conditions(CallFactory(description="Green"))]
        assert [text for text, _link in every_call] == ["The organisation has no overdue report from an earlier grant."]
        assert call_conditions(call) == [*every_call, ("No blue organisations.", None)]
    finally:
        del registry._rules[rule.key]  # the session's app is shared by every test
