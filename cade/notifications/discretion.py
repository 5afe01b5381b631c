"""Discreet e-mails: a neutral subject and sender for recipients who must not be seen receiving ours.

Some organisations work where being known as foreign-funded puts them at
risk. An e-mail's subject and sender are read by anyone who glances at an
inbox, a lock screen or a shared computer, before the e-mail is opened. For
such a recipient the Subject names neither this site nor the funder nor what
the e-mail is about ("grant", "award", "funding"): one neutral subject for
account e-mails and one for everything else, in the recipient's language;
and the From header carries no display name (`discreet_sender`). The body is
unchanged: only someone who opens the e-mail reads it, and it must still say
what to do. The in-app inbox is not concerned: its reader has signed in.

Whether a recipient is discreet is decided when the e-mail is sent, not when
it is queued, so that an organisation that has just marked itself at risk is
covered by e-mails already waiting. This domain imports no other, so it does
not know who is at risk: the domains that do register a check in
`discretion_checks` (cade/wiring.py). A check is called with a list of outbox
rows (one, or a delivery batch's, so that it can ask the database once for
all of them) and returns those of them that must stay discreet; one check
naming a row is enough.
"""

from collections.abc import Callable, Iterable, Sequence
from email.utils import parseaddr

from flask import current_app
from flask_babel import gettext as _

discretion_checks: list[Callable[[Sequence], Iterable]] = []

# Kinds of these domains are about the person's account, not about their organisation's work.
ACCOUNT_DOMAINS = frozenset({"accounts"})


def is_discreet(row) -> bool:
    """Whether the outbox row's e-mail must keep a neutral subject and sender (see the module's docstring)."""
    return bool(discreet_rows([row]))


def discreet_rows(rows: Sequence) -> set:
    """Of these outbox rows, those whose e-mails must stay discreet; each check is asked once, for the rows left."""
    found: set = set()
    for check in discretion_checks:
        left = [row for row in rows if row not in found]
        if not left:
            break
        found.update(check(left))
    return found


def discreet_subject(kind: str) -> str:
    """The neutral subject of an e-mail of `kind`, in the current locale (the caller forces the recipient's)."""
    if kind.partition(".")[0] in ACCOUNT_DOMAINS:
        return _("A message about your account")
    return _("You have a new update")


def discreet_sender(config=None) -> str:
    """MAIL_DISCREET_SENDER when it is set, else the address of MAIL_DEFAULT_SENDER without its display name.

    The address itself may name the site ("grants@cade.example"): a deployment whose domain does so sets
    MAIL_DISCREET_SENDER to an address on a neutral domain.
    """
    config = config or current_app.config
    return config.get("MAIL_DISCREET_SENDER") or parseaddr(config["MAIL_DEFAULT_SENDER"])[1]
