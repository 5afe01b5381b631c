"""Delivery of outbox notifications."""
