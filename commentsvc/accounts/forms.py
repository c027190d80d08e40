"""Forms of the account pages: signing up and in, resetting a password, self-service."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from commentsvc.accounts.identity import DISPLAY_NAME_MAX, EMAIL_MAX
from commentsvc.accounts.passwords import MAX_LENGTH, MIN_LENGTH
from commentsvc.core.forms import BaseForm


def new_password_field(label: str = "") -> PasswordField:
    return PasswordField(
        label or _l("Password"),
        validators=[DataRequired(), Length(min=MIN_LENGTH, max=MAX_LENGTH)],
        description=_l(
            "At least %(min)d characters; a long phrase is best. Common passwords are refused.",
            min=MIN_LENGTH,
        ),
        render_kw={"autocomplete": "new-password", "maxlength": MAX_LENGTH},
    )


def email_field(label: str = "") -> EmailField:
    return EmailField(
        label or _l("E-mail address"),
        validators=[DataRequired(), Length(max=EMAIL_MAX)],
        render_kw={"autocomplete": "email", "maxlength": EMAIL_MAX},
    )


class SignUpForm(BaseForm):
    email = email_field()
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(), Length(max=DISPLAY_NAME_MAX * 2)],
        description=_l("Shown next to your comments."),
        render_kw={"autocomplete": "nickname", "maxlength": DISPLAY_NAME_MAX},
    )
    password = new_password_field()
    accept_terms = BooleanField(
        _l("I accept the terms of use and the privacy policy"),
        validators=[DataRequired(_l("You need to accept the terms to create an account."))],
    )


class SignInForm(BaseForm):
    email = email_field()
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Remember me"))


class ResetRequestForm(BaseForm):
    email = email_field()


class NewPasswordForm(BaseForm):
    password = new_password_field(_l("New password"))


class NewPasswordWithFactorForm(NewPasswordForm):
    """For an account that signs in in two steps: the reset takes the second factor too."""

    code = StringField(
        _l("Code from your app, or a recovery code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
        description=_l("Your account uses two-step sign-in, so a new password needs it too."),
        render_kw={"autocomplete": "one-time-code", "maxlength": 40, "spellcheck": "false"},
    )


class CodeForm(BaseForm):
    code = StringField(
        _l("6-digit code"),
        validators=[DataRequired(_l("Enter the 6 digits from the e-mail.")), Length(max=20)],
        description=_l("From the e-mail we just sent. Not there? Look in your spam folder."),
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 9},
    )


class ActionForm(BaseForm):
    """A form with no fields: a button that posts a CSRF token."""


def current_password_field() -> PasswordField:
    return PasswordField(
        _l("Current password"),
        validators=[DataRequired(), Length(max=MAX_LENGTH)],
        render_kw={"autocomplete": "current-password"},
    )


class DisplayNameForm(BaseForm):
    display_name = StringField(
        _l("Display name"),
        validators=[DataRequired(), Length(max=DISPLAY_NAME_MAX * 2)],
        render_kw={"maxlength": DISPLAY_NAME_MAX},
    )


class ChangePasswordForm(BaseForm):
    current_password = current_password_field()
    new_password = new_password_field(_l("New password"))


class ChangeEmailForm(BaseForm):
    new_email = email_field(_l("New e-mail address"))
    current_password = current_password_field()


class DeleteAccountForm(BaseForm):
    current_password = current_password_field()


class SecondStepForm(BaseForm):
    code = StringField(
        _l("Code from your app, or a recovery code"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=40)],
        render_kw={"autocomplete": "one-time-code", "maxlength": 40, "spellcheck": "false"},
    )


class TotpConfirmForm(BaseForm):
    code = StringField(
        _l("6-digit code from the app"),
        validators=[DataRequired(_l("Enter the code.")), Length(max=20)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric", "maxlength": 9},
    )


class PasskeyNameForm(BaseForm):
    name = StringField(
        _l("Name of the new passkey"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("For example the device or password manager it is kept in."),
        render_kw={"maxlength": 60},
    )


class SiteSecurityForm(BaseForm):
    moderators_need_second_factor = BooleanField(
        _l("Moderators of this site must use two-step sign-in")
    )
