"""The export's version, the pseudonyms, and the names of what an erasure erases and keeps.

The names are keys, not text: the outbox keeps them in the e-mail's context and
templates/privacy/_items.txt words them (with the reason something is kept)
in the reader's language, for the page and the e-mail alike.
"""

# Raised whenever a section or field of the export changes meaning (fields may be added without it).
EXPORT_VERSION = 1

# Stored, not shown through gettext: a pseudonym is data, the same in every language, and stays unique.
PERSON_PSEUDONYM = "Erased person {id}"
ORGANISATION_PSEUDONYM = "Erased organisation {id}"
# The reserved top-level domain .invalid (RFC 2606) cannot receive mail; the id keeps the address unique.
ERASED_ADDRESS = "erased-{id}@invalid"
# Werkzeug's check_password_hash says no to a value without its "method$salt$hash" shape: no password matches.
UNUSABLE_PASSWORD = "!erased"

# What erasing a person removes or replaces, in the order the page and the e-mail list it.
PERSON_ERASED = (
    "identity",          # name and e-mail address → pseudonym; language and time zone → the defaults
    "sign_in",           # password, two-factor secret, recovery codes, remembered devices, sessions
    "api_tokens",
    "memberships",
    "roles",             # roles and the reviewer profile (expertise, languages, regions)
    "notifications",     # the inbox and the e-mails queued or sent to them
    "invitations",       # the address on invitations sent to them
    "travel_identity",   # the traveller's name, address, passport country and gender on their trips
    "upcoming_training",  # places in sessions still to come, cancelled: the waiting list moves up
)

# What erasing a person keeps (with the pseudonym); a key is listed only when the person has such records,
# except the audit log, which every account has.
PERSON_KEPT = (
    "applications",
    "reviews",
    "decisions",         # decisions, offers they accepted or declined, grants and their reports
    "messages",          # messages, clarification answers and questions asked about calls
    "travel",            # trips and travel claims
    "training",          # enrolments and certificates
    "audit",
)

# What erasing an organisation removes or replaces, and what it keeps.
ORGANISATION_ERASED = (
    "organisation_identity",  # name → pseudonym; acronym, city, website, description, registration number
    "publication",            # publish consent withdrawn: never named in open data
    "drafts",                 # draft and submitted applications withdrawn
    "invitations_pending",
)
ORGANISATION_KEPT = (
    "statistics",   # country, region, type, stakeholder group, size: the funding statistics
    "grants",       # past applications, decisions, grants, reports and payments
    "members",      # the members keep access to those records
    "organisation_audit",
)
