"""Parts of a thread page, for the widget's in-place actions (static/widget.js).

A form the widget's script sends says so with the FRAGMENT header; it is then answered
with the one comment it changed (its `<li id="c…">`, rendered for this reader as the
page would) or, when refused, with {"error": …, "field": …} and a 4xx status. A plain
form (no JavaScript) keeps getting a redirect or the whole page.

Also here: the page's own parameters (the embedding page's title, URL, signature,
origin and sort), which a form carries in its `next` field so that every answer to a
POST, a refused one included, still knows the frame's parent origin.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import get_template_attribute, jsonify, request, url_for
from markupsafe import Markup
from sqlalchemy import or_, select
from werkzeug.wrappers import Response

from commentsvc.accounts.models import Reader
from commentsvc.comments import looks, reading, threads
from commentsvc.comments.models import Comment, Site, Thread, Vote
from commentsvc.core import links
from commentsvc.core.extensions import db, utcnow

# Sent by static/widget.js with each form it sends itself.
FRAGMENT = "X-Commentsvc-Fragment"
# On a new comment's answer: "published", or "held" (only its author sees it).
STATUS = "X-Commentsvc-Status"
# The embedding page's parameters a thread page keeps (see page_args).
THREAD_ARGS = ("title", "url", "sig", "origin", "sort")


def wanted() -> bool:
    """Whether the widget's script asked for a fragment rather than a page."""
    return request.headers.get(FRAGMENT) == "1"


def error(message: str, status: int, field: str = "") -> Response:
    response = jsonify({"error": message, "field": field})
    response.status_code = status
    return response


def thread_args() -> dict[str, str]:
    """The parameters that identify the embedding page, kept across pages and forms
    (the theme only when it is light or dark: auto is the default)."""
    args = links.page_args()
    keep = {}
    for name in THREAD_ARGS:
        value = args.get(name)
        if value:
            keep[name] = value[:2000]
    theme = looks.requested_theme()
    if theme != looks.AUTO:
        keep["theme"] = theme
    return keep


def thread_path(site: Site, thread_row: Thread) -> str:
    """This thread page's path with the embedding page's parameters (no paging)."""
    values: dict[str, Any] = {"site_slug": site.slug, "key": thread_row.key, **thread_args()}
    return url_for(f"{request.blueprint}.thread", **values)


def comment_item(site: Site, thread_row: Thread, reader: Reader | None, comment_id: int) -> Markup:
    """One comment with its replies, as the thread page shows it to this reader; empty
    when the reader would not see it (e.g. deleted with no replies left)."""
    view = _read_one(thread_row, site, reader.id if reader else None, comment_id)
    if view is None:
        return Markup("")
    render = get_template_attribute("embed/_comment.html", "render")
    return Markup(render(view, site, thread_row, reader, thread_path(site, thread_row), {}))  # noqa: S704


def _read_one(
    thread_row: Thread, site: Site, viewer_id: int | None, comment_id: int
) -> reading.CommentView | None:
    comment = threads.get_comment(comment_id)
    if comment is None or comment.thread_id != thread_row.id:
        return None
    root = comment.root_id or comment.id
    vote = (
        select(Vote.value)
        .where(Vote.comment_id == Comment.id, Vote.reader_id == viewer_id)
        .correlate(Comment)
        .scalar_subquery()
    )
    stmt = (
        select(Comment, Reader.display_name, vote)
        .outerjoin(Reader, Reader.id == Comment.author_id)
        .where(
            Comment.thread_id == thread_row.id,
            or_(Comment.id == root, Comment.root_id == root),
            reading._visible(viewer_id),
            Comment.depth >= comment.depth,
        )
        .order_by(Comment.id.asc())
    )
    # The reading module's own rules for who sees what, and how a comment is shown.
    now = utcnow()
    window = timedelta(seconds=site.edit_window_seconds)
    views: dict[int, reading.CommentView] = {}
    for row, name, my_vote in db.session.execute(stmt):
        view = reading._view(row, name, my_vote, viewer_id, window, now)
        views[view.id] = view
        parent = views.get(row.parent_id or 0)
        if parent is not None and row.id != comment_id:
            parent.replies.append(view)
    found = views.get(comment_id)
    return found if found is not None and reading._keep(found) else None
