"""Account services: sign-up, verification, sign-in, password reset, profile and roles.

Every function takes plain values, or one command for what a person typed,
and the acting user where there is one; it flushes and never commits: the
caller (view, CLI, task) owns the transaction.

A package of modules; every public function is importable from here."""

from cade.accounts.services._common import (  # noqa: F401
    ACCOUNT_ADDRESS,
    AuthenticationFailed,
    normalise_email,
    get_user_by_email,
    get_user,
)
from cade.accounts.services.registration import (  # noqa: F401
    LinkAlreadyUsed,
    ProfileInput,
    RegistrationInput,
    Verification,
    register_user,
    verify_email,
    resend_verification,
    update_profile,
    default_timezone_from_country,
)
from cade.accounts.services.signing_in import (  # noqa: F401
    PasswordChangeInput,
    PasswordResetInput,
    authenticate,
    request_password_reset,
    check_reset_token,
    reset_password,
    change_password,
    sign_out,
    load_signed_in_user,
    is_locked,
    note_failed_sign_in,
    note_successful_sign_in,
)
from cade.accounts.services.second_factor import (  # noqa: F401
    check_code,
    confirm_enrolment,
    disable_two_factor,
    is_remembered_device,
    reset_two_factor,
    start_enrolment,
    two_factor_required,
)
from cade.accounts.services.administration import (  # noqa: F401
    AdminInput,
    set_user_active,
    grant_role,
    revoke_role,
    create_admin,
)

__all__ = [
    "is_locked",
    "note_failed_sign_in",
    "note_successful_sign_in",
    "check_code",
    "confirm_enrolment",
    "disable_two_factor",
    "is_remembered_device",
    "reset_two_factor",
    "start_enrolment",
    "two_factor_required",
    "ACCOUNT_ADDRESS",
    "AdminInput",
    "AuthenticationFailed",
    "LinkAlreadyUsed",
    "PasswordChangeInput",
    "PasswordResetInput",
    "ProfileInput",
    "RegistrationInput",
    "Verification",
    "normalise_email",
    "get_user_by_email",
    "register_user",
    "verify_email",
    "resend_verification",
    "authenticate",
    "request_password_reset",
    "check_reset_token",
    "reset_password",
    "change_password",
    "sign_out",
    "set_user_active",
    "update_profile",
    "default_timezone_from_country",
    "grant_role",
    "revoke_role",
    "create_admin",
    "get_user",
]
