"""The second factor: enrolment, checking a code, recovery codes, remembered devices, turning it off, an admin's reset.

A code is either the authenticator app's six digits (each accepted once: the last step used is kept) or one of
ten single-use recovery codes. Every change is audited and none writes a secret into the audit log.
"""

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update

from cade.accounts import two_factor
from cade.accounts.models import RecoveryCode, RememberedDevice, User
from cade.accounts.services import signing_in
from cade.accounts.services._common import _record_sign_in
from cade.core.audit import record_event
from cade.core.db import utcnow
from cade.core.errors import InvalidTransition, PermissionDenied, ValidationFailed
from cade.core.permissions import is_admin
from cade.extensions import db
from cade.notifications.services import notify

WRONG_CODE = _l("That code is not right, or it was used already. Enter the 6 digits your app shows now, or one "
                "of your recovery codes.")
MAX_REMEMBER_DAYS = 30


def two_factor_required(user: User) -> bool:
    """Whether `user` holds a role whose holders must use a second factor (TWO_FACTOR_REQUIRED_ROLES)."""
    required = current_app.config.get("TWO_FACTOR_REQUIRED_ROLES") or []
    return any(user.has_role(role) for role in required)


def start_enrolment(user: User) -> str:
    """The secret to show for enrolment: the one waiting for its first code if any, so that reloading the page
    does not change a QR code already scanned. The second factor stays off until `confirm_enrolment`."""
    if user.has_two_factor:
        raise InvalidTransition(_l("Two-factor sign-in is on already."))
    if not user.totp_secret:
        user.totp_secret = two_factor.new_secret()
        db.session.flush()
    return user.totp_secret


def confirm_enrolment(user: User, code: str | None) -> list[str]:
    """Turn the second factor on once `code` shows the app holds the secret; returns the ten recovery codes.

    The codes are shown once and kept only as digests. Raises ValidationFailed on `code`, InvalidTransition when
    the second factor is on already or no enrolment was started.
    """
    if user.has_two_factor:
        raise InvalidTransition(_l("Two-factor sign-in is on already."))
    if not user.totp_secret:
        raise InvalidTransition(_l("Start the set-up again: scan the code shown on the set-up page."))
    secret = user.totp_secret
    step = two_factor.totp_step(secret, two_factor.normalise_code(code))
    if step is None:
        raise ValidationFailed({"code": [_l("That code is not right. Enter the 6 digits your app shows now; if "
                                            "they keep failing, check that your phone's clock is set "
                                            "automatically.")]})
    user.totp_enabled_at, user.totp_last_step = utcnow(), step
    codes = _replace_recovery_codes(user)
    record_event(user, "user.two_factor_enabled", user)
    notify("accounts.two_factor_changed", recipient=user, key=f"2fa-on:{user.id}:{secrets.token_hex(6)}",
           context={"change": "enabled"})
    db.session.flush()
    return codes


def check_code(user: User, code: str | None) -> str:
    """Accept `code` as `user`'s second factor once; returns "totp" or "recovery".

    A TOTP code is refused if its time step is not later than the last one accepted, so a code seen over a
    shoulder cannot be replayed; a recovery code is spent by one UPDATE, so two requests cannot both use it.
    Raises ValidationFailed on `code`.
    """
    typed = two_factor.normalise_code(code)
    if user.has_two_factor and typed:
        step = two_factor.totp_step(user.totp_secret, typed)
        if step is not None:
            # Compare-and-set on the row: of two requests with the same code, one wins.
            won = db.session.execute(
                update(User).where(User.id == user.id,
                                   func.coalesce(User.totp_last_step, -1) < step)
                .values(totp_last_step=step).execution_options(synchronize_session=False)).rowcount
            if won:
                user.totp_last_step = step
                return "totp"
        elif len(typed) == 10:
            spent = db.session.execute(
                update(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None),
                                           RecoveryCode.code_hash == two_factor.code_digest(typed))
                .values(used_at=utcnow()).execution_options(synchronize_session=False)).rowcount
            if spent:
                record_event(user, "user.recovery_code_used", user,
                             after={"recovery_codes_left": recovery_codes_left(user)})
                return "recovery"
    raise ValidationFailed({"code": [WRONG_CODE]})


def check_code_to_sign_in(user: User, code: str | None) -> str:
    """`check_code` for the second step of signing in: refused while the account is soft-locked, and a wrong code
    counts towards the lock like a wrong password; a right one clears the count and records the sign-in.
    Raises ValidationFailed on `code`."""
    if signing_in.is_locked(user):
        raise ValidationFailed({"code": [WRONG_CODE]})
    try:
        kind = check_code(user, code)
    except ValidationFailed:
        signing_in.note_failed_sign_in(user)
        raise
    signing_in.note_successful_sign_in(user)
    _record_sign_in(user)  # the sign-in is complete now, both factors proved
    return kind


def recovery_codes_left(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def regenerate_recovery_codes(user: User) -> list[str]:
    """Ten new recovery codes; the old ones stop working. Raises InvalidTransition when the second factor is off."""
    if not user.has_two_factor:
        raise InvalidTransition(_l("Turn on two-factor sign-in first."))
    codes = _replace_recovery_codes(user)
    record_event(user, "user.recovery_codes_regenerated", user)
    db.session.flush()
    return codes


def disable_two_factor(user: User) -> User:
    """Turn the second factor off (the person themself). Refused while one of their roles requires it."""
    if not user.has_two_factor:
        return user
    if two_factor_required(user):
        raise InvalidTransition(_l("Your role requires two-factor sign-in, so it cannot be turned off. To move it "
                                   "to a new phone, turn it on there from a new set-up after an administrator "
                                   "resets it, or use a recovery code."))
    _clear(user)
    record_event(user, "user.two_factor_disabled", user)
    notify("accounts.two_factor_changed", recipient=user, key=f"2fa-off:{user.id}:{secrets.token_hex(6)}",
           context={"change": "disabled"})
    db.session.flush()
    return user


def reset_two_factor(actor: User, user: User) -> User:
    """An administrator turns off `user`'s second factor (a lost phone and lost codes); audited, the person told.

    Every session of `user` ends, so whoever holds the account must sign in again and, where their role requires
    it, set up a new second factor. Raises PermissionDenied, or InvalidTransition for one's own account or an
    account without a second factor.
    """
    if not is_admin(actor):
        raise PermissionDenied()
    if actor.id == user.id:
        raise InvalidTransition(_l("Another administrator must reset your own two-factor sign-in."))
    if not user.has_two_factor:
        raise InvalidTransition(_l("This person does not use two-factor sign-in."))
    _clear(user)
    user.session_version = (user.session_version or 1) + 1
    event = record_event(actor, "user.two_factor_reset", user)
    notify("accounts.two_factor_changed", recipient=user, key=f"2fa-reset:{event.id}",
           context={"change": "reset", "by": actor.name})
    db.session.flush()
    return user


def remember_device(user: User) -> str:
    """Remember this browser for REMEMBER_DEVICE_DAYS (30 at most); returns the token for its cookie."""
    token = two_factor.new_device_token()
    db.session.add(RememberedDevice(user_id=user.id, token_hash=two_factor.token_digest(token),
                                    expires_at=utcnow() + timedelta(days=remember_days())))
    db.session.flush()
    return token


def remember_days() -> int:
    """How many days a browser is remembered: REMEMBER_DEVICE_DAYS, between 1 and 30."""
    return min(MAX_REMEMBER_DAYS, max(1, current_app.config.get("REMEMBER_DEVICE_DAYS", MAX_REMEMBER_DAYS)))


def is_remembered_device(user: User, token: str | None) -> bool:
    """Whether the browser holding `token` may skip `user`'s second factor."""
    if not token or not user.has_two_factor:
        return False
    return db.session.scalar(
        select(func.count()).select_from(RememberedDevice)
        .where(RememberedDevice.user_id == user.id, RememberedDevice.expires_at > utcnow(),
               RememberedDevice.token_hash == two_factor.token_digest(token))) > 0


def forget_devices(user: User) -> int:
    """Forget every remembered browser of `user` (also on a password change); returns how many were forgotten."""
    return db.session.execute(delete(RememberedDevice).where(RememberedDevice.user_id == user.id)
                              .execution_options(synchronize_session=False)).rowcount


def remembered_devices_count(user: User) -> int:
    return db.session.scalar(select(func.count()).select_from(RememberedDevice)
                             .where(RememberedDevice.user_id == user.id, RememberedDevice.expires_at > utcnow()))


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
                       .execution_options(synchronize_session=False))
    codes = two_factor.new_recovery_codes()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=two_factor.code_digest(code)) for code in codes)
    db.session.flush()
    return codes


def _clear(user: User) -> None:
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id)
                       .execution_options(synchronize_session=False))
    forget_devices(user)
