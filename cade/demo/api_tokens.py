"""The demo's personal API tokens (issue 15), made through the real services.

Their raw values are shown once when made and kept nowhere, so the demo's
tokens only fill the profile page's list: the administrator's "Monthly funding
report" (read, admin-read; used yesterday) and the applicant's "Spreadsheet
sync" (read; used an hour ago) and "Old laptop" (revoked). To call the API,
make a token on the profile page. A person who already has any token is left
as they are, so seeding twice adds nothing; services flush, the command commits.
"""

from datetime import timedelta

from sqlalchemy import select

from cade.accounts.api_tokens import TokenInput, authenticate_bearer, create_api_token, revoke_api_token
from cade.accounts.models import ApiToken
from cade.demo import data
from cade.extensions import db

ADMIN_EMAIL = "admin@cade.example"
# (e-mail, name, scopes, made so many days ago, last used so many hours ago or None, revoked)
TOKENS = [
    (ADMIN_EMAIL, "Monthly funding report", ["read", "admin-read"], 40, 24, False),
    (data.APPLICANT_EMAIL, "Spreadsheet sync", ["read"], 20, 1, False),
    (data.APPLICANT_EMAIL, "Old laptop", ["read"], 60, 24 * 35, True),
]


def seed_api_tokens(seeder, calls: dict, organisations: dict) -> None:
    """The demo tokens of people who have none yet; flushes, never commits."""
    emails = {email for email, *_ in TOKENS}
    users = {email: seeder.users[email] for email in emails if email in seeder.users}
    holders = set(db.session.scalars(select(ApiToken.user_id).where(
        ApiToken.user_id.in_([user.id for user in users.values()]))))
    for email, name, scopes, days_ago, used_hours_ago, revoked in TOKENS:
        user = users.get(email)
        if user is None or user.id in holders:
            continue
        made = seeder.now - timedelta(days=days_ago)
        token, raw = create_api_token(user, TokenInput.from_input({"name": name, "scopes": scopes}),
                                      data.DEMO_PASSWORD, now=made)
        if used_hours_ago is not None:
            authenticate_bearer(f"Bearer {raw}", now=seeder.now - timedelta(hours=used_hours_ago))
        if revoked:
            revoke_api_token(user, token.id, now=seeder.now - timedelta(days=30))
        seeder.report.created["api_tokens"] += 1
    db.session.flush()
