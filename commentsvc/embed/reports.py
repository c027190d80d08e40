"""The "Report" form under every comment, in the widget and on the first-party page."""

from __future__ import annotations

from flask import g

from commentsvc.embed import views
from commentsvc.embed.forms import ReportForm
from commentsvc.services import comments, reports
from commentsvc.services.identity import InvalidInput


def report(site_slug: str, key: str, comment_id: int) -> views.Page:
    site, thread_row, reader = views._load(site_slug, key)
    views._check_in_thread(thread_row, comment_id)
    form = ReportForm()
    if not form.validate():
        return views._error_page(" ".join(views._form_errors(form)), 422)
    try:
        reports.report_comment(reader, comment_id, form.reason.data or "", form.text.data or "")
    except comments.CommentRefused as exc:
        return views._error_page(str(exc), exc.status)
    except InvalidInput as exc:
        # Show the thread again with the report form open, the words kept, and why.
        failed = {"report_id": comment_id, "report_text": form.text.data or "", "error": str(exc)}
        frame_origin = views._frame_origin(site) if g.framed else None
        return views._render_thread(site, thread_row, frame_origin, 422, failed)
    return views._back(site_slug, key, f"#c{comment_id}")


for _bp in (views.embed_bp, views.threads_bp):
    _bp.add_url_rule(
        "/<site_slug>/c/<int:comment_id>/report/<path:key>", "report", report, methods=["POST"]
    )
