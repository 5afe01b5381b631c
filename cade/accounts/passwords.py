"""Password rules and hashing: a length floor and a list of common passwords, no composition rules.

Follows NIST SP 800-63B: at least 12 characters, anything goes, but not one of
the 20,000 most common passwords (Django's shipped list). Hashing is werkzeug's
scrypt default.
"""

import gzip
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from cade.core.commands import Cleaner

MIN_LENGTH = 12
# Hashing cost grows with the input; nobody types more than this.
MAX_LENGTH = 256
COMMON_PASSWORDS_FILE = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"


@cache
def common_passwords() -> frozenset[str]:
    with gzip.open(COMMON_PASSWORDS_FILE, "rt", encoding="utf-8") as handle:
        return frozenset(line.strip().casefold() for line in handle if line.strip())


def password_problems(password: str | None) -> list:
    """The reasons `password` is refused (translatable messages); empty when it is acceptable."""
    password = password or ""
    if len(password) < MIN_LENGTH:
        return [_l("Use at least %(n)d characters. A few unrelated words make a good password.", n=MIN_LENGTH)]
    if len(password) > MAX_LENGTH:
        return [_l("Use at most %(n)d characters.", n=MAX_LENGTH)]
    if password.casefold() in common_passwords() or password.strip().casefold() in common_passwords():
        return [_l("This password is too common and easy to guess. Please choose another.")]
    return []


class Password(Cleaner):
    """A password as typed: never stripped or changed (spaces count); anything but text is empty."""

    def clean(self, raw, cleaning):
        return raw if isinstance(raw, str) else ""


@dataclass(frozen=True)
class NewPassword(Password):
    """A password being chosen, refused with `password_problems` when it breaks a rule."""

    required: bool = True

    def clean(self, raw, cleaning):
        if raw is None and not self.required:
            return None
        password = super().clean(raw, cleaning)
        for problem in password_problems(password):
            cleaning.refuse(problem)
        return password


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify_password(password_hash: str | None, password: str | None) -> bool:
    """Check a password; with no hash (unknown user) spend the same time and say no."""
    if not password_hash:
        check_password_hash(_dummy_hash(), password or "")
        return False
    return check_password_hash(password_hash, password or "")


@cache
def _dummy_hash() -> str:
    return generate_password_hash("not a real password: equalises timing for unknown users")
