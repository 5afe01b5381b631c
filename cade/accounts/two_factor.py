"""The second factor's pieces: TOTP codes (RFC 6238, pyotp), the enrolment QR code, recovery codes, device tokens.

No database and no request here: the services in cade/accounts/services/second_factor.py hold the rules.
"""

import hashlib
import hmac
import re
import secrets
import time

import pyotp
import segno

DIGITS = 6
PERIOD = 30
# A code typed up to 30 seconds early or late is accepted: phones' clocks drift.
VALID_WINDOW = 1
RECOVERY_CODE_COUNT = 10
# Ten characters from an alphabet without look-alikes (no 0/O, 1/l/I), shown as two groups of five.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_secret() -> str:
    """A fresh base32 secret of 160 bits, the size RFC 4226 recommends."""
    return pyotp.random_base32(length=32)


def provisioning_uri(secret: str, account: str, issuer: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).provisioning_uri(name=account, issuer_name=issuer)


def qr_svg(uri: str, title: str) -> str:
    """The QR code of `uri` as inline SVG, drawn on the server (no script, no image request)."""
    return segno.make(uri, error="m").svg_inline(scale=4, border=2, title=title, dark="#000", light="#fff")


def grouped_secret(secret: str) -> str:
    """The secret in groups of four, for typing it into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def normalise_code(raw: str | None) -> str:
    """A code as typed, without spaces or dashes, lower-cased: "123 456" and "ABCDE-FGHIJ" both work."""
    return _SEPARATORS.sub("", raw or "").lower()


def totp_step(secret: str, code: str, *, at: float | None = None) -> int | None:
    """The time step at which `code` is the secret's code, within the window around `at` (now); None if none."""
    if not re.fullmatch(r"\d{%d}" % DIGITS, code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD)
    now = time.time() if at is None else at
    current = int(now // PERIOD)
    for step in range(current - VALID_WINDOW, current + VALID_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def current_code(secret: str, *, at: float | None = None) -> str:
    """The code an app shows now (for tests and the demo)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=PERIOD).at(time.time() if at is None else at)


def new_recovery_codes() -> list[str]:
    """Ten single-use codes, each shown as "abcde-fghjk"."""
    codes = ("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODE_COUNT))
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def code_digest(code: str) -> str:
    """SHA-256 of a recovery code as normalised: what the database keeps."""
    return hashlib.sha256(normalise_code(code).encode()).hexdigest()


def token_digest(token: str) -> str:
    """SHA-256 of a remembered device's token: what the database keeps."""
    return hashlib.sha256(token.encode()).hexdigest()


def new_device_token() -> str:
    return secrets.token_urlsafe(32)
