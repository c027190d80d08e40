"""The widget's script's own requests: a preview of the text being written, and the
thread's "anything new?" poll.

The poll is the same for every reader (the script sends it without cookies): it is
kept by the page cache (comments/page_cache.py) and answered 304 there, after one
query of the thread's stamp, while the thread has not changed.
"""

from __future__ import annotations

import json
from contextlib import AbstractContextManager, nullcontext

from flask import current_app, g, request
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from commentsvc.comments import posting, threads
from commentsvc.comments.limits import limit_preview
from commentsvc.comments.page_cache import mark_shareable
from commentsvc.comments.views import fragments, widget
from commentsvc.core.errors import Invalid

# Raw text beyond this is refused as too large before it is looked at (the stored
# limit, posting.BODY_MAX, is checked on the normalised text, as posting does).
PREVIEW_MAX_RAW = 2 * posting.BODY_MAX


@widget.bp.post("/<site_slug>/preview/<thread_key:key>")
@limit_preview
def preview(site_slug: str, key: str) -> widget.Page:
    """The HTML the text would be stored as, for the composer's Preview tab."""
    widget._load(site_slug, key)
    body = request.form.get("body", "")
    if len(body) > PREVIEW_MAX_RAW:
        message = _(
            "A comment can be at most %(n)d characters long (yours has %(len)d).",
            n=posting.BODY_MAX,
            len=len(body),
        )
        return fragments.error(message, 413, "body")
    try:
        html = posting.preview(body)
    except Invalid as exc:  # refused as posting would refuse it
        return fragments.error(str(exc), 422, exc.field)
    return Response(json.dumps({"html": html}), mimetype="application/json")


@widget.bp.get("/<site_slug>/changes/<thread_key:key>")
def changes(site_slug: str, key: str) -> widget.Page:
    """How many comments the thread has, how many more than `seen`, and the notice to
    show for them in the page's language (`lang`). The same answer for every reader."""
    found = threads.find_existing_thread(site_slug, key)
    if found is None:
        return fragments.error(_("There is no such thread."), 404)
    site, thread_row = found
    g.site = site
    count = thread_row.comment_count
    try:
        seen = int(request.args.get("seen", ""))
    except ValueError:
        seen = count
    new = max(count - seen, 0)
    lang = request.args.get("lang", "")
    language: AbstractContextManager[None] = (
        force_locale(lang) if lang in current_app.config["LANGUAGES"] else nullcontext()
    )
    with language:
        notice = ngettext("%(num)d new comment", "%(num)d new comments", new) if new else ""
    mark_shareable(site, thread_row)
    answer = {"count": count, "new": new, "notice": notice}
    return Response(json.dumps(answer, ensure_ascii=False), mimetype="application/json")
