"""JSON route for reporting a comment (the widget's Report form, for API clients)."""

from __future__ import annotations

from flask_babel import gettext as _

from commentsvc.comments import posting, reports
from commentsvc.comments.views.api import Json, _error, _json_body, _reader, bp
from commentsvc.core.errors import Invalid


@bp.post("/comments/<int:comment_id>/report")
def report_comment(comment_id: int) -> Json:
    reader = _reader()
    data = _json_body()
    reason, text = data.get("reason"), data.get("text", "")
    if not isinstance(reason, str):
        return _error(_("reason must be a string."), 422)
    if not isinstance(text, str):
        return _error(_("text must be a string."), 422)
    try:
        report = reports.report_comment(reader, comment_id, reason, text)
    except posting.CommentRefused as exc:
        return _error(str(exc), exc.status)
    except Invalid as exc:
        return _error(str(exc), 422)
    return {"comment_id": comment_id, "reason": report.reason, "reported": True}, 201
