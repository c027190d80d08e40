"""JSON routes: read a thread, counts for many threads, post, edit, delete, vote, report.

A service's refusal is answered {"error": …} with its status by the one handler
(core.security); only what is particular to a route is caught here."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, abort, jsonify, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from commentsvc.accounts import current
from commentsvc.comments import eligibility, posting, reading, reports, threads, votes
from commentsvc.comments.limits import limit_posting
from commentsvc.comments.openapi import MAX_COUNT_KEYS, document
from commentsvc.comments.page_cache import mark_counts_shareable, mark_shareable
from commentsvc.comments.reading import CommentView
from commentsvc.core.errors import Invalid

bp = Blueprint("comments_api", __name__, url_prefix="/api/v1")

Json = tuple[dict[str, Any], int] | dict[str, Any] | Response


def _error(message: str, status: int) -> tuple[dict[str, Any], int]:
    return {"error": message}, status


def _json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, _("Send a JSON object."))
    return data


def _comment_json(c: CommentView) -> dict[str, Any]:
    return {
        "id": c.id,
        "parent_id": c.parent_id,
        "depth": c.depth,
        "author": c.author_name,
        "body_html": c.body_html,
        "status": c.status,
        "score": c.score,
        "pinned": c.pinned,
        "created_at": c.created_at.isoformat(),
        "edited": c.edited,
        "my_vote": c.my_vote,
        "replies": [_comment_json(r) for r in c.replies],
    }


@bp.get("/openapi.json")
def openapi() -> dict[str, Any]:
    return document()


@bp.get("/sites/<site_slug>/threads/<thread_key:key>/comments")
def list_comments(site_slug: str, key: str) -> Json:
    found = threads.find_existing_thread(site_slug, key)
    if found is None:
        return _error(_("There is no such thread."), 404)
    site, thread = found
    try:
        sort = reading.Sort(request.args.get("sort", "oldest"))
    except ValueError:
        return _error(_("sort must be oldest, newest or top."), 422)
    try:
        limit = int(request.args.get("limit", reading.PAGE_SIZE))
    except ValueError:
        return _error(_("limit must be a number from 1 to 100."), 422)
    if not 1 <= limit <= 100:
        return _error(_("limit must be a number from 1 to 100."), 422)
    viewer = current_user if current_user.is_authenticated else None
    try:
        page = reading.read_thread(
            thread, site, viewer.id if viewer else None, sort, request.args.get("after"), limit
        )
    except Invalid as exc:
        return _error(str(exc), 400)
    body = json.dumps(
        {
            "thread": {
                "key": thread.key,
                "title": thread.title,
                "url": thread.url,
                "locked": thread.locked,
                "comment_count": thread.comment_count,
            },
            "sort": page.sort.value,
            "comments": [_comment_json(c) for c in page.comments],
            "next_cursor": page.next_cursor,
        },
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    if viewer is None:
        # Every anonymous reader of this URL gets this page (see comments/page_cache.py).
        mark_shareable(site, thread)
    return Response(body, mimetype="application/json")


@bp.get("/sites/<site_slug>/counts")
def counts(site_slug: str) -> Json:
    keys = request.args.getlist("thread")
    if len(keys) > MAX_COUNT_KEYS:
        return _error(_("Ask for at most %(n)d threads at once.", n=MAX_COUNT_KEYS), 422)
    found = threads.counts(site_slug, keys)
    if found is None:
        return _error(_("There is no such site."), 404)
    if not keys:
        return _error(_("Name at least one thread."), 422)
    response = jsonify({"counts": found.counts})
    # A registered origin may read them from its own pages, without cookies.
    origin = request.headers.get("Origin")
    if origin and origin in found.origins:
        response.headers["Access-Control-Allow-Origin"] = origin
    response.vary.add("Origin")
    wanted = list(found.counts)  # the keys worth counting, once each, in order
    if wanted and current.reader() is None:
        # Alike for every anonymous request of this URL and Origin: public for shared
        # caches with an ETag from the counts (core/cdn.py), and kept by the page cache,
        # which checks the counts with the same one query before it answers again.
        mark_counts_shareable(site_slug, wanted, found)
    return response


@bp.post("/sites/<site_slug>/threads/<thread_key:key>/comments")
@limit_posting
def post_comment(site_slug: str, key: str) -> Json:
    # The thread first: its query reads the reader's session and inputs to the rules too.
    found = threads.find_existing_thread(
        site_slug, key, current.session_token(), True, current.loaded_reader_id()
    )
    reader = current.signed_in()
    if found is None:
        return _error(_("There is no such thread."), 404)
    site, thread = found
    data = _json_body()
    body, parent_id = data.get("body"), data.get("parent_id")
    if not isinstance(body, str):
        return _error(_("body must be a string."), 422)
    if parent_id is not None and (not isinstance(parent_id, int) or isinstance(parent_id, bool)):
        return _error(_("parent_id must be a comment id."), 422)
    try:
        comment = posting.post_comment(reader, thread, site, body, parent_id)
    except eligibility.PostingRefused as exc:
        answer = {"error": str(exc)}
        if exc.refusal.reason is eligibility.Reason.POLICIES:
            answer["accept_url"] = url_for("consent.accept_policies", site=site.slug)
        return answer, 403
    except Invalid as exc:
        # Far over the limit is "too large" rather than "too long".
        if len(body) > posting.BODY_MAX * 10:
            return _error(str(exc), 413)
        raise
    return {"id": comment.id, "status": comment.status, "body_html": comment.body_html}, 201


@bp.patch("/comments/<int:comment_id>")
def edit_comment(comment_id: int) -> Json:
    reader = current.signed_in()
    body = _json_body().get("body")
    if not isinstance(body, str):
        return _error(_("body must be a string."), 422)
    comment = posting.edit_comment(reader, comment_id, body)
    return {"id": comment.id, "status": comment.status, "body_html": comment.body_html}


@bp.delete("/comments/<int:comment_id>")
def delete_comment(comment_id: int) -> Json:
    reader = current.signed_in()
    posting.delete_comment(reader, comment_id)
    return Response(status=204)


@bp.post("/comments/<int:comment_id>/vote")
def vote(comment_id: int) -> Json:
    reader = current.signed_in()
    value = _json_body().get("value")
    if not isinstance(value, int) or isinstance(value, bool):
        return _error(_("value must be 1, -1 or 0."), 422)
    score = votes.vote(reader, comment_id, value)
    return {"id": comment_id, "score": score, "my_vote": value}


@bp.post("/comments/<int:comment_id>/report")
def report_comment(comment_id: int) -> Json:
    reader = current.signed_in()
    data = _json_body()
    reason, text = data.get("reason"), data.get("text", "")
    if not isinstance(reason, str):
        return _error(_("reason must be a string."), 422)
    if not isinstance(text, str):
        return _error(_("text must be a string."), 422)
    if "\x00" in text:
        return _error(_("This field contains characters that cannot be used."), 422)
    report = reports.report_comment(reader, comment_id, reason, text)
    return {"comment_id": comment_id, "reason": report.reason, "reported": True}, 201
