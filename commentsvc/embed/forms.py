"""Forms the thread pages post: a comment or reply, an edit, a vote."""

from __future__ import annotations

from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Optional

from commentsvc.forms import BaseForm


class CommentForm(BaseForm):
    # The length rule lives in services.comments, which says how long the text was.
    body = TextAreaField()
    parent_id = IntegerField(validators=[Optional()])
    # Abuse brakes of the no-JavaScript form (see services.rules.form_signals): a field
    # people cannot see, and when the form was shown. Either one holds the comment.
    website = StringField()
    started = StringField()


class VoteForm(BaseForm):
    value = IntegerField(validators=[InputRequired(), AnyOf([-1, 0, 1])])


class ReportForm(BaseForm):
    # The reason's values and the length rule live in services.reports.
    reason = StringField()
    text = TextAreaField()
