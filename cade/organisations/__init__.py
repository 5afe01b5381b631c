"""CSO profiles, their members and invitations."""
