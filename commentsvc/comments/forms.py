"""Forms the thread pages post: a comment or reply, an edit, a vote."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import IntegerField, SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from commentsvc.comments.looks import FONT_LABELS
from commentsvc.comments.models import ModerationPolicy
from commentsvc.core.forms import BaseForm


class CommentForm(BaseForm):
    # The length rule lives in comments.posting, which says how long the text was.
    body = TextAreaField()
    parent_id = IntegerField(validators=[Optional()])
    # Abuse brakes of the no-JavaScript form (see moderation.rules.form_signals): a field
    # people cannot see, and when the form was shown. Either one holds the comment.
    website = StringField()
    started = StringField()


class VoteForm(BaseForm):
    value = IntegerField(validators=[InputRequired(), AnyOf([-1, 0, 1])])


class ReportForm(BaseForm):
    # The reason's values and the length rule live in comments.reports.
    reason = StringField()
    text = TextAreaField()


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


class SiteLookForm(BaseForm):
    """The widget's accent colour and font; comments.looks checks the values."""

    accent = StringField(
        _l("Accent colour"),
        validators=[Length(max=20)],
        description=_l(
            "Links and buttons, as # and six hex digits (e.g. #0b5cad); empty for the default."
            " A colour too light or too dark to read is adjusted until it passes WCAG AA."
        ),
    )
    font = SelectField(
        _l("Font"),
        choices=[SelectChoice("", _l("The reader's system font (default)"))]
        + [SelectChoice(key, label) for key, label in FONT_LABELS.items()],
        description=_l("Fonts already on the reader's device: the widget downloads none."),
        validate_choice=False,  # comments.looks.parse_font decides
    )
