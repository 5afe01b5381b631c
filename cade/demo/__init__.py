"""Demo data for development and review: `flask --app wsgi seed-demo`."""
