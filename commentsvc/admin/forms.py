"""The site form admins fill in."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange

from commentsvc.forms import BaseForm
from commentsvc.models import ModerationPolicy


class SiteForm(BaseForm):
    slug = StringField(
        _l("Slug"),
        validators=[DataRequired(), Length(max=60)],
        description=_l("Used in the snippet's data-site attribute; cannot change later."),
    )
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    origins = TextAreaField(
        _l("Allowed origins"),
        validators=[DataRequired(), Length(max=6000)],
        description=_l("One per line, e.g. https://news.example"),
    )
    moderation_policy = SelectField(
        _l("Moderation"),
        # SelectChoice, not tuples: wtforms 3.3 deprecates tuples (removed in 3.4).
        choices=[
            SelectChoice(ModerationPolicy.HOLD_NONE.value, _l("Publish comments at once")),
            SelectChoice(ModerationPolicy.HOLD_ALL.value, _l("Hold every comment for moderation")),
            SelectChoice(
                ModerationPolicy.HOLD_FIRST_N.value, _l("Hold the first comments of each reader")
            ),
        ],
    )
    edit_window_minutes = IntegerField(
        _l("Edit window (minutes)"),
        default=15,
        validators=[NumberRange(min=0, max=10080)],
    )
