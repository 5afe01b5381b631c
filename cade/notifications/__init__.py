"""The outbox of notifications: e-mail and in-app, in the recipient's language."""
