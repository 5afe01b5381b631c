"""Programmes, calls, their questions, rubrics and eligibility rules."""
