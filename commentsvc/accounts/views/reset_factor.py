"""A password reset of an account that signs in in two steps: the new-password form
also takes the second factor (an app's or recovery code, or a passkey proved through
auth.reset_passkey), and its tries count with the second step's (the same limits)."""

from __future__ import annotations

from flask import current_app, request, session

from commentsvc.accounts import reset, two_step
from commentsvc.accounts.forms import NewPasswordForm, NewPasswordWithFactorForm
from commentsvc.accounts.models import Reader
from commentsvc.core.errors import LinkInvalid
from commentsvc.core.extensions import limiter


def resetting() -> Reader | None:
    """The reader whose reset link this session holds, if it still works."""
    try:
        return reset.reader_for_reset(session.get("reset_token", ""))
    except LinkInvalid:
        return None


def reset_limit_key() -> str:
    """Rate-limit key of a reset's last step: the account being reset (its second-factor
    codes share the second step's bucket)."""
    reader = resetting()
    return f"second-step:{reader.id}" if reader else f"second-step-ip:{request.remote_addr}"


def _reset_takes_no_code() -> bool:
    reader = resetting()
    return reader is None or not reset.needs_second_factor(reader)


# A reset of an account with a second factor takes its codes: limited like the second step.
reset_ip_limit = limiter.shared_limit(
    lambda: str(current_app.config["RATELIMIT_SECOND_STEP_IP"]),
    scope="reset-factor-ip",
    methods=["POST"],
    exempt_when=_reset_takes_no_code,
)
reset_account_limit = limiter.shared_limit(
    lambda: str(current_app.config["RATELIMIT_SECOND_STEP_ACCOUNT"]),
    scope="second-step",
    key_func=reset_limit_key,
    methods=["POST"],
    exempt_when=_reset_takes_no_code,
)


# The id of the reader whose reset proved the second factor with a passkey (this session).
RESET_FACTOR = "reset_factor"


def new_password_form(reader: Reader) -> NewPasswordForm:
    """The reset's form: it also asks for an app's or recovery code when the account
    signs in in two steps and no passkey has proved the second factor here."""
    if reset.needs_second_factor(reader) and session.get(RESET_FACTOR) != reader.id:
        return NewPasswordWithFactorForm()
    return NewPasswordForm()


def save_new_password(form: NewPasswordForm, token: str, reader: Reader) -> Reader:
    """:raises Invalid: (field "password" or "code"). :raises LinkInvalid: as reset does."""
    code = form.code.data if "code" in form else None
    proved = session.get(RESET_FACTOR) == reader.id
    saved = reset.reset_password(token, form.password.data, code, factor_proved=proved)
    session.pop(RESET_FACTOR, None)
    return saved


def reset_factor_context(reader: Reader) -> dict[str, object]:
    """What the reset page shows about the second factor."""
    due = reset.needs_second_factor(reader)
    return {
        "factor_due": due and session.get(RESET_FACTOR) != reader.id,
        "factor_proved": due and session.get(RESET_FACTOR) == reader.id,
        "reset_passkey": due and two_step.has_passkey(reader),
    }
