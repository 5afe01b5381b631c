"""Awards: decisions inside the budget envelope and their release to applicants."""
