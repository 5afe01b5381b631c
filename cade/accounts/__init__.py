"""Users, roles, sign-up, e-mail verification, sign-in and password reset."""
