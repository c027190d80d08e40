"""Forms on the account page."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from commentsvc.auth.forms import email_field, new_password_field
from commentsvc.forms import BaseForm
from commentsvc.services.identity import DISPLAY_NAME_MAX
from commentsvc.services.passwords import MAX_LENGTH


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
