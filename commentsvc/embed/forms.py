"""Forms the thread pages post: a comment or reply, an edit, a vote."""

from __future__ import annotations

from wtforms import IntegerField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Optional

from ..forms import BaseForm


class CommentForm(BaseForm):
    # The length rule lives in services.comments, which says how long the text was.
    body = TextAreaField()
    parent_id = IntegerField(validators=[Optional()])


class VoteForm(BaseForm):
    value = IntegerField(validators=[InputRequired(), AnyOf([-1, 0, 1])])
