"""Capacity assessments: an organisation's baseline and follow-up self-assessments and the gain between them.

`models` (the tables and the state machine), `services` (start, save, submit,
schedule a follow-up), `gains` (the comparison for one organisation and the
SQL aggregation across organisations), `reminders` (the beat's "follow-up due").
"""

from cade.training.assessments.models import AssessmentScore, CapacityAssessment

__all__ = ["AssessmentScore", "CapacityAssessment"]
