"""The reviews API, one module a concern: pool, conflicts, assignment, scoring, aggregation, reminders.

Callers import the module they need (``from cade.reviews.services import conflicts``).
Every function takes the acting user explicitly, flushes but never commits,
and raises `cade.core.errors` DomainErrors with messages safe to show.
"""
