"""Parts of a thread page, for the widget's in-place actions (static/widget.js).

A form the widget's script sends says so with the FRAGMENT header; it is then answered
with the one comment it changed (its `<li id="c…">`, rendered for this reader as the
page would: comments.rendering.comment_item) or, when refused, with
{"error": …, "field": …} and a 4xx status. A plain form (no JavaScript) keeps getting a
redirect or the whole page.
"""

from __future__ import annotations

from flask import jsonify, request
from werkzeug.wrappers import Response

# Sent by static/widget.js with each form it sends itself.
FRAGMENT = "X-Commentsvc-Fragment"
# On a new comment's answer: "published", or "held" (only its author sees it).
STATUS = "X-Commentsvc-Status"


def wanted() -> bool:
    """Whether the widget's script asked for a fragment rather than a page."""
    return request.headers.get(FRAGMENT) == "1"


def error(message: str, status: int, field: str = "") -> Response:
    response = jsonify({"error": message, "field": field})
    response.status_code = status
    return response
