"""The "Report" form under every comment, in the widget and on the first-party page."""

from __future__ import annotations

from flask import g

from commentsvc.comments import reports
from commentsvc.comments.forms import ReportForm
from commentsvc.comments.views import fragments, widget
from commentsvc.core.errors import Invalid


@widget.bp.post("/<site_slug>/c/<int:comment_id>/report/<thread_key:key>")
def report(site_slug: str, key: str, comment_id: int) -> widget.Page:
    site, thread_row, reader = widget._load(site_slug, key)
    widget._check_in_thread(thread_row, comment_id)
    form = ReportForm()
    if not form.validate():
        return widget._error_page(" ".join(widget._form_errors(form)), 422)
    try:
        reports.report_comment(reader, comment_id, form.reason.data or "", form.text.data or "")
    except Invalid as exc:
        # Show the thread again with the report form open, the words kept, and why.
        failed = {"report_id": comment_id, "report_text": form.text.data or "", "error": str(exc)}
        frame_origin = widget._frame_origin(site) if g.framed else None
        if fragments.wanted():
            return fragments.error(str(exc), 422, exc.field or "text")
        return widget._render_thread(site, thread_row, frame_origin, 422, failed)
    if fragments.wanted():
        return widget._changed(site, thread_row, reader, comment_id)
    return widget._back(site_slug, key, f"#c{comment_id}")
