"""Periodic reminders (call closing soon)."""
