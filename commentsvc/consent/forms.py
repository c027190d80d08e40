"""The form a reader accepts new policy versions with."""

from __future__ import annotations

from wtforms import HiddenField
from wtforms.validators import Length

from commentsvc.forms import BaseForm


class AcceptForm(BaseForm):
    # The versions the reader was shown ("terms:0:3,privacy:0:2"): accepting records
    # exactly those, and a version published meanwhile is shown first.
    shown = HiddenField(validators=[Length(max=200)])
