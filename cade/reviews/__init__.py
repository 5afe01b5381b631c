"""Reviews: reviewer pool, conflicts, assignment, scores, aggregation."""
